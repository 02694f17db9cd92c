"""Commands on issues: raise, respond, propose and choose solutions, report progress, resolve,
confirm or dispute the resolution, reopen.

The sides that the rules depend on (the client chooses a solution, the raiser's side confirms or
disputes) are looked up here from the project's members and enforced by :class:`Issue`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from ledger.domain.errors import InvalidInputError
from ledger.domain.issue import Issue, IssueKind, IssueNotFoundError, Severity, SolutionOption
from ledger.domain.values import Source
from ledger.service.base import LedgerService, Recorded

E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: str, field: str) -> E:
    """``value`` as a member of ``enum``, or :class:`InvalidInputError` listing the choices."""
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInputError(field, f"{value!r} is not one of: {allowed}") from None


class IssueCommands(LedgerService):
    def raise_issue(
        self,
        actor: str,
        project_id: UUID,
        *,
        kind: str,
        title: str,
        description: str,
        severity: str = "medium",
        expected_resolution: str = "",
        source: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Raise an issue; the raiser is the attributed person, or else the actor."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        parsed_kind = parse_enum(IssueKind, kind, "kind")
        parsed_severity = parse_enum(Severity, severity, "severity")
        parsed_source = Source.parse(source, "source") if source is not None else None
        issue_id = self.new_id("issue", project_id, idempotency_key)
        return self.create_once(
            issue_id,
            lambda: [
                Issue.raise_issue(
                    act,
                    id=issue_id,
                    project_id=project_id,
                    raiser_party=project.party_of(act.principal),
                    kind=parsed_kind,
                    title=title,
                    description=description,
                    severity=parsed_severity,
                    expected_resolution=expected_resolution,
                    source=parsed_source,
                )
            ],
        )

    def get_issue(self, project_id: UUID, issue_id: UUID) -> Issue:
        return self.get_item(Issue, project_id, issue_id, IssueNotFoundError)

    def respond_to_issue(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        response: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        issue.respond(act, response=response, party=project.party_of(act.principal))
        return self.save_changes(issue)

    def propose_solution_options(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        options: list[dict[str, Any]],
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Propose ``options`` — ``[{"id": "A", "description": ..., "cost": {"amount": "100",
        "currency": "EUR"}, "time_days": 3}, ...]`` — replacing any earlier proposal."""
        _, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        issue.propose_solution_options(act, options=SolutionOption.parse_many(options, "options"))
        return self.save_changes(issue)

    def choose_solution(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        option_id: str,
        note: str = "",
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The client side chooses one of the proposed options."""
        project, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        if not isinstance(option_id, str):
            raise InvalidInputError("option_id", "must be text")
        project.require_consent(act, "choosing a solution")
        issue.choose_solution(
            act,
            option_id=option_id.strip(),
            note=note,
            party=project.party_of(act.principal),
        )
        return self.save_changes(issue)

    def report_issue_progress(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        note: str,
        percent_complete: int | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        issue.report_progress(act, note=note, percent_complete=percent_complete)
        return self.save_changes(issue)

    def resolve_issue(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        resolution: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        issue.resolve(act, resolution=resolution)
        return self.save_changes(issue)

    def confirm_resolution(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        note: str = "",
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The raiser's side confirms the resolution."""
        project, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        project.require_consent(act, "confirming a resolution")
        issue.confirm_resolution(act, note=note, party=project.party_of(act.principal))
        return self.save_changes(issue)

    def dispute_resolution(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The raiser's side disputes the resolution; the issue is in progress again."""
        project, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        project.require_consent(act, "disputing a resolution")
        issue.dispute_resolution(act, reason=reason, party=project.party_of(act.principal))
        return self.save_changes(issue)

    def reopen_issue(
        self,
        actor: str,
        project_id: UUID,
        issue_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, issue = self.step_in(
            Issue, actor, project_id, issue_id, occurred_at, attributed_to, expected_version
        )
        issue.reopen(act, reason=reason)
        return self.save_changes(issue)
