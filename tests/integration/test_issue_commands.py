"""Issue commands against real storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.issue import IssueKind, IssueNotFoundError, IssueState, Severity, SolutionOption
from ledger.domain.project import NotAMemberError
from ledger.domain.roles import Party
from ledger.domain.values import Money, SourceKind
from ledger.service.application import Ledger, VersionMismatchError
from tests import builders
from tests.builders import AUDITOR, DEV, PM, SPONSOR, positions

BUYER = "buyer@client.test"

OPTIONS = [
    {"id": "A", "description": "Patch the export", "time_days": 2},
    {
        "id": "B",
        "description": "Rewrite the export",
        "cost": {"amount": "1200.50", "currency": "EUR"},
        "time_days": 10,
    },
]


def project_with_members(ledger: Ledger) -> UUID:
    return builders.project_with_members(ledger, (BUYER, "Bo", "client", "client_member"))


def raise_problem(ledger: Ledger, project_id: UUID, by: str = SPONSOR, **kw: object) -> UUID:
    return ledger.raise_issue(
        by,
        project_id,
        kind="problem",
        title="Export to CSV fails",
        description="The monthly export stops at 10,000 rows.",
        severity="high",
        **kw,  # type: ignore[arg-type]
    ).id


def test_an_issue_lifecycle_is_stored_and_read_back(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    source = {"kind": "interaction", "id": str(uuid4())}
    recorded = ledger.raise_issue(
        SPONSOR,
        project_id,
        kind="problem",
        title="Export to CSV fails",
        description="The monthly export stops at 10,000 rows.",
        severity="high",
        expected_resolution="All rows exported",
        source=source,
    )
    issue_id = recorded.id
    assert recorded.version == 1
    assert recorded.position > 0

    ledger.respond_to_issue(DEV, project_id, issue_id, response="Reproduced", expected_version=1)
    ledger.propose_solution_options(PM, project_id, issue_id, options=OPTIONS)
    ledger.choose_solution(SPONSOR, project_id, issue_id, option_id=" B ", note="Properly")
    ledger.report_issue_progress(DEV, project_id, issue_id, note="Half way", percent_complete=50)
    ledger.resolve_issue(DEV, project_id, issue_id, resolution="Streams rows now")
    done = ledger.confirm_resolution(BUYER, project_id, issue_id, note="Works")
    assert done.version == 7

    issue = ledger.get_issue(project_id, issue_id)
    assert issue.state is IssueState.CONFIRMED
    assert issue.kind is IssueKind.PROBLEM
    assert issue.severity is Severity.HIGH
    assert issue.raised_by == SPONSOR
    assert issue.raiser_party is Party.CLIENT
    assert issue.source is not None
    assert issue.source.kind is SourceKind.INTERACTION
    assert [r.by for r in issue.responses] == [DEV]
    assert issue.options == SolutionOption.parse_many(OPTIONS, "options")
    chosen = issue.chosen_option
    assert chosen is not None
    assert chosen.id == "B"
    assert chosen.cost == Money(amount=Decimal("1200.50"), currency="EUR")
    assert isinstance(chosen.cost.amount, Decimal)
    assert issue.percent_complete == 50
    assert issue.resolution == "Streams rows now"

    ledger.reopen_issue(SPONSOR, project_id, issue_id, reason="It came back")
    issue = ledger.get_issue(project_id, issue_id)
    assert issue.state is IssueState.IN_PROGRESS
    assert issue.chosen_option_id is None

    stored = [type(e).__name__ for e in ledger.events.get(issue_id)]
    assert stored == [
        "Raised",
        "ResponseGiven",
        "SolutionOptionsProposed",
        "SolutionChosen",
        "ProgressReported",
        "Resolved",
        "ResolutionConfirmed",
        "Reopened",
    ]


def test_raising_with_the_same_idempotency_key_stores_nothing_twice(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    first = ledger.raise_issue(
        SPONSOR, project_id, kind="question", title="Q", description="D", idempotency_key="q-1"
    )
    stored = positions(ledger)
    again = ledger.raise_issue(
        SPONSOR, project_id, kind="question", title="Q", description="D", idempotency_key="q-1"
    )
    assert again.id == first.id
    assert again.position == 0
    assert again.version == 1
    assert positions(ledger) == stored
    other = ledger.raise_issue(
        SPONSOR, project_id, kind="question", title="Q", description="D", idempotency_key="q-2"
    )
    assert other.id != first.id


def test_only_the_client_side_chooses_a_solution(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    issue_id = raise_problem(ledger, project_id, by=DEV)
    ledger.propose_solution_options(DEV, project_id, issue_id, options=OPTIONS)
    for team_member in (PM, DEV):
        with pytest.raises(NotPermittedError, match="client"):
            ledger.choose_solution(team_member, project_id, issue_id, option_id="A")
    with pytest.raises(NotPermittedError, match="auditor"):
        ledger.choose_solution(AUDITOR, project_id, issue_id, option_id="A")
    assert ledger.get_issue(project_id, issue_id).chosen_option_id is None
    # the PM may not record the client's choice "as" the client: the choice is the client's own
    with pytest.raises(NotPermittedError, match=f"consent of {BUYER}"):
        ledger.choose_solution(PM, project_id, issue_id, option_id="A", attributed_to=BUYER)
    assert ledger.get_issue(project_id, issue_id).chosen_option_id is None
    # a client colleague the buyer named may
    ledger.name_delegate(BUYER, project_id, delegate=SPONSOR)
    ledger.choose_solution(SPONSOR, project_id, issue_id, option_id="A", attributed_to=BUYER)
    issue = ledger.get_issue(project_id, issue_id)
    assert issue.chosen_option_id == "A"
    assert issue.state is IssueState.IN_PROGRESS


def test_the_choice_is_among_the_proposed_options(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    issue_id = raise_problem(ledger, project_id)
    with pytest.raises(InvalidTransitionError, match="no solution options"):
        ledger.choose_solution(SPONSOR, project_id, issue_id, option_id="A")
    ledger.propose_solution_options(PM, project_id, issue_id, options=OPTIONS)
    with pytest.raises(InvalidInputError, match="option_id"):
        ledger.choose_solution(SPONSOR, project_id, issue_id, option_id="C")


def test_only_the_raisers_side_confirms_or_disputes(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    issue_id = raise_problem(ledger, project_id)  # raised by the client
    ledger.resolve_issue(DEV, project_id, issue_id, resolution="Fixed")
    with pytest.raises(NotPermittedError, match="raiser's side"):
        ledger.confirm_resolution(PM, project_id, issue_id)
    with pytest.raises(NotPermittedError, match="raiser's side"):
        ledger.dispute_resolution(DEV, project_id, issue_id, reason="No")
    ledger.dispute_resolution(BUYER, project_id, issue_id, reason="Still broken")
    issue = ledger.get_issue(project_id, issue_id)
    assert issue.state is IssueState.IN_PROGRESS
    assert issue.resolution is None
    with pytest.raises(InvalidTransitionError, match="not resolved"):
        ledger.confirm_resolution(SPONSOR, project_id, issue_id)
    ledger.resolve_issue(DEV, project_id, issue_id, resolution="Fixed again")
    with pytest.raises(InvalidTransitionError, match="resolved"):
        ledger.resolve_issue(DEV, project_id, issue_id, resolution="Twice")
    ledger.confirm_resolution(SPONSOR, project_id, issue_id)
    assert ledger.get_issue(project_id, issue_id).state is IssueState.CONFIRMED
    with pytest.raises(InvalidTransitionError, match="confirmed"):
        ledger.report_issue_progress(DEV, project_id, issue_id, note="More")


def test_a_question_is_unanswered_until_the_other_side_responds(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    issue_id = ledger.raise_issue(
        PM,
        project_id,
        kind="question",
        title="Logo file?",
        description="Which format?",
        attributed_to=DEV,
    ).id
    issue = ledger.get_issue(project_id, issue_id)
    assert issue.raised_by == DEV
    assert issue.raiser_party is Party.TEAM
    ledger.respond_to_issue(PM, project_id, issue_id, response="Asked them by phone")
    assert ledger.get_issue(project_id, issue_id).is_unanswered
    ledger.respond_to_issue(SPONSOR, project_id, issue_id, response="SVG please")
    issue = ledger.get_issue(project_id, issue_id)
    assert not issue.is_unanswered
    assert [(r.by, r.party) for r in issue.responses] == [
        (PM, Party.TEAM),
        (SPONSOR, Party.CLIENT),
    ]


def test_bad_input_is_refused_naming_the_field(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    with pytest.raises(InvalidInputError) as e:
        ledger.raise_issue(SPONSOR, project_id, kind="bug", title="T", description="D")
    assert e.value.field == "kind"
    with pytest.raises(InvalidInputError) as e:
        ledger.raise_issue(
            SPONSOR, project_id, kind="problem", title="T", description="D", severity="urgent"
        )
    assert e.value.field == "severity"
    issue_id = raise_problem(ledger, project_id)
    with pytest.raises(InvalidInputError) as e:
        ledger.propose_solution_options(
            PM, project_id, issue_id, options=[{"id": "A", "description": "x", "time_days": -2}]
        )
    assert e.value.field == "options[0]"
    with pytest.raises(InvalidInputError) as e:
        ledger.report_issue_progress(DEV, project_id, issue_id, note="x", percent_complete=120)
    assert e.value.field == "percent_complete"
    with pytest.raises(NotAMemberError):
        ledger.raise_issue(
            "stranger@else.test", project_id, kind="problem", title="T", description="D"
        )


def test_an_issue_of_another_project_is_not_found(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    other_project = ledger.open_project(PM, name="Other", client_org="C", team_org="A").id
    issue_id = raise_problem(ledger, project_id)
    with pytest.raises(IssueNotFoundError):
        ledger.get_issue(other_project, issue_id)
    with pytest.raises(IssueNotFoundError):
        ledger.resolve_issue(PM, other_project, issue_id, resolution="x")
    with pytest.raises(IssueNotFoundError):
        ledger.get_issue(project_id, uuid4())
    with pytest.raises(IssueNotFoundError):
        ledger.get_issue(project_id, project_id)  # a project is not an issue


def test_a_stale_expected_version_is_refused(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    issue_id = raise_problem(ledger, project_id)
    ledger.respond_to_issue(DEV, project_id, issue_id, response="Looking", expected_version=1)
    with pytest.raises(VersionMismatchError) as e:
        ledger.resolve_issue(DEV, project_id, issue_id, resolution="x", expected_version=1)
    assert (e.value.expected, e.value.actual) == (1, 2)
    assert ledger.get_issue(project_id, issue_id).state is IssueState.OPEN
