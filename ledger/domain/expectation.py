"""Expectation: one item of the agreed baseline — a scope item, a goal, a milestone, a budget...

Lifecycle::

    active ──revise (agreement or approved change request)──> active (new value)
      └──withdraw (agreement or approved change request)──> withdrawn

Consent belongs to its owner: an agreement names who agrees, and each named person's agreement
counts only when it comes from their own credential (or a delegate they named). A set, revision
or withdrawal that names others than its proposer is first a *proposal*, agreed by its proposer;
every other named person agrees to it themself (``AgreementGiven``), and the last agreement
applies it::

    proposed ──agree (everyone named)──> active         (a new item)
       └──decline (anyone named)──> declined
    active (proposal pending) ──agree (everyone named)──> active (new value) / withdrawn
       └──decline (anyone named)──> active (unchanged)

Milestones and deliverables also carry a delivery::

    (none) ──submit (team)──> submitted ──accept (client)──> accepted
                                 └──reject (client)──> rejected ──submit──> submitted ...

The kind never changes: a revision carries a new value of the same kind's shape. Nothing is
recorded after a withdrawal, and an accepted delivery closes the item (it is neither revised
nor withdrawn any more). A revision leaves the delivery as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from pydantic import field_validator

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
)
from ledger.domain.roles import Party
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_text
from ledger.domain.values import ImmutableModel, Source


class ExpectationNotFoundError(NotFoundError):
    pass


class ExpectationKind(StrEnum):
    SCOPE_ITEM = "scope_item"
    GOAL = "goal"
    MILESTONE = "milestone"
    DELIVERABLE = "deliverable"
    BUDGET = "budget"
    TIMELINE = "timeline"
    ASSUMPTION = "assumption"
    CONSTRAINT = "constraint"
    ACCEPTANCE_CRITERION = "acceptance_criterion"

    @property
    def has_delivery(self) -> bool:
        """Whether items of this kind are delivered (submitted, then accepted or rejected)."""
        return self in (ExpectationKind.MILESTONE, ExpectationKind.DELIVERABLE)


class ExpectationState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    #: Proposed for the baseline, awaiting the agreement of people it names.
    PROPOSED = "proposed"
    #: Proposed, and declined by someone it named: it never joined the baseline.
    DECLINED = "declined"


class DeliveryState(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RevisionCause(StrEnum):
    """Why an expectation was revised or withdrawn."""

    CHANGE_REQUEST = "change_request"
    AGREEMENT = "agreement"


class AgreementChange(StrEnum):
    """What a proposal awaiting agreement would do to the baseline."""

    SET = "set"
    REVISION = "revision"
    WITHDRAWAL = "withdrawal"


_VALUE_FIELDS = (
    "text",
    "date",
    "start",
    "end",
    "amount",
    "currency",
    "metric",
    "target",
    "deadline",
)

#: For each kind: the fields it requires, and the further fields it allows.
_SHAPES: dict[ExpectationKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ExpectationKind.SCOPE_ITEM: (("text",), ()),
    ExpectationKind.GOAL: (("metric", "target", "deadline"), ("text",)),
    ExpectationKind.MILESTONE: (("date",), ("text",)),
    ExpectationKind.DELIVERABLE: (("text",), ("date",)),
    ExpectationKind.BUDGET: (("amount", "currency"), ("text",)),
    ExpectationKind.TIMELINE: (("start", "end"), ("text",)),
    ExpectationKind.ASSUMPTION: (("text",), ()),
    ExpectationKind.CONSTRAINT: (("text",), ()),
    ExpectationKind.ACCEPTANCE_CRITERION: (("text",), ()),
}


class ExpectationValue(ImmutableModel):
    """The agreed value of an expectation. Which fields are required (and allowed) depends on
    the kind — see :meth:`check_for`:

    * scope_item, assumption, constraint, acceptance_criterion: ``text``;
    * goal (SMART): ``metric``, ``target``, ``deadline`` (and optionally ``text``);
    * milestone: ``date`` (and optionally ``text``);
    * deliverable: ``text`` (and optionally ``date``);
    * budget: ``amount`` (not negative) and ``currency`` (and optionally ``text``);
    * timeline: ``start`` and ``end``, start not after end (and optionally ``text``).
    """

    text: str | None = None
    date: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    metric: str | None = None
    target: str | None = None
    deadline: dt.date | None = None

    @field_validator("date", "start", "end", "deadline", mode="before")
    @classmethod
    def _calendar_date(cls, v: Any) -> Any:
        if isinstance(v, (dt.datetime, int, float)):
            raise ValueError("must be a calendar date such as 2026-12-01")
        return v

    @field_validator("text", "metric", "target")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v:
            raise ValueError("must not be blank")
        if v is not None and len(v) > 10_000:
            raise ValueError("must be at most 10000 characters")
        return v

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("must be a three-letter ISO 4217 code such as EUR")
        return v

    @field_validator("amount")
    @classmethod
    def _finite(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and not v.is_finite():
            raise ValueError("must be a finite number")
        return v

    def check_for(self, kind: ExpectationKind, field: str = "value") -> Self:
        """Return the value if it has the shape ``kind`` needs, else raise naming the field."""
        required, optional = _SHAPES[kind]
        for name in required:
            if getattr(self, name) is None:
                raise InvalidInputError(f"{field}.{name}", f"is required for a {kind}")
        for name in _VALUE_FIELDS:
            if name not in required and name not in optional and getattr(self, name) is not None:
                raise InvalidInputError(f"{field}.{name}", f"is not part of a {kind}")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidInputError(f"{field}.end", "must not be before the start")
        if self.amount is not None and self.amount < 0:
            raise InvalidInputError(f"{field}.amount", "must not be negative")
        return self


class AgreementProposal(ImmutableModel):
    """A set, revision or withdrawal awaiting the agreement of the people it names.

    ``version`` is the expectation's version at the event that proposed it (an agreement names
    it, so nobody agrees to a proposal they have not seen); ``agreed`` lists who has agreed so
    far, each by their own credential or a delegate they named."""

    version: int
    change: AgreementChange
    value: ExpectationValue | None = None
    reason: str
    proposed_by: str
    agreed_by: tuple[str, ...]
    agreed: tuple[str, ...]

    @property
    def awaiting(self) -> tuple[str, ...]:
        """The people named whose agreement is still awaited, in the order named."""
        return tuple(p for p in self.agreed_by if p not in self.agreed)


class Expectation(LedgerAggregate):
    if TYPE_CHECKING:
        kind: ExpectationKind
        title: str
        value: ExpectationValue
        agreed_by: tuple[str, ...]
        source: Source | None
        state: ExpectationState
        delivery: DeliveryState | None
        change_request_ids: tuple[UUID, ...]
        proposal: AgreementProposal | None

    class Set(LedgerAggregate.Created):
        """An item joins the agreed baseline at once: ``agreed_by`` is empty (the source shows
        the agreement) or names only the person it is recorded for. An item that names others
        is proposed instead (``Proposed``). By: any member who records. (Before consent belonged
        to its owner, ``agreed_by`` here could name anyone, as the recorder said.)"""

        kind: ExpectationKind
        title: str
        value: ExpectationValue
        agreed_by: tuple[str, ...]
        source: Source | None

        def apply(self, aggregate: Expectation) -> None:
            super().apply(aggregate)
            aggregate.kind = self.kind
            aggregate.title = self.title
            aggregate.value = self.value
            aggregate.agreed_by = self.agreed_by
            aggregate.source = self.source
            aggregate.state = ExpectationState.ACTIVE
            aggregate.delivery = None
            aggregate.change_request_ids = ()
            aggregate.proposal = None

    class Proposed(LedgerAggregate.Created):
        """An item is proposed for the baseline by ``proposed_by`` (who agrees to it by
        proposing), naming in ``agreed_by`` everyone whose agreement it needs. It joins the
        baseline when the last of them agrees (``AgreementGiven``). By: any member who records,
        for themself or as a delegate of ``proposed_by``."""

        kind: ExpectationKind
        title: str
        value: ExpectationValue
        agreed_by: tuple[str, ...]
        source: Source | None
        proposed_by: str

        def apply(self, aggregate: Expectation) -> None:
            super().apply(aggregate)
            aggregate.kind = self.kind
            aggregate.title = self.title
            aggregate.value = self.value
            aggregate.agreed_by = ()
            aggregate.source = self.source
            aggregate.state = ExpectationState.PROPOSED
            aggregate.delivery = None
            aggregate.change_request_ids = ()
            aggregate.proposal = AgreementProposal(
                version=self.originator_version,
                change=AgreementChange.SET,
                value=self.value,
                reason="",
                proposed_by=self.proposed_by,
                agreed_by=self.agreed_by,
                agreed=(self.proposed_by,),
            )

    class ChangeProposed(LedgerAggregate.Event):
        """A revision (``value``) or a withdrawal of the item is proposed by ``proposed_by``,
        who agrees to it by proposing; ``agreed_by`` names everyone whose agreement it needs (at
        least one member of each side). It applies when the last of them agrees. By: any member
        who records, for themself or as a delegate of ``proposed_by``."""

        change: AgreementChange
        value: ExpectationValue | None
        reason: str
        agreed_by: tuple[str, ...]
        proposed_by: str

        def apply(self, aggregate: Expectation) -> None:
            aggregate.proposal = AgreementProposal(
                version=self.originator_version,
                change=self.change,
                value=self.value,
                reason=self.reason,
                proposed_by=self.proposed_by,
                agreed_by=self.agreed_by,
                agreed=(self.proposed_by,),
            )

    class AgreementGiven(LedgerAggregate.Event):
        """``by`` agrees to the proposal of version ``proposal_version``; ``completes`` when
        they were the last awaited, and the proposal then applies (the item joins the baseline,
        takes the new value, or is withdrawn). By: ``by`` themself, or a delegate they named."""

        by: str
        proposal_version: int
        completes: bool

        def apply(self, aggregate: Expectation) -> None:
            proposal = aggregate.pending_proposal
            if proposal is None:  # pragma: no cover - the command checked it
                return
            proposal = proposal.model_copy(update={"agreed": (*proposal.agreed, self.by)})
            if not self.completes:
                aggregate.proposal = proposal
                return
            aggregate.proposal = None
            aggregate.agreed_by = proposal.agreed_by
            if proposal.change is AgreementChange.SET:
                aggregate.state = ExpectationState.ACTIVE
            elif proposal.change is AgreementChange.REVISION and proposal.value is not None:
                aggregate.value = proposal.value
            elif proposal.change is AgreementChange.WITHDRAWAL:
                aggregate.state = ExpectationState.WITHDRAWN

    class ProposalDeclined(LedgerAggregate.Event):
        """``by``, named in the proposal of version ``proposal_version``, declines it (its
        proposer may so take it back); the baseline stays as it was, and a proposed item never
        joins it. By: ``by`` themself, or a delegate they named."""

        by: str
        proposal_version: int
        reason: str

        def apply(self, aggregate: Expectation) -> None:
            proposal = aggregate.pending_proposal
            aggregate.proposal = None
            if proposal is not None and proposal.change is AgreementChange.SET:
                aggregate.state = ExpectationState.DECLINED

    class Revised(LedgerAggregate.Event):
        """The agreed value changes. By: the client approver approving a change request
        (``change_request_id``), in the same save. Revisions by agreement are proposed
        (``ChangeProposed``) and agreed (``AgreementGiven``) since consent belongs to its owner;
        earlier ones were recorded here, ``agreed_by`` as the recorder named them."""

        value: ExpectationValue
        cause: RevisionCause
        change_request_id: UUID | None
        agreed_by: tuple[str, ...]
        reason: str

        def apply(self, aggregate: Expectation) -> None:
            aggregate.value = self.value
            aggregate.agreed_by = self.agreed_by
            if self.change_request_id is not None:
                aggregate.change_request_ids = (
                    *aggregate.change_request_ids,
                    self.change_request_id,
                )

    class Withdrawn(LedgerAggregate.Event):
        """The item leaves the baseline. By: the client approver approving a change request, in
        the same save. Withdrawals by agreement are proposed and agreed, as revisions are."""

        cause: RevisionCause
        change_request_id: UUID | None
        agreed_by: tuple[str, ...]
        reason: str

        def apply(self, aggregate: Expectation) -> None:
            aggregate.state = ExpectationState.WITHDRAWN
            if self.change_request_id is not None:
                aggregate.change_request_ids = (
                    *aggregate.change_request_ids,
                    self.change_request_id,
                )

    class DeliverySubmitted(LedgerAggregate.Event):
        """The milestone or deliverable is delivered, for the client to accept or reject.
        By: a team-side member."""

        evidence: Source | None
        note: str

        def apply(self, aggregate: Expectation) -> None:
            aggregate.delivery = DeliveryState.SUBMITTED

    class DeliveryAccepted(LedgerAggregate.Event):
        """The client accepts the submitted delivery. By: a client-side member."""

        note: str

        def apply(self, aggregate: Expectation) -> None:
            aggregate.delivery = DeliveryState.ACCEPTED

    class DeliveryRejected(LedgerAggregate.Event):
        """The client rejects the submitted delivery; it may be submitted again. By: a
        client-side member."""

        reason: str

        def apply(self, aggregate: Expectation) -> None:
            aggregate.delivery = DeliveryState.REJECTED

    # ------------------------------------------------------------------------- commands

    @classmethod
    def establish(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        kind: ExpectationKind,
        title: str,
        value: ExpectationValue,
        agreed_by: tuple[str, ...] = (),
        source: Source | None = None,
    ) -> Expectation:
        """Set a new item of the baseline (``agreed_by``: member emails, checked by the caller)."""
        if not isinstance(kind, ExpectationKind):
            raise InvalidInputError("kind", "must be an expectation kind")
        return cls._open(
            cls.Set,
            id=id,
            project_id=project_id,
            act=act,
            kind=kind,
            title=require_text(title, "title", max_length=500),
            value=value.check_for(kind),
            agreed_by=_distinct(agreed_by, "agreed_by"),
            source=source,
        )

    @classmethod
    def propose(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        kind: ExpectationKind,
        title: str,
        value: ExpectationValue,
        agreed_by: tuple[str, ...],
        proposed_by: str,
        source: Source | None = None,
    ) -> Expectation:
        """Propose a new item; it joins the baseline when everyone in ``agreed_by`` (member
        emails, checked by the caller, ``proposed_by`` among them) agreed."""
        if not isinstance(kind, ExpectationKind):
            raise InvalidInputError("kind", "must be an expectation kind")
        agreed = _named(agreed_by, proposed_by)
        return cls._open(
            cls.Proposed,
            id=id,
            project_id=project_id,
            act=act,
            kind=kind,
            title=require_text(title, "title", max_length=500),
            value=value.check_for(kind),
            agreed_by=agreed,
            source=source,
            proposed_by=proposed_by,
        )

    @property
    def pending_proposal(self) -> AgreementProposal | None:
        """The proposal awaiting agreement, if any."""
        return getattr(self, "proposal", None)  # items snapshotted before proposals: none

    def propose_change(
        self,
        act: Act,
        *,
        value: ExpectationValue | None,
        agreed_by: tuple[str, ...],
        proposed_by: str,
        reason: str,
    ) -> None:
        """Propose a revision to ``value`` (or, with ``value=None``, a withdrawal), agreed by
        ``proposed_by``; it applies when everyone in ``agreed_by`` agreed (at least one member
        of each side: checked by the caller)."""
        if value is None:
            self.check_withdrawal()
            change = AgreementChange.WITHDRAWAL
        else:
            value = self.check_revision(value)
            change = AgreementChange.REVISION
        pending = self.pending_proposal
        if pending is not None:
            raise InvalidTransitionError(
                f"a {pending.change} (version {pending.version}) already awaits the agreement "
                f"of {', '.join(pending.awaiting)}: it is agreed or declined first"
            )
        self._record(
            self.ChangeProposed,
            act,
            change=change,
            value=value,
            reason=require_text(reason, "reason"),
            agreed_by=_named(agreed_by, proposed_by),
            proposed_by=proposed_by,
        )

    def agree(self, act: Act, *, by: str, proposal_version: int) -> None:
        """``by`` (the act's principal, whose consent the caller checked) agrees to the pending
        proposal; the last agreement awaited applies it."""
        proposal = self._proposal_naming(by, proposal_version, "agree to")
        if by in proposal.agreed:
            raise InvalidTransitionError(f"{by} has already agreed to this {proposal.change}")
        completes = proposal.awaiting == (by,)
        if completes:
            self._require_still_applicable(proposal)
        self._record(
            self.AgreementGiven,
            act,
            by=by,
            proposal_version=proposal.version,
            completes=completes,
        )

    def decline(self, act: Act, *, by: str, proposal_version: int, reason: str) -> None:
        """``by`` (named in the pending proposal) declines it; nothing of it applies."""
        proposal = self._proposal_naming(by, proposal_version, "decline")
        self._record(
            self.ProposalDeclined,
            act,
            by=by,
            proposal_version=proposal.version,
            reason=require_text(reason, "reason"),
        )

    def _require_still_applicable(self, proposal: AgreementProposal) -> None:
        """A change request may have revised or withdrawn the item since the proposal."""
        if proposal.change is AgreementChange.SET:
            return
        if not self.is_changeable or (
            proposal.change is AgreementChange.REVISION and proposal.value == self.value
        ):
            raise InvalidTransitionError(
                f"the expectation changed since this {proposal.change} was proposed "
                f"(it is {self.state}, delivery {self.delivery or 'none'}): decline it"
            )

    def _proposal_naming(self, by: str, version: int, step: str) -> AgreementProposal:
        proposal = self.pending_proposal
        if proposal is None:
            raise InvalidTransitionError("nothing on this expectation awaits agreement")
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidInputError("proposal_version", "must be a whole number")
        if version != proposal.version:
            raise InvalidTransitionError(
                f"the proposal awaiting agreement is version {proposal.version}, not {version}: "
                "read it again before you answer"
            )
        if by not in proposal.agreed_by:
            raise NotPermittedError(
                f"{by} is not named in this {proposal.change}'s agreed_by: only "
                f"{', '.join(proposal.agreed_by)} may {step} it",
                field="agreed_by",
            )
        return proposal

    @property
    def is_active(self) -> bool:
        return self.state is ExpectationState.ACTIVE

    @property
    def is_changeable(self) -> bool:
        """Whether the item may still be revised or withdrawn (active, delivery not accepted)."""
        return self.is_active and self.delivery is not DeliveryState.ACCEPTED

    def revise(
        self,
        act: Act,
        *,
        value: ExpectationValue,
        cause: RevisionCause,
        change_request_id: UUID | None,
        agreed_by: tuple[str, ...],
        reason: str,
    ) -> None:
        """Give the item a new value of the same kind. Who agreed is checked by the caller
        (both sides for an agreement; the approver for a change request)."""
        _check_cause(cause, change_request_id)
        value = self.check_revision(value)
        agreed = _distinct(agreed_by, "agreed_by")
        if not agreed:
            raise InvalidInputError("agreed_by", "name who agreed to the revision")
        self._record(
            self.Revised,
            act,
            value=value,
            cause=cause,
            change_request_id=change_request_id,
            agreed_by=agreed,
            reason=require_text(reason, "reason", empty=cause is RevisionCause.CHANGE_REQUEST),
        )

    def check_revision(self, value: ExpectationValue, field: str = "value") -> ExpectationValue:
        """Return ``value`` if the item may be revised to it now (a change request's impact
        assessment checks its proposed revisions with this), else raise."""
        self._require_changeable("revise")
        value = value.check_for(self.kind, field)
        if value == self.value:
            raise InvalidInputError(field, "is the same as the current value")
        return value

    def check_withdrawal(self) -> None:
        """Raise unless the item may be withdrawn now."""
        self._require_changeable("withdraw")

    def withdraw(
        self,
        act: Act,
        *,
        cause: RevisionCause,
        change_request_id: UUID | None,
        agreed_by: tuple[str, ...],
        reason: str,
    ) -> None:
        self.check_withdrawal()
        _check_cause(cause, change_request_id)
        agreed = _distinct(agreed_by, "agreed_by")
        if not agreed:
            raise InvalidInputError("agreed_by", "name who agreed to the withdrawal")
        self._record(
            self.Withdrawn,
            act,
            cause=cause,
            change_request_id=change_request_id,
            agreed_by=agreed,
            reason=require_text(reason, "reason", empty=cause is RevisionCause.CHANGE_REQUEST),
        )

    def submit_delivery(
        self, act: Act, *, party: Party, note: str = "", evidence: Source | None = None
    ) -> None:
        """``party``: the side of ``act.principal`` — the team delivers."""
        if party is not Party.TEAM:
            raise NotPermittedError("a delivery is submitted by the team side")
        self._require_delivered_kind()
        self._require_active("submit a delivery for")
        if self.delivery not in (None, DeliveryState.REJECTED):
            raise InvalidTransitionError(f"cannot submit a delivery: it is already {self.delivery}")
        self._record(
            self.DeliverySubmitted,
            act,
            evidence=evidence,
            note=require_text(note, "note", empty=True),
        )

    def accept_delivery(self, act: Act, *, party: Party, note: str = "") -> None:
        """``party``: the side of ``act.principal`` — the client accepts."""
        self._require_client(party, "accepted")
        self._require_submitted("accept")
        self._record(self.DeliveryAccepted, act, note=require_text(note, "note", empty=True))

    def reject_delivery(self, act: Act, *, party: Party, reason: str) -> None:
        """``party``: the side of ``act.principal`` — the client rejects."""
        self._require_client(party, "rejected")
        self._require_submitted("reject")
        self._record(self.DeliveryRejected, act, reason=require_text(reason, "reason"))

    # -------------------------------------------------------------------------- checks

    def _require_active(self, step: str) -> None:
        if not self.is_active:
            raise InvalidTransitionError(f"cannot {step} an expectation that is {self.state}")

    def _require_changeable(self, step: str) -> None:
        self._require_active(step)
        if not self.is_changeable:
            raise InvalidTransitionError(
                f"cannot {step} this {self.kind}: its delivery was accepted"
            )

    def _require_delivered_kind(self) -> None:
        if not self.kind.has_delivery:
            raise InvalidTransitionError(
                f"a {self.kind} is not delivered: only milestones and deliverables are"
            )

    def _require_client(self, party: Party, done: str) -> None:
        if party is not Party.CLIENT:
            raise NotPermittedError(f"a delivery is {done} by the client side")

    def _require_submitted(self, step: str) -> None:
        self._require_delivered_kind()
        self._require_active(f"{step} a delivery of")
        if self.delivery is not DeliveryState.SUBMITTED:
            state = self.delivery or "not submitted"
            raise InvalidTransitionError(f"cannot {step} the delivery: it is {state}")


def _check_cause(cause: RevisionCause, change_request_id: UUID | None) -> None:
    if not isinstance(cause, RevisionCause):
        raise InvalidInputError("cause", "must be change_request or agreement")
    if cause is RevisionCause.CHANGE_REQUEST and change_request_id is None:
        raise InvalidInputError("change_request_id", "name the approved change request")
    if cause is RevisionCause.AGREEMENT and change_request_id is not None:
        raise InvalidInputError("change_request_id", "an agreement names no change request")


def _named(agreed_by: tuple[str, ...], proposed_by: str) -> tuple[str, ...]:
    """Who a proposal names: ``agreed_by``, its proposer first when not named."""
    agreed = _distinct(agreed_by, "agreed_by")
    return agreed if proposed_by in agreed else (proposed_by, *agreed)


def _distinct(emails: tuple[str, ...], field: str) -> tuple[str, ...]:
    if len(set(emails)) != len(emails):
        raise InvalidInputError(field, "names someone twice")
    return tuple(emails)


pin_topics(Expectation)
