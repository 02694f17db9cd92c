"""Risk commands against real storage (SQLite and PostgreSQL), including a risk materialising
into a new Issue in the same save."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.domain.errors import ConflictError, InvalidInputError, InvalidTransitionError
from ledger.domain.issue import IssueKind, IssueNotFoundError, IssueState, Severity
from ledger.domain.project import NotAMemberError
from ledger.domain.risk import Risk, RiskLevel, RiskNotFoundError, RiskResponseStrategy, RiskState
from ledger.domain.roles import Party
from ledger.service.application import Ledger, VersionMismatchError
from tests import builders
from tests.builders import DEV, PM, SPONSOR, positions


def project_with_members(ledger: Ledger) -> UUID:
    return builders.project_with_members(ledger, auditor=False)


def identify(ledger: Ledger, project_id: UUID, **kw: Any) -> UUID:
    fields: dict[str, Any] = {
        "description": "The payment provider may change its API before launch",
        "probability": "medium",
        "impact": "high",
        "owner": DEV,
    }
    fields.update(kw)
    return ledger.identify_risk(PM, project_id, **fields).id


def test_a_risk_lifecycle_is_stored_and_read_back(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    recorded = ledger.identify_risk(
        PM,
        project_id,
        description="Provider API change",
        probability="low",
        impact="high",
        owner=" Dev@Acme.test ",
    )
    risk_id = recorded.id
    assert recorded.version == 1
    ledger.assess_risk(
        DEV,
        project_id,
        risk_id,
        probability="high",
        impact="high",
        note="Beta announced",
        expected_version=1,
    )
    ledger.plan_risk_response(
        DEV, project_id, risk_id, strategy="mitigate", plan="Wrap the provider's API"
    )
    closed = ledger.close_risk(PM, project_id, risk_id, reason="API frozen until 2027")
    assert closed.version == 4

    risk = ledger.get_risk(project_id, risk_id)
    assert risk.state is RiskState.CLOSED
    assert risk.owner == DEV
    assert (risk.probability, risk.impact) == (RiskLevel.HIGH, RiskLevel.HIGH)
    assert risk.strategy is RiskResponseStrategy.MITIGATE
    assert risk.response_owner == DEV  # defaults to the risk's owner
    assert risk.issue_id is None
    assert [type(e).__name__ for e in ledger.events.get(risk_id)] == [
        "Identified",
        "Assessed",
        "ResponsePlanned",
        "Closed",
    ]
    with pytest.raises(InvalidTransitionError, match="closed"):
        ledger.assess_risk(PM, project_id, risk_id, probability="low", impact="low")
    with pytest.raises(InvalidTransitionError, match="already closed"):
        ledger.close_risk(PM, project_id, risk_id, reason="again")


def test_identifying_with_the_same_idempotency_key_stores_nothing_twice(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    first = identify(ledger, project_id, idempotency_key="r-1")
    stored = positions(ledger)
    again = ledger.identify_risk(
        PM,
        project_id,
        description="x",
        probability="low",
        impact="low",
        owner=DEV,
        idempotency_key="r-1",
    )
    assert again.id == first
    assert again.position == 0
    assert positions(ledger) == stored
    assert identify(ledger, project_id, idempotency_key="r-2") != first


def test_owners_are_members_and_levels_are_known(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    with pytest.raises(NotAMemberError, match="owner"):
        identify(ledger, project_id, owner="stranger@else.test")
    with pytest.raises(InvalidInputError) as e:
        identify(ledger, project_id, probability="likely")
    assert e.value.field == "probability"
    risk_id = identify(ledger, project_id)
    with pytest.raises(NotAMemberError, match="owner"):
        ledger.plan_risk_response(
            PM, project_id, risk_id, strategy="transfer", plan="x", owner="x@else.test"
        )
    with pytest.raises(InvalidInputError) as e:
        ledger.plan_risk_response(PM, project_id, risk_id, strategy="ignore", plan="x")
    assert e.value.field == "strategy"
    ledger.plan_risk_response(PM, project_id, risk_id, strategy="transfer", plan="x", owner=PM)
    assert ledger.get_risk(project_id, risk_id).response_owner == PM


def test_a_risk_materialises_into_a_new_issue_in_one_save(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    risk_id = identify(ledger, project_id)
    before = positions(ledger)
    recorded = ledger.record_risk_materialised(DEV, project_id, risk_id, expected_version=1)

    assert recorded.id == risk_id
    assert recorded.version == 2
    assert positions(ledger) == before + 2 == recorded.position
    risk = ledger.get_risk(project_id, risk_id)
    assert risk.state is RiskState.MATERIALISED
    assert risk.issue_id is not None
    issue = ledger.get_issue(project_id, risk.issue_id)
    assert issue.kind is IssueKind.PROBLEM
    assert issue.state is IssueState.OPEN
    assert issue.severity is Severity.HIGH  # from the risk's impact
    assert issue.title == "Risk materialised: The payment provider may change its API before launch"
    assert issue.description == "The payment provider may change its API before launch"
    assert issue.raised_by == DEV
    assert issue.raiser_party is Party.TEAM
    # both events were stored in one transaction, next to each other
    notifications = ledger.recorder.select_notifications(before + 1, 10)
    assert {n.originator_id for n in notifications} == {risk_id, issue.id}

    with pytest.raises(InvalidTransitionError, match="already materialised"):
        ledger.record_risk_materialised(DEV, project_id, risk_id)
    assert positions(ledger) == before + 2  # no orphan issue was stored

    ledger.close_risk(PM, project_id, risk_id, reason="Handled as its issue")
    assert ledger.get_risk(project_id, risk_id).state is RiskState.CLOSED


def test_the_new_issue_can_be_described_and_the_command_retried(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    risk_id = identify(ledger, project_id)
    first = ledger.record_risk_materialised(
        PM,
        project_id,
        risk_id,
        issue_title="Payments fail",
        issue_description="Since 09:00",
        issue_severity="critical",
        issue_expected_resolution="Payments work",
        idempotency_key="m-1",
    )
    stored = positions(ledger)
    again = ledger.record_risk_materialised(PM, project_id, risk_id, idempotency_key="m-1")
    assert again == (risk_id, first.version, 0)
    assert positions(ledger) == stored
    issue_id = ledger.get_risk(project_id, risk_id).issue_id
    assert issue_id is not None
    issue = ledger.get_issue(project_id, issue_id)
    assert (issue.title, issue.description) == ("Payments fail", "Since 09:00")
    assert issue.severity is Severity.CRITICAL
    assert issue.expected_resolution == "Payments work"
    # another key is another attempt, and a risk materialises once
    with pytest.raises(InvalidTransitionError, match="already materialised"):
        ledger.record_risk_materialised(PM, project_id, risk_id, idempotency_key="m-2")


def test_the_risk_and_its_new_issue_are_saved_together_or_not_at_all(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = project_with_members(ledger)
    risk_id = identify(ledger, project_id)
    stale = ledger.get_risk(project_id, risk_id)
    ledger.assess_risk(DEV, project_id, risk_id, probability="high", impact="high")
    before = positions(ledger)

    get_item = ledger.get_item

    def stale_risk(cls: type[Any], project_id: UUID, item_id: UUID, error: type[Exception]) -> Any:
        return stale if cls is Risk else get_item(cls, project_id, item_id, error)

    monkeypatch.setattr(ledger, "get_item", stale_risk)
    with pytest.raises(ConflictError):
        ledger.record_risk_materialised(PM, project_id, risk_id)
    monkeypatch.undo()

    assert positions(ledger) == before  # the new issue was not stored either
    assert ledger.get_risk(project_id, risk_id).state is RiskState.OPEN


def test_a_risk_materialises_into_an_existing_issue_of_its_project(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    other_project = ledger.open_project(PM, name="Other", client_org="C", team_org="A").id
    risk_id = identify(ledger, project_id)
    issue_id = ledger.raise_issue(
        SPONSOR, project_id, kind="complaint", title="Payments fail", description="Since 9"
    ).id
    foreign_issue = ledger.raise_issue(
        PM, other_project, kind="problem", title="T", description="D"
    ).id

    with pytest.raises(IssueNotFoundError):
        ledger.record_risk_materialised(PM, project_id, risk_id, issue_id=foreign_issue)
    with pytest.raises(IssueNotFoundError):
        ledger.record_risk_materialised(PM, project_id, risk_id, issue_id=uuid4())
    with pytest.raises(InvalidInputError) as e:
        ledger.record_risk_materialised(
            PM, project_id, risk_id, issue_id=issue_id, issue_title="Payments"
        )
    assert e.value.field == "issue_title"

    before = positions(ledger)
    recorded = ledger.record_risk_materialised(PM, project_id, risk_id, issue_id=issue_id)
    assert positions(ledger) == before + 1 == recorded.position
    risk = ledger.get_risk(project_id, risk_id)
    assert risk.issue_id == issue_id
    assert risk.state is RiskState.MATERIALISED
    with pytest.raises(InvalidTransitionError, match="materialised"):
        ledger.plan_risk_response(PM, project_id, risk_id, strategy="accept", plan="x")


def test_a_closed_risk_does_not_materialise_and_raises_no_issue(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    risk_id = identify(ledger, project_id)
    ledger.close_risk(PM, project_id, risk_id, reason="Passed")
    before = positions(ledger)
    with pytest.raises(InvalidTransitionError, match="closed"):
        ledger.record_risk_materialised(PM, project_id, risk_id)
    assert positions(ledger) == before


def test_a_risk_of_another_project_is_not_found(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    other_project = ledger.open_project(PM, name="Other", client_org="C", team_org="A").id
    risk_id = identify(ledger, project_id)
    with pytest.raises(RiskNotFoundError):
        ledger.get_risk(other_project, risk_id)
    with pytest.raises(RiskNotFoundError):
        ledger.close_risk(PM, other_project, risk_id, reason="x")
    with pytest.raises(RiskNotFoundError):
        ledger.record_risk_materialised(PM, other_project, risk_id)
    with pytest.raises(RiskNotFoundError):
        ledger.get_risk(project_id, uuid4())


def test_a_stale_expected_version_is_refused(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    risk_id = identify(ledger, project_id)
    ledger.assess_risk(PM, project_id, risk_id, probability="low", impact="low")
    with pytest.raises(VersionMismatchError) as e:
        ledger.close_risk(PM, project_id, risk_id, reason="x", expected_version=1)
    assert (e.value.expected, e.value.actual) == (1, 2)
    before = positions(ledger)
    with pytest.raises(VersionMismatchError):
        ledger.record_risk_materialised(PM, project_id, risk_id, expected_version=1)
    assert positions(ledger) == before
    assert ledger.get_risk(project_id, risk_id).state is RiskState.OPEN
