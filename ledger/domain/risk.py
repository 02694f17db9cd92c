"""Risk: something that might go wrong, how likely and how bad, and what is done about it.

Lifecycle::

    open ──assess / plan response (repeatable)──> open
      ├──materialise (once, into an Issue of the same project)──> materialised ──close──> closed
      └──close──────────────────────────────────────────────────────────────────────> closed

Once a risk has materialised it is no longer uncertain: it is dealt with as its Issue, and the
risk itself can only be closed. Nothing is recorded on a closed risk.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from ledger.domain.issue import Issue
from ledger.domain.topics import pin_topics
from ledger.domain.validation import normalise_email, require_text


class RiskNotFoundError(NotFoundError):
    pass


class RiskLevel(StrEnum):
    """A rough level, used for both the probability and the impact of a risk."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: The name the design uses; the class is called ``RiskLevel`` because the transcoder stores
#: enums by class name, which must be unique across the ledger.
Level = RiskLevel


class RiskResponseStrategy(StrEnum):
    AVOID = "avoid"
    MITIGATE = "mitigate"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class RiskState(StrEnum):
    OPEN = "open"
    MATERIALISED = "materialised"
    CLOSED = "closed"


class Risk(LedgerAggregate):
    if TYPE_CHECKING:
        description: str
        probability: RiskLevel
        impact: RiskLevel
        owner: str
        state: RiskState
        strategy: RiskResponseStrategy | None
        plan: str | None
        response_owner: str | None
        issue_id: UUID | None

    class Identified(LedgerAggregate.Created):
        """A risk is identified, with a first estimate and the member who owns it.

        By: any member who records."""

        description: str
        probability: RiskLevel
        impact: RiskLevel
        owner: str

        def apply(self, aggregate: Risk) -> None:
            super().apply(aggregate)
            aggregate.description = self.description
            aggregate.probability = self.probability
            aggregate.impact = self.impact
            aggregate.owner = self.owner
            aggregate.state = RiskState.OPEN
            aggregate.strategy = None
            aggregate.plan = None
            aggregate.response_owner = None
            aggregate.issue_id = None

    class Assessed(LedgerAggregate.Event):
        """The probability and impact are (re)assessed. By: any member who records, while the
        risk is open."""

        probability: RiskLevel
        impact: RiskLevel
        note: str

        def apply(self, aggregate: Risk) -> None:
            aggregate.probability = self.probability
            aggregate.impact = self.impact

    class ResponsePlanned(LedgerAggregate.Event):
        """How the risk will be answered and who carries the response out (a member); replaces
        any earlier plan. By: any member who records, while the risk is open."""

        strategy: RiskResponseStrategy
        plan: str
        owner: str

        def apply(self, aggregate: Risk) -> None:
            aggregate.strategy = self.strategy
            aggregate.plan = self.plan
            aggregate.response_owner = self.owner

    class Materialised(LedgerAggregate.Event):
        """The risk happened; it is now dealt with as the Issue ``issue_id`` of the same
        project. By: any member who records, once, while the risk is open."""

        issue_id: UUID

        def apply(self, aggregate: Risk) -> None:
            aggregate.state = RiskState.MATERIALISED
            aggregate.issue_id = self.issue_id

    class Closed(LedgerAggregate.Event):
        """The risk needs no more watching (it passed, or its issue is being handled).
        By: any member who records, while the risk is open or materialised."""

        reason: str

        def apply(self, aggregate: Risk) -> None:
            aggregate.state = RiskState.CLOSED

    # ------------------------------------------------------------------------- commands

    @classmethod
    def identify(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        description: str,
        probability: RiskLevel,
        impact: RiskLevel,
        owner: str,
    ) -> Risk:
        """Identify a risk; ``owner`` must be a member (checked by the application)."""
        _require_enum(probability, RiskLevel, "probability")
        _require_enum(impact, RiskLevel, "impact")
        return cls._open(
            cls.Identified,
            id=id,
            project_id=project_id,
            act=act,
            description=require_text(description, "description"),
            probability=probability,
            impact=impact,
            owner=normalise_email(owner, "owner"),
        )

    def assess(
        self, act: Act, *, probability: RiskLevel, impact: RiskLevel, note: str = ""
    ) -> None:
        self._require_open("assess")
        _require_enum(probability, RiskLevel, "probability")
        _require_enum(impact, RiskLevel, "impact")
        self._record(
            self.Assessed,
            act,
            probability=probability,
            impact=impact,
            note=require_text(note, "note", empty=True),
        )

    def plan_response(
        self, act: Act, *, strategy: RiskResponseStrategy, plan: str, owner: str
    ) -> None:
        """Plan the response; ``owner`` must be a member (checked by the application)."""
        self._require_open("plan a response to")
        _require_enum(strategy, RiskResponseStrategy, "strategy")
        self._record(
            self.ResponsePlanned,
            act,
            strategy=strategy,
            plan=require_text(plan, "plan"),
            owner=normalise_email(owner, "owner"),
        )

    def materialise(self, act: Act, *, issue: Issue) -> None:
        """The risk happened and became ``issue``, which must belong to the same project."""
        self.check_may_materialise()
        if issue.project_id != self.project_id:
            raise InvalidInputError("issue_id", "the issue belongs to another project")
        self._record(self.Materialised, act, issue_id=issue.id)

    def close(self, act: Act, *, reason: str) -> None:
        if self.state is RiskState.CLOSED:
            raise InvalidTransitionError("the risk is already closed")
        self._record(self.Closed, act, reason=require_text(reason, "reason"))

    # -------------------------------------------------------------------------- checks

    def check_may_materialise(self) -> None:
        """Raise unless the risk may still materialise (it is open; it materialises once)."""
        if self.state is RiskState.MATERIALISED:
            raise InvalidTransitionError(f"the risk has already materialised as {self.issue_id}")
        self._require_open("record as materialised")

    def _require_open(self, step: str) -> None:
        if self.state is not RiskState.OPEN:
            raise InvalidTransitionError(f"cannot {step} a risk that is {self.state}")


def _require_enum(value: object, enum: type[StrEnum], field: str) -> None:
    if not isinstance(value, enum):
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInputError(field, f"must be one of: {allowed}")


pin_topics(Risk)
