"""Commitment: who promised what to whom, by when — and what became of it.

Lifecycle::

    open ──fulfil──> fulfilled ──accept──> accepted
      │                 └──dispute──> fulfilment_disputed ──fulfil──> fulfilled ...
      ├──withdraw (promisor)──> withdrawn
      └──release (promisee)───> released

Acknowledgements and renegotiations happen while the commitment is open (or its fulfilment is
disputed). "Overdue" is never stored: it is derived from ``due_at`` at query time.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
)
from ledger.domain.time import is_overdue
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_aware, require_text
from ledger.domain.values import ImmutableModel, Source


class CommitmentNotFoundError(NotFoundError):
    pass


class CommitmentState(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    FULFILMENT_DISPUTED = "fulfilment_disputed"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"
    RELEASED = "released"


#: A commitment still to be kept: open, or its fulfilment disputed. (Also as the states' text.)
LIVE_STATES: frozenset[str] = frozenset({CommitmentState.OPEN, CommitmentState.FULFILMENT_DISPUTED})


def is_live(state: CommitmentState | str) -> bool:
    """The one rule for "live": the commitment in ``state`` is still to be kept."""
    return state in LIVE_STATES


def is_commitment_overdue(
    state: CommitmentState | str, due_at: datetime | None, now: datetime
) -> bool:
    """The one rule for an overdue commitment: live, and its due time passed at ``now``
    (:func:`ledger.domain.time.is_overdue`)."""
    return is_overdue(due_at, now, live=is_live(state))


class RenegotiationProposal(ImmutableModel):
    """New terms proposed by one side, waiting for the other side's answer."""

    proposed_by: str
    due_at: datetime | None = None
    statement: str | None = None
    reason: str


class Commitment(LedgerAggregate):
    if TYPE_CHECKING:
        promisor: str
        promisee: str
        statement: str
        due_at: datetime | None
        source: Source | None
        state: CommitmentState
        acknowledged_by: tuple[str, ...]
        proposal: RenegotiationProposal | None

    class Made(LedgerAggregate.Created):
        """A promise: the promisor will do ``statement`` for the promisee by ``due_at``.

        By: any member who records (the evidence grade shows whether it was the promisor)."""

        promisor: str
        promisee: str
        statement: str
        due_at: datetime | None
        source: Source | None

        def apply(self, aggregate: Commitment) -> None:
            super().apply(aggregate)
            aggregate.promisor = self.promisor
            aggregate.promisee = self.promisee
            aggregate.statement = self.statement
            aggregate.due_at = self.due_at
            aggregate.source = self.source
            aggregate.state = CommitmentState.OPEN
            aggregate.acknowledged_by = ()
            aggregate.proposal = None

    class Acknowledged(LedgerAggregate.Event):
        """The promisor or the promisee confirms the commitment. By: that person themself."""

        by: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.acknowledged_by = (*aggregate.acknowledged_by, self.by)

    class RenegotiationProposed(LedgerAggregate.Event):
        """New terms (due date and/or statement) are proposed. By: promisor or promisee."""

        proposal: RenegotiationProposal

        def apply(self, aggregate: Commitment) -> None:
            aggregate.proposal = self.proposal

    class Renegotiated(LedgerAggregate.Event):
        """The other side agreed to the proposed terms, which now apply. By: the side that did
        not propose them."""

        due_at: datetime | None
        statement: str
        reason: str
        proposed_by: str
        agreed_by: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.due_at = self.due_at
            aggregate.statement = self.statement
            aggregate.proposal = None

    class RenegotiationDeclined(LedgerAggregate.Event):
        """The other side declined the proposed terms; the old ones stand. By: the side that
        did not propose them."""

        reason: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.proposal = None

    class Fulfilled(LedgerAggregate.Event):
        """The promisor reports the promise kept, with evidence. By: the promisor."""

        evidence: Source | None
        note: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.state = CommitmentState.FULFILLED
            aggregate.proposal = None

    class FulfilmentAccepted(LedgerAggregate.Event):
        """The promisee accepts the fulfilment. By: the promisee."""

        def apply(self, aggregate: Commitment) -> None:
            aggregate.state = CommitmentState.ACCEPTED

    class FulfilmentDisputed(LedgerAggregate.Event):
        """The promisee disputes the fulfilment; the promisor may fulfil again. By: the
        promisee."""

        reason: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.state = CommitmentState.FULFILMENT_DISPUTED

    class Withdrawn(LedgerAggregate.Event):
        """The promisor takes the promise back. By: the promisor."""

        reason: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.state = CommitmentState.WITHDRAWN
            aggregate.proposal = None

    class Released(LedgerAggregate.Event):
        """The promisee lets the promisor off. By: the promisee."""

        reason: str

        def apply(self, aggregate: Commitment) -> None:
            aggregate.state = CommitmentState.RELEASED
            aggregate.proposal = None

    # ------------------------------------------------------------------------- commands

    @classmethod
    def make(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        promisor: str,
        promisee: str,
        statement: str,
        due_at: datetime | None = None,
        source: Source | None = None,
    ) -> Commitment:
        if promisor == promisee:
            raise InvalidInputError("promisee", "a commitment is made to someone else")
        if due_at is not None:
            require_aware(due_at, "due_at")
        return cls._open(
            cls.Made,
            id=id,
            project_id=project_id,
            act=act,
            promisor=promisor,
            promisee=promisee,
            statement=require_text(statement, "statement"),
            due_at=due_at,
            source=source,
        )

    @property
    def is_live(self) -> bool:
        return is_live(self.state)

    def acknowledge(self, act: Act) -> None:
        """Either side confirms the commitment in the ledger — only ever in person."""
        if act.attributed_to is not None:
            raise NotPermittedError("an acknowledgement is given by the person themself")
        if act.actor not in (self.promisor, self.promisee):
            raise NotPermittedError("only the promisor or the promisee can acknowledge")
        self._require_live("acknowledge")
        if act.actor in self.acknowledged_by:
            raise InvalidTransitionError(f"{act.actor} has already acknowledged this commitment")
        self._record(self.Acknowledged, act, by=act.actor)

    def propose_renegotiation(
        self,
        act: Act,
        *,
        reason: str,
        due_at: datetime | None = None,
        statement: str | None = None,
    ) -> None:
        self._require_party(act, "propose new terms")
        self._require_live("renegotiate")
        if self.proposal is not None:
            raise InvalidTransitionError("new terms are already proposed and awaiting an answer")
        if due_at is None and statement is None:
            raise InvalidInputError("due_at", "propose a new due date, a new statement, or both")
        if due_at is not None:
            require_aware(due_at, "due_at")
        proposal = RenegotiationProposal(
            proposed_by=act.principal,
            due_at=due_at,
            statement=require_text(statement, "statement") if statement is not None else None,
            reason=require_text(reason, "reason"),
        )
        self._record(self.RenegotiationProposed, act, proposal=proposal)

    def agree_renegotiation(self, act: Act) -> None:
        """The other side agrees to the proposed terms; they become the commitment's terms."""
        proposal = self._pending_proposal()
        self._require_counterparty_of(proposal, act, "agree to")
        self._record(
            self.Renegotiated,
            act,
            due_at=proposal.due_at if proposal.due_at is not None else self.due_at,
            statement=proposal.statement if proposal.statement is not None else self.statement,
            reason=proposal.reason,
            proposed_by=proposal.proposed_by,
            agreed_by=act.principal,
        )

    def decline_renegotiation(self, act: Act, *, reason: str) -> None:
        proposal = self._pending_proposal()
        self._require_counterparty_of(proposal, act, "decline")
        self._record(self.RenegotiationDeclined, act, reason=require_text(reason, "reason"))

    def fulfil(self, act: Act, *, note: str = "", evidence: Source | None = None) -> None:
        if act.principal != self.promisor:
            raise NotPermittedError("only the promisor fulfils a commitment")
        self._require_live("fulfil")
        self._record(
            self.Fulfilled, act, evidence=evidence, note=require_text(note, "note", empty=True)
        )

    def accept_fulfilment(self, act: Act) -> None:
        if act.principal != self.promisee:
            raise NotPermittedError("only the promisee accepts a fulfilment")
        self._require_state(CommitmentState.FULFILLED, "accept its fulfilment")
        self._record(self.FulfilmentAccepted, act)

    def dispute_fulfilment(self, act: Act, *, reason: str) -> None:
        if act.principal != self.promisee:
            raise NotPermittedError("only the promisee disputes a fulfilment")
        self._require_state(CommitmentState.FULFILLED, "dispute its fulfilment")
        self._record(self.FulfilmentDisputed, act, reason=require_text(reason, "reason"))

    def withdraw(self, act: Act, *, reason: str) -> None:
        if act.principal != self.promisor:
            raise NotPermittedError("only the promisor withdraws a commitment")
        self._require_live("withdraw")
        self._record(self.Withdrawn, act, reason=require_text(reason, "reason"))

    def release(self, act: Act, *, reason: str) -> None:
        if act.principal != self.promisee:
            raise NotPermittedError("only the promisee releases the promisor")
        self._require_live("release")
        self._record(self.Released, act, reason=require_text(reason, "reason"))

    # -------------------------------------------------------------------------- checks

    def _require_live(self, step: str) -> None:
        if not self.is_live:
            raise InvalidTransitionError(f"cannot {step} a commitment that is {self.state}")

    def _require_state(self, state: CommitmentState, step: str) -> None:
        if self.state is not state:
            raise InvalidTransitionError(f"cannot {step}: the commitment is {self.state}")

    def _require_party(self, act: Act, step: str) -> None:
        if act.principal not in (self.promisor, self.promisee):
            raise NotPermittedError(f"only the promisor or the promisee can {step}")

    def _pending_proposal(self) -> RenegotiationProposal:
        if self.proposal is None:
            raise InvalidTransitionError("no new terms are proposed")
        return self.proposal

    def _require_counterparty_of(
        self, proposal: RenegotiationProposal, act: Act, step: str
    ) -> None:
        other = self.promisee if proposal.proposed_by == self.promisor else self.promisor
        if act.principal != other:
            raise NotPermittedError(f"only {other}, the other side, can {step} the new terms")


pin_topics(Commitment)
