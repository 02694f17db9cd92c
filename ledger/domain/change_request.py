"""ChangeRequest: a proposed change to the agreed baseline, its impact, and the client's decision.

Lifecycle::

    requested ──assess (team)──> assessed           (assess again: the later one replaces)
    assessed ──approve (client approver)──> approved ──implement──> implemented
    requested | assessed ──reject (client approver)──> rejected
    requested | assessed ──withdraw (requesting side)──> withdrawn

Approval needs an impact assessment: the latest assessment's revisions are copied into the
approval, and the application revises or withdraws the affected expectations in the same save.
Rejection needs no assessment. Events never go backwards.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import model_validator

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
)
from ledger.domain.expectation import ExpectationValue
from ledger.domain.roles import Party, Role
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_text
from ledger.domain.values import ImmutableModel, Money, Source


class ChangeRequestNotFoundError(NotFoundError):
    pass


class ChangeRequestState(StrEnum):
    REQUESTED = "requested"
    ASSESSED = "assessed"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    IMPLEMENTED = "implemented"


_PENDING = (ChangeRequestState.REQUESTED, ChangeRequestState.ASSESSED)

#: The role that decides (approves or rejects) a change request.
DECIDING_ROLE = Role.CLIENT_APPROVER


class ProposedRevision(ImmutableModel):
    """What approval does to one affected expectation: give it ``value`` (of the same kind's
    shape), or withdraw it (``withdraw=True`` and no value)."""

    expectation_id: UUID
    value: ExpectationValue | None = None
    withdraw: bool = False

    @model_validator(mode="after")
    def _value_or_withdraw(self) -> ProposedRevision:
        if self.withdraw and self.value is not None:
            raise ValueError("a withdrawal carries no value")
        if not self.withdraw and self.value is None:
            raise ValueError("give the new value, or withdraw: true")
        return self


class ChangeRequest(LedgerAggregate):
    if TYPE_CHECKING:
        title: str
        description: str
        rationale: str
        requested_by: str
        requesting_party: Party
        affected_expectations: tuple[UUID, ...]
        state: ChangeRequestState
        assessments: int
        scope_impact: str | None
        schedule_delta_days: int | None
        cost_delta: Money | None
        revisions: tuple[ProposedRevision, ...]
        conditions: str | None

    class Requested(LedgerAggregate.Created):
        """Someone asks to change the baseline; ``requested_by`` is the person asking (the
        act's principal) and ``requesting_party`` their side. By: any member who records."""

        title: str
        description: str
        rationale: str
        requested_by: str
        requesting_party: Party
        affected_expectations: tuple[UUID, ...]

        def apply(self, aggregate: ChangeRequest) -> None:
            super().apply(aggregate)
            aggregate.title = self.title
            aggregate.description = self.description
            aggregate.rationale = self.rationale
            aggregate.requested_by = self.requested_by
            aggregate.requesting_party = self.requesting_party
            aggregate.affected_expectations = self.affected_expectations
            aggregate.state = ChangeRequestState.REQUESTED
            aggregate.assessments = 0
            aggregate.scope_impact = None
            aggregate.schedule_delta_days = None
            aggregate.cost_delta = None
            aggregate.revisions = ()
            aggregate.conditions = None

    class ImpactAssessed(LedgerAggregate.Event):
        """The impact on scope, schedule and cost, and the revisions approval would make; a
        later assessment replaces an earlier one. By: a team-side member."""

        scope_impact: str
        schedule_delta_days: int
        cost_delta: Money | None
        revisions: tuple[ProposedRevision, ...]

        def apply(self, aggregate: ChangeRequest) -> None:
            aggregate.state = ChangeRequestState.ASSESSED
            aggregate.assessments += 1
            aggregate.scope_impact = self.scope_impact
            aggregate.schedule_delta_days = self.schedule_delta_days
            aggregate.cost_delta = self.cost_delta
            aggregate.revisions = self.revisions

    class Approved(LedgerAggregate.Event):
        """The client approves the change as assessed; ``revisions`` (the latest assessment's)
        are applied to the affected expectations in the same save. By: a client approver."""

        conditions: str
        revisions: tuple[ProposedRevision, ...]

        def apply(self, aggregate: ChangeRequest) -> None:
            aggregate.state = ChangeRequestState.APPROVED
            aggregate.conditions = self.conditions

    class Rejected(LedgerAggregate.Event):
        """The client turns the change down. By: a client approver."""

        reason: str

        def apply(self, aggregate: ChangeRequest) -> None:
            aggregate.state = ChangeRequestState.REJECTED

    class Withdrawn(LedgerAggregate.Event):
        """The request is taken back while pending. By: a member of the requesting side."""

        reason: str

        def apply(self, aggregate: ChangeRequest) -> None:
            aggregate.state = ChangeRequestState.WITHDRAWN

    class Implemented(LedgerAggregate.Event):
        """The approved change has been carried out. By: any member who records."""

        evidence: Source | None
        note: str

        def apply(self, aggregate: ChangeRequest) -> None:
            aggregate.state = ChangeRequestState.IMPLEMENTED

    # ------------------------------------------------------------------------- commands

    @classmethod
    def request(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        requesting_party: Party,
        title: str,
        description: str,
        rationale: str,
        affected_expectations: tuple[UUID, ...] = (),
    ) -> ChangeRequest:
        """``requesting_party``: the side of ``act.principal``. The caller checks that the
        affected expectations exist in the project."""
        if len(set(affected_expectations)) != len(affected_expectations):
            raise InvalidInputError("affected_expectations", "names an expectation twice")
        return cls._open(
            cls.Requested,
            id=id,
            project_id=project_id,
            act=act,
            title=require_text(title, "title", max_length=500),
            description=require_text(description, "description"),
            rationale=require_text(rationale, "rationale", empty=True),
            requested_by=act.principal,
            requesting_party=requesting_party,
            affected_expectations=tuple(affected_expectations),
        )

    @property
    def is_pending(self) -> bool:
        return self.state in _PENDING

    def assess_impact(
        self,
        act: Act,
        *,
        party: Party,
        scope_impact: str,
        schedule_delta_days: int,
        cost_delta: Money | None = None,
        revisions: tuple[ProposedRevision, ...] = (),
    ) -> None:
        """``party``: the side of ``act.principal`` — the team assesses. The caller checks
        each revision's value against its expectation's kind."""
        if party is not Party.TEAM:
            raise NotPermittedError("the impact of a change is assessed by the team side")
        self._require_pending("assess")
        if isinstance(schedule_delta_days, bool) or not isinstance(schedule_delta_days, int):
            raise InvalidInputError("schedule_delta_days", "must be a whole number of days")
        seen: set[UUID] = set()
        for i, revision in enumerate(revisions):
            if revision.expectation_id not in self.affected_expectations:
                raise InvalidInputError(
                    f"revisions[{i}].expectation_id",
                    "is not one of the expectations this change request affects",
                )
            if revision.expectation_id in seen:
                raise InvalidInputError(
                    f"revisions[{i}].expectation_id", "is revised twice in this assessment"
                )
            seen.add(revision.expectation_id)
        self._record(
            self.ImpactAssessed,
            act,
            scope_impact=require_text(scope_impact, "scope_impact"),
            schedule_delta_days=schedule_delta_days,
            cost_delta=cost_delta,
            revisions=tuple(revisions),
        )

    def approve(self, act: Act, *, approver_role: Role, conditions: str = "") -> None:
        """``approver_role``: the project role of ``act.principal``. The caller then applies
        :attr:`revisions` to the affected expectations and saves them with this."""
        self._require_decider(approver_role, "approves")
        self._require_pending("approve")
        if self.state is not ChangeRequestState.ASSESSED:
            raise InvalidTransitionError("cannot approve a change before its impact is assessed")
        self._record(
            self.Approved,
            act,
            conditions=require_text(conditions, "conditions", empty=True),
            revisions=self.revisions,
        )

    def reject(self, act: Act, *, approver_role: Role, reason: str) -> None:
        """``approver_role``: the project role of ``act.principal``."""
        self._require_decider(approver_role, "rejects")
        self._require_pending("reject")
        self._record(self.Rejected, act, reason=require_text(reason, "reason"))

    def withdraw(self, act: Act, *, party: Party, reason: str) -> None:
        """``party``: the side of ``act.principal`` — it must be the requesting side."""
        if party is not self.requesting_party:
            raise NotPermittedError(
                f"only the requesting side ({self.requesting_party}) withdraws a change request"
            )
        self._require_pending("withdraw")
        self._record(self.Withdrawn, act, reason=require_text(reason, "reason"))

    def mark_implemented(self, act: Act, *, note: str = "", evidence: Source | None = None) -> None:
        if self.state is not ChangeRequestState.APPROVED:
            raise InvalidTransitionError(
                f"only an approved change is implemented; this one is {self.state}"
            )
        self._record(
            self.Implemented, act, evidence=evidence, note=require_text(note, "note", empty=True)
        )

    # -------------------------------------------------------------------------- checks

    def _require_pending(self, step: str) -> None:
        if not self.is_pending:
            raise InvalidTransitionError(f"cannot {step} a change request that is {self.state}")

    @staticmethod
    def _require_decider(role: Role, step: str) -> None:
        if role is not DECIDING_ROLE:
            raise NotPermittedError(f"only a client approver {step} a change request")


pin_topics(ChangeRequest)
