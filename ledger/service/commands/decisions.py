"""Commands on decisions: record, supersede."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain.decision import Decision, DecisionNotFoundError
from ledger.domain.errors import InvalidInputError
from ledger.domain.values import Source
from ledger.service.base import LedgerService, Recorded
from ledger.service.commands.expectations import member_list


class DecisionCommands(LedgerService):
    def record_decision(
        self,
        actor: str,
        project_id: UUID,
        *,
        statement: str,
        decided_by: Iterable[str],
        options_considered: Iterable[str] = (),
        rationale: str = "",
        source: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        deciders = member_list(project, decided_by, "decided_by")
        if isinstance(options_considered, (str, bytes, dict)):
            raise InvalidInputError("options_considered", "must be a list")
        options = tuple(options_considered)
        parsed_source = Source.parse(source, "source") if source is not None else None
        decision_id = self.new_id("decision", project_id, idempotency_key)
        return self.create_once(
            decision_id,
            lambda: [
                Decision.record(
                    act,
                    id=decision_id,
                    project_id=project_id,
                    statement=statement,
                    decided_by=deciders,
                    options_considered=options,
                    rationale=rationale,
                    source=parsed_source,
                )
            ],
        )

    def get_decision(self, project_id: UUID, decision_id: UUID) -> Decision:
        return self.get_item(Decision, project_id, decision_id, DecisionNotFoundError)

    def supersede_decision(
        self,
        actor: str,
        project_id: UUID,
        decision_id: UUID,
        *,
        by_decision_id: UUID,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Mark ``decision_id`` replaced by ``by_decision_id``, a current decision of the same
        project."""
        _, act, decision = self.step_in(
            Decision, actor, project_id, decision_id, occurred_at, attributed_to, expected_version
        )
        if by_decision_id == decision_id:
            raise InvalidInputError("by_decision_id", "a decision cannot supersede itself")
        by = self.get_item(Decision, project_id, by_decision_id, DecisionNotFoundError)
        decision.supersede(act, by=by, reason=reason)
        return self.save_changes(decision)
