"""Commands on change requests: request, assess impact, approve (revising the affected
expectations in the same save), reject, withdraw, mark implemented."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain.change_request import (
    ChangeRequest,
    ChangeRequestNotFoundError,
    ProposedRevision,
)
from ledger.domain.errors import InvalidInputError
from ledger.domain.expectation import Expectation, ExpectationNotFoundError, RevisionCause
from ledger.domain.validation import parse_id
from ledger.domain.values import Money, Source
from ledger.service.base import LedgerService, Recorded


class ChangeRequestCommands(LedgerService):
    def request_change(
        self,
        actor: str,
        project_id: UUID,
        *,
        title: str,
        description: str,
        rationale: str = "",
        affected_expectations: Iterable[UUID | str] = (),
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Ask to change the baseline. The affected expectations must be items of this project
        that may still change (active, delivery not accepted)."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        if isinstance(affected_expectations, (str, bytes, dict)):
            raise InvalidInputError("affected_expectations", "must be a list of ids")
        affected = tuple(
            parse_id(value, f"affected_expectations[{i}]")
            for i, value in enumerate(affected_expectations)
        )
        party = project.party_of(act.principal)
        change_request_id = self.new_id("change_request", project_id, idempotency_key)

        def build() -> list[ChangeRequest]:
            for i, expectation_id in enumerate(affected):
                expectation = self.get_item(
                    Expectation, project_id, expectation_id, ExpectationNotFoundError
                )
                if not expectation.is_changeable:
                    raise InvalidInputError(
                        f"affected_expectations[{i}]",
                        f"the {expectation.kind} {expectation.title!r} no longer changes "
                        f"({_why_fixed(expectation)})",
                    )
            return [
                ChangeRequest.request(
                    act,
                    id=change_request_id,
                    project_id=project_id,
                    requesting_party=party,
                    title=title,
                    description=description,
                    rationale=rationale,
                    affected_expectations=affected,
                )
            ]

        return self.create_once(change_request_id, build)

    def get_change_request(self, project_id: UUID, change_request_id: UUID) -> ChangeRequest:
        return self.get_item(
            ChangeRequest, project_id, change_request_id, ChangeRequestNotFoundError
        )

    def assess_impact(
        self,
        actor: str,
        project_id: UUID,
        change_request_id: UUID,
        *,
        scope_impact: str,
        schedule_delta_days: int,
        cost_delta: dict[str, Any] | None = None,
        revisions: Iterable[dict[str, Any]] = (),
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Assess (or re-assess) the impact. ``revisions``: what approval will do to each
        affected expectation — ``{"expectation_id": ..., "value": {...}}`` or
        ``{"expectation_id": ..., "withdraw": true}``."""
        project, act, change = self.step_in(
            ChangeRequest,
            actor,
            project_id,
            change_request_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        parsed_cost = Money.parse(cost_delta, "cost_delta") if cost_delta is not None else None
        parsed = ProposedRevision.parse_many(revisions, "revisions")
        change.assess_impact(
            act,
            party=project.party_of(act.principal),
            scope_impact=scope_impact,
            schedule_delta_days=schedule_delta_days,
            cost_delta=parsed_cost,
            revisions=parsed,
        )
        # Each proposed value must fit its expectation's kind and change it.
        for i, revision in enumerate(parsed):
            expectation = self.get_item(
                Expectation, project_id, revision.expectation_id, ExpectationNotFoundError
            )
            if revision.value is not None:
                expectation.check_revision(revision.value, f"revisions[{i}].value")
            else:
                expectation.check_withdrawal()
        return self.save_changes(change)

    def approve_change(
        self,
        actor: str,
        project_id: UUID,
        change_request_id: UUID,
        *,
        conditions: str = "",
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The client approver (``act``'s principal) approves the change as last assessed. The
        affected expectations are revised or withdrawn in the same atomic save; if any of them
        changed meanwhile, nothing is stored (:class:`~ledger.domain.errors.ConflictError`)."""
        project, act, change = self.step_in(
            ChangeRequest,
            actor,
            project_id,
            change_request_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project.require_consent(act, "approving a change request")
        approver = project.member(act.principal)
        change.approve(act, approver_role=approver.role, conditions=conditions)
        reason = f"change request approved: {change.title}"
        expectations: list[Expectation] = []
        for revision in change.revisions:
            expectation = self.get_item(
                Expectation, project_id, revision.expectation_id, ExpectationNotFoundError
            )
            if revision.value is None:
                expectation.withdraw(
                    act,
                    cause=RevisionCause.CHANGE_REQUEST,
                    change_request_id=change.id,
                    agreed_by=(approver.email,),
                    reason=reason,
                )
            else:
                expectation.revise(
                    act,
                    value=revision.value,
                    cause=RevisionCause.CHANGE_REQUEST,
                    change_request_id=change.id,
                    agreed_by=(approver.email,),
                    reason=reason,
                )
            expectations.append(expectation)
        return self.save_changes(change, *expectations)

    def reject_change(
        self,
        actor: str,
        project_id: UUID,
        change_request_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, change = self.step_in(
            ChangeRequest,
            actor,
            project_id,
            change_request_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project.require_consent(act, "rejecting a change request")
        change.reject(act, approver_role=project.member(act.principal).role, reason=reason)
        return self.save_changes(change)

    def withdraw_change(
        self,
        actor: str,
        project_id: UUID,
        change_request_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, change = self.step_in(
            ChangeRequest,
            actor,
            project_id,
            change_request_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        change.withdraw(act, party=project.party_of(act.principal), reason=reason)
        return self.save_changes(change)

    def mark_change_implemented(
        self,
        actor: str,
        project_id: UUID,
        change_request_id: UUID,
        *,
        note: str = "",
        evidence: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, change = self.step_in(
            ChangeRequest,
            actor,
            project_id,
            change_request_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        parsed = Source.parse(evidence, "evidence") if evidence is not None else None
        change.mark_implemented(act, note=note, evidence=parsed)
        return self.save_changes(change)


def _why_fixed(expectation: Expectation) -> str:
    if not expectation.is_active:
        return f"it is {expectation.state}"
    return "its delivery was accepted"
