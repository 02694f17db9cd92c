"""Commands on risks: identify, assess, plan the response, record as materialised (optionally
raising its Issue in the same save), close."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ledger.domain.errors import InvalidInputError
from ledger.domain.issue import TITLE_MAX_LENGTH, Issue, IssueKind, IssueNotFoundError, Severity
from ledger.domain.risk import Risk, RiskLevel, RiskNotFoundError, RiskResponseStrategy
from ledger.domain.validation import normalise_email
from ledger.service.base import LedgerService, Recorded
from ledger.service.commands.issues import parse_enum

#: The severity of an issue raised from a materialised risk when none is given.
_SEVERITY_OF_IMPACT = {
    RiskLevel.LOW: Severity.LOW,
    RiskLevel.MEDIUM: Severity.MEDIUM,
    RiskLevel.HIGH: Severity.HIGH,
}


class RiskCommands(LedgerService):
    def identify_risk(
        self,
        actor: str,
        project_id: UUID,
        *,
        description: str,
        probability: str,
        impact: str,
        owner: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        owner = normalise_email(owner, "owner")
        self.require_members(project, owner=owner)
        parsed_probability = parse_enum(RiskLevel, probability, "probability")
        parsed_impact = parse_enum(RiskLevel, impact, "impact")
        risk_id = self.new_id("risk", project_id, idempotency_key)
        return self.create_once(
            risk_id,
            lambda: [
                Risk.identify(
                    act,
                    id=risk_id,
                    project_id=project_id,
                    description=description,
                    probability=parsed_probability,
                    impact=parsed_impact,
                    owner=owner,
                )
            ],
        )

    def get_risk(self, project_id: UUID, risk_id: UUID) -> Risk:
        return self.get_item(Risk, project_id, risk_id, RiskNotFoundError)

    def assess_risk(
        self,
        actor: str,
        project_id: UUID,
        risk_id: UUID,
        *,
        probability: str,
        impact: str,
        note: str = "",
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, risk = self.step_in(
            Risk, actor, project_id, risk_id, occurred_at, attributed_to, expected_version
        )
        risk.assess(
            act,
            probability=parse_enum(RiskLevel, probability, "probability"),
            impact=parse_enum(RiskLevel, impact, "impact"),
            note=note,
        )
        return self.save_changes(risk)

    def plan_risk_response(
        self,
        actor: str,
        project_id: UUID,
        risk_id: UUID,
        *,
        strategy: str,
        plan: str,
        owner: str | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Plan the response; its ``owner`` (a member) defaults to the risk's owner."""
        project, act, risk = self.step_in(
            Risk, actor, project_id, risk_id, occurred_at, attributed_to, expected_version
        )
        response_owner = normalise_email(owner, "owner") if owner is not None else risk.owner
        self.require_members(project, owner=response_owner)
        risk.plan_response(
            act,
            strategy=parse_enum(RiskResponseStrategy, strategy, "strategy"),
            plan=plan,
            owner=response_owner,
        )
        return self.save_changes(risk)

    def record_risk_materialised(
        self,
        actor: str,
        project_id: UUID,
        risk_id: UUID,
        *,
        issue_id: UUID | None = None,
        issue_title: str | None = None,
        issue_description: str | None = None,
        issue_severity: str | None = None,
        issue_expected_resolution: str = "",
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """The risk happened. Either name the existing Issue of the project it became
        (``issue_id``), or leave it out to raise a new problem Issue in the same save: its title
        and description default to the risk's description, its severity to the risk's impact.
        The result names the risk; ``get_risk(...).issue_id`` names the issue.

        With ``idempotency_key`` the new issue's id is derived from it, and a retry of a command
        that already succeeded stores nothing."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        risk = self.get_item(Risk, project_id, risk_id, RiskNotFoundError)

        if issue_id is not None:
            given = {
                "issue_title": issue_title,
                "issue_description": issue_description,
                "issue_severity": issue_severity,
                "issue_expected_resolution": issue_expected_resolution or None,
            }
            for field, value in given.items():
                if value is not None:
                    raise InvalidInputError(
                        field, "describes a new issue: leave it out when naming an issue_id"
                    )
            self.check_version(risk, expected_version)
            issue = self.get_item(Issue, project_id, issue_id, IssueNotFoundError)
            risk.materialise(act, issue=issue)
            return self.save_changes(risk)

        new_issue_id = self.new_id("risk-issue", project_id, idempotency_key)
        if idempotency_key is not None and risk.issue_id == new_issue_id:
            return Recorded(risk.id, risk.version, 0)  # a retry: it is already stored
        self.check_version(risk, expected_version)
        risk.check_may_materialise()  # before raising an issue that would not be saved
        issue = Issue.raise_issue(
            act,
            id=new_issue_id,
            project_id=project_id,
            raiser_party=project.party_of(act.principal),
            kind=IssueKind.PROBLEM,
            title=issue_title if issue_title is not None else _title_from(risk.description),
            description=issue_description if issue_description is not None else risk.description,
            severity=(
                parse_enum(Severity, issue_severity, "issue_severity")
                if issue_severity is not None
                else _SEVERITY_OF_IMPACT[risk.impact]
            ),
            expected_resolution=issue_expected_resolution,
        )
        risk.materialise(act, issue=issue)
        return self.save_changes(risk, issue)

    def close_risk(
        self,
        actor: str,
        project_id: UUID,
        risk_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, risk = self.step_in(
            Risk, actor, project_id, risk_id, occurred_at, attributed_to, expected_version
        )
        risk.close(act, reason=reason)
        return self.save_changes(risk)


def _title_from(description: str) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    title = f"Risk materialised: {first_line}"
    if len(title) > TITLE_MAX_LENGTH:
        title = title[: TITLE_MAX_LENGTH - 1].rstrip() + "…"
    return title
