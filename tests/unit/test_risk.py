"""Risk lifecycle: every allowed step and every refused one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError
from ledger.domain.issue import Issue, IssueKind
from ledger.domain.risk import Level, Risk, RiskLevel, RiskResponseStrategy, RiskState
from ledger.domain.roles import Party

PM = "pm@acme.test"
DEV = "dev@acme.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PROJECT = uuid4()


def act(who: str = PM, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def identified() -> Risk:
    return Risk.identify(
        act(),
        id=uuid4(),
        project_id=PROJECT,
        description="The payment provider may change its API before launch",
        probability=RiskLevel.MEDIUM,
        impact=RiskLevel.HIGH,
        owner=DEV,
    )


def issue_in(project_id: UUID) -> Issue:
    return Issue.raise_issue(
        act(),
        id=uuid4(),
        project_id=project_id,
        raiser_party=Party.TEAM,
        kind=IssueKind.PROBLEM,
        title="Payments broken",
        description="The provider changed its API",
    )


def materialised() -> Risk:
    risk = identified()
    risk.materialise(act(), issue=issue_in(PROJECT))
    return risk


def closed() -> Risk:
    risk = identified()
    risk.close(act(), reason="Provider confirmed the API is frozen")
    return risk


def events(risk: Risk) -> list[str]:
    return [type(e).__name__ for e in risk.collect_events()]


STATES: dict[str, Callable[[], Risk]] = {
    "materialised": materialised,
    "closed": closed,
}


def test_identified_risk_is_open_with_its_estimate_and_owner() -> None:
    risk = identified()
    assert risk.state is RiskState.OPEN
    assert risk.probability is RiskLevel.MEDIUM
    assert risk.impact is Level.HIGH  # Level is the design's name for RiskLevel
    assert risk.owner == DEV
    assert risk.strategy is None
    assert risk.plan is None
    assert risk.response_owner is None
    assert risk.issue_id is None
    (event,) = risk.collect_events()
    assert isinstance(event, Risk.Identified)
    assert event.project_id == PROJECT
    assert event.actor == PM


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", " "),
        ("probability", "medium"),
        ("impact", "huge"),
        ("owner", "not an email"),
    ],
)
def test_identifying_refuses_bad_input(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "id": uuid4(),
        "project_id": PROJECT,
        "description": "D",
        "probability": RiskLevel.LOW,
        "impact": RiskLevel.LOW,
        "owner": DEV,
        field: value,
    }
    with pytest.raises(InvalidInputError) as e:
        Risk.identify(act(), **fields)  # type: ignore[arg-type]
    assert e.value.field == field


def test_an_open_risk_is_assessed_again_and_again() -> None:
    risk = identified()
    risk.assess(act(DEV), probability=RiskLevel.HIGH, impact=RiskLevel.HIGH, note="Beta announced")
    assert (risk.probability, risk.impact) == (RiskLevel.HIGH, RiskLevel.HIGH)
    risk.assess(act(DEV), probability=RiskLevel.LOW, impact=RiskLevel.HIGH)
    assert risk.probability is RiskLevel.LOW
    assert risk.state is RiskState.OPEN
    assert events(risk) == ["Identified", "Assessed", "Assessed"]


def test_an_assessment_uses_the_levels() -> None:
    with pytest.raises(InvalidInputError, match="probability"):
        identified().assess(act(), probability="high", impact=RiskLevel.LOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="impact"):
        identified().assess(act(), probability=RiskLevel.LOW, impact=None)  # type: ignore[arg-type]


def test_a_response_is_planned_and_can_be_replanned() -> None:
    risk = identified()
    risk.plan_response(
        act(), strategy=RiskResponseStrategy.MITIGATE, plan="Wrap the API", owner=" Dev@Acme.test "
    )
    assert risk.strategy is RiskResponseStrategy.MITIGATE
    assert risk.plan == "Wrap the API"
    assert risk.response_owner == DEV
    assert risk.owner == DEV  # the risk's owner is unchanged
    risk.plan_response(act(), strategy=RiskResponseStrategy.TRANSFER, plan="Insure", owner=PM)
    assert risk.strategy is RiskResponseStrategy.TRANSFER
    assert risk.response_owner == PM
    assert risk.state is RiskState.OPEN


def test_a_response_plan_is_validated() -> None:
    risk = identified()
    with pytest.raises(InvalidInputError, match="strategy"):
        risk.plan_response(act(), strategy="ignore", plan="x", owner=DEV)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="plan"):
        risk.plan_response(act(), strategy=RiskResponseStrategy.ACCEPT, plan=" ", owner=DEV)
    with pytest.raises(InvalidInputError, match="owner"):
        risk.plan_response(act(), strategy=RiskResponseStrategy.ACCEPT, plan="x", owner="dev")


def test_an_open_risk_materialises_into_an_issue_of_its_project() -> None:
    risk = identified()
    issue = issue_in(PROJECT)
    risk.materialise(act(), issue=issue)
    assert risk.state is RiskState.MATERIALISED
    assert risk.issue_id == issue.id
    event = risk.collect_events()[-1]
    assert isinstance(event, Risk.Materialised)
    assert event.issue_id == issue.id


def test_a_risk_cannot_materialise_into_another_projects_issue() -> None:
    risk = identified()
    with pytest.raises(InvalidInputError, match="another project") as e:
        risk.materialise(act(), issue=issue_in(uuid4()))
    assert e.value.field == "issue_id"
    assert risk.state is RiskState.OPEN


def test_a_risk_materialises_once() -> None:
    risk = materialised()
    with pytest.raises(InvalidTransitionError, match="already materialised"):
        risk.materialise(act(), issue=issue_in(PROJECT))
    with pytest.raises(InvalidTransitionError, match="already materialised"):
        risk.check_may_materialise()


def test_a_materialised_risk_can_still_be_closed() -> None:
    risk = materialised()
    risk.close(act(), reason="Handled as its issue")
    assert risk.state is RiskState.CLOSED
    assert risk.issue_id is not None
    assert events(risk) == ["Identified", "Materialised", "Closed"]


def test_an_open_risk_can_be_closed() -> None:
    risk = closed()
    assert risk.state is RiskState.CLOSED


def test_closing_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        identified().close(act(), reason="")


@pytest.mark.parametrize("state", ["materialised", "closed"])
def test_a_materialised_or_closed_risk_is_no_longer_assessed_or_planned(state: str) -> None:
    risk = STATES[state]()
    with pytest.raises(InvalidTransitionError, match=state):
        risk.assess(act(), probability=RiskLevel.LOW, impact=RiskLevel.LOW)
    with pytest.raises(InvalidTransitionError, match=state):
        risk.plan_response(act(), strategy=RiskResponseStrategy.AVOID, plan="x", owner=DEV)


def test_nothing_after_closed() -> None:
    risk = closed()
    with pytest.raises(InvalidTransitionError, match="closed"):
        risk.materialise(act(), issue=issue_in(PROJECT))
    with pytest.raises(InvalidTransitionError, match="already closed"):
        risk.close(act(), reason="Again")
    assert events(risk) == ["Identified", "Closed"]


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    risk = identified()
    risk.assess(act(), probability=RiskLevel.HIGH, impact=RiskLevel.MEDIUM, note="n")
    risk.plan_response(act(), strategy=RiskResponseStrategy.AVOID, plan="Switch", owner=PM)
    risk.materialise(act(), issue=issue_in(PROJECT))
    risk.close(act(), reason="Done")
    copy: Risk | None = None
    for event in risk.collect_events():
        copy = event.mutate(copy)
    assert copy is not None
    assert vars(copy) == vars(risk)
