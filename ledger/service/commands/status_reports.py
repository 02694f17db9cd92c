"""Commands on status reports: issue (with acknowledgement requests), correct."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.domain.envelope import LedgerAggregate
from ledger.domain.errors import InvalidInputError
from ledger.domain.roles import Role
from ledger.domain.status_report import StatusReport, StatusReportNotFoundError
from ledger.service.base import LedgerService, Recorded


class StatusReportCommands(LedgerService):
    def issue_status_report(
        self,
        actor: str,
        project_id: UUID,
        *,
        period_start: date,
        period_end: date,
        to: Iterable[str],
        progress: Iterable[str] = (),
        problems: Iterable[str] = (),
        next_steps: Iterable[str] = (),
        cadence_kind: str = "weekly_report",
        acknowledge_by: datetime | date | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Issue a report to ``to`` (members). With ``acknowledge_by`` each recipient but the
        issuer and auditors is asked to acknowledge it by then, in the same save."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        report_id = self.new_id("status_report", project_id, idempotency_key)
        due_time: datetime | None = self.due_in(project, acknowledge_by, "acknowledge_by")

        def build() -> list[LedgerAggregate]:
            report = StatusReport.issue(
                act,
                id=report_id,
                project_id=project_id,
                members=project.members,
                period_start=period_start,
                period_end=period_end,
                to=to,
                progress=progress,
                problems=problems,
                next_steps=next_steps,
                cadence_kind=cadence_kind,
            )
            if due_time is None:
                return [report]
            requests = report.request_acknowledgements(
                act, members=project.members, due_at=due_time
            )
            return [report, *requests]

        return self.create_once(report_id, build)

    def get_status_report(self, project_id: UUID, report_id: UUID) -> StatusReport:
        return self.get_item(StatusReport, project_id, report_id, StatusReportNotFoundError)

    def correct_status_report(
        self,
        actor: str,
        project_id: UUID,
        report_id: UUID,
        *,
        changes: Mapping[str, Any],
        reason: str,
        acknowledge_by: datetime | date | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Correct some fields: ``changes`` maps field names of the issued report
        (``period_start``, ``progress``...) to their new values. By whoever issued it, or a
        team manager. With ``acknowledge_by`` the recipients are asked to acknowledge the
        corrected version, in the same save."""
        project, act, report = self.step_in(
            StatusReport, actor, project_id, report_id, occurred_at, attributed_to, expected_version
        )
        due_time: datetime | None = self.due_in(project, acknowledge_by, "acknowledge_by")
        if not isinstance(changes, Mapping):
            raise InvalidInputError("changes", "must be an object of field names and values")
        report.correct(
            act,
            correction=changes,
            reason=reason,
            manager=project.members[act.actor].role is Role.TEAM_MANAGER,
        )
        requests = (
            report.request_acknowledgements(act, members=project.members, due_at=due_time)
            if due_time is not None
            else []
        )
        return self.save_changes(report, *requests)
