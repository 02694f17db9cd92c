"""Decision: what was decided, by whom, among which options, and why.

Lifecycle::

    current ──supersede (by a later decision of the same project)──> superseded

A decision is superseded once, by another current decision of the same project (never by
itself, never by one that is itself superseded — so supersession never loops).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_text
from ledger.domain.values import Source


class DecisionNotFoundError(NotFoundError):
    pass


class DecisionState(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"


class Decision(LedgerAggregate):
    if TYPE_CHECKING:
        statement: str
        decided_by: tuple[str, ...]
        options_considered: tuple[str, ...]
        rationale: str
        source: Source | None
        state: DecisionState
        superseded_by: UUID | None

    class Recorded(LedgerAggregate.Created):
        """A decision is recorded; ``decided_by`` names the members who took it. By: any member
        who records."""

        statement: str
        decided_by: tuple[str, ...]
        options_considered: tuple[str, ...]
        rationale: str
        source: Source | None

        def apply(self, aggregate: Decision) -> None:
            super().apply(aggregate)
            aggregate.statement = self.statement
            aggregate.decided_by = self.decided_by
            aggregate.options_considered = self.options_considered
            aggregate.rationale = self.rationale
            aggregate.source = self.source
            aggregate.state = DecisionState.CURRENT
            aggregate.superseded_by = None

    class Superseded(LedgerAggregate.Event):
        """A later decision replaces this one. By: any member who records."""

        by_decision_id: UUID
        reason: str

        def apply(self, aggregate: Decision) -> None:
            aggregate.state = DecisionState.SUPERSEDED
            aggregate.superseded_by = self.by_decision_id

    # ------------------------------------------------------------------------- commands

    @classmethod
    def record(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        statement: str,
        decided_by: tuple[str, ...],
        options_considered: tuple[str, ...] = (),
        rationale: str = "",
        source: Source | None = None,
    ) -> Decision:
        """``decided_by``: member emails, checked by the caller."""
        if not decided_by:
            raise InvalidInputError("decided_by", "name who took the decision")
        if len(set(decided_by)) != len(decided_by):
            raise InvalidInputError("decided_by", "names someone twice")
        options = tuple(
            require_text(option, f"options_considered[{i}]", max_length=2_000)
            for i, option in enumerate(options_considered)
        )
        if len(set(options)) != len(options):
            raise InvalidInputError("options_considered", "lists an option twice")
        return cls._open(
            cls.Recorded,
            id=id,
            project_id=project_id,
            act=act,
            statement=require_text(statement, "statement"),
            decided_by=tuple(decided_by),
            options_considered=options,
            rationale=require_text(rationale, "rationale", empty=True),
            source=source,
        )

    @property
    def is_current(self) -> bool:
        return self.state is DecisionState.CURRENT

    def supersede(self, act: Act, *, by: Decision, reason: str) -> None:
        """Mark this decision replaced by ``by``, a current decision of the same project."""
        if by.id == self.id:
            raise InvalidInputError("by_decision_id", "a decision cannot supersede itself")
        if by.project_id != self.project_id:
            raise InvalidInputError("by_decision_id", "names a decision of another project")
        if not self.is_current:
            raise InvalidTransitionError(
                f"this decision is already superseded by {self.superseded_by}"
            )
        if not by.is_current:
            raise InvalidTransitionError(
                f"decision {by.id} is itself superseded and cannot supersede another"
            )
        self._record(
            self.Superseded,
            act,
            by_decision_id=by.id,
            reason=require_text(reason, "reason"),
        )


pin_topics(Decision)
