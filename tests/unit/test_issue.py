"""Issue lifecycle: every allowed step and every refused one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.issue import (
    Issue,
    IssueKind,
    IssueState,
    Severity,
    SolutionOption,
)
from ledger.domain.roles import Party
from ledger.domain.values import Money, Source, SourceKind

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "sponsor@client.test"
CLIENT2 = "buyer@client.test"
VENDOR = "vendor@third.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

OPTIONS = (
    SolutionOption(id="A", description="Patch the export", time_days=2),
    SolutionOption(
        id="B",
        description="Rewrite the export",
        cost=Money(amount=Decimal("1200.00"), currency="EUR"),
        time_days=10,
    ),
)


def act(who: str, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def raised(
    *, by: str = CLIENT, party: Party = Party.CLIENT, kind: IssueKind = IssueKind.PROBLEM
) -> Issue:
    return Issue.raise_issue(
        act(by),
        id=uuid4(),
        project_id=uuid4(),
        raiser_party=party,
        kind=kind,
        title="Export to CSV fails",
        description="The monthly export stops at 10,000 rows.",
        severity=Severity.HIGH,
        expected_resolution="All rows exported",
    )


def events(issue: Issue) -> list[str]:
    return [type(e).__name__ for e in issue.collect_events()]


def in_progress() -> Issue:
    issue = raised()
    issue.report_progress(act(DEV), note="Reproduced it")
    return issue


def resolved() -> Issue:
    issue = in_progress()
    issue.resolve(act(DEV), resolution="Export streams rows now")
    return issue


def confirmed() -> Issue:
    issue = resolved()
    issue.confirm_resolution(act(CLIENT), party=Party.CLIENT)
    return issue


def with_options() -> Issue:
    issue = raised()
    issue.propose_solution_options(act(PM), options=OPTIONS)
    return issue


def chosen() -> Issue:
    issue = with_options()
    issue.choose_solution(act(CLIENT), option_id="B", party=Party.CLIENT, note="Do it properly")
    return issue


STATES: dict[str, Callable[[], Issue]] = {
    "open": raised,
    "in_progress": in_progress,
    "resolved": resolved,
    "confirmed": confirmed,
}


# -------------------------------------------------------------------------------- raising


def test_raised_issue_is_open_with_its_fields_and_envelope() -> None:
    issue = raised()
    assert issue.state is IssueState.OPEN
    assert issue.kind is IssueKind.PROBLEM
    assert issue.title == "Export to CSV fails"
    assert issue.severity is Severity.HIGH
    assert issue.expected_resolution == "All rows exported"
    assert issue.raised_by == CLIENT
    assert issue.raiser_party is Party.CLIENT
    assert issue.responses == ()
    assert issue.options == ()
    assert issue.chosen_option is None
    assert issue.resolution is None
    (event,) = issue.collect_events()
    assert isinstance(event, Issue.Raised)
    assert event.actor == CLIENT
    assert event.occurred_at == NOW
    assert event.project_id == issue.project_id


def test_raised_on_behalf_of_someone_names_them_as_raiser() -> None:
    issue = Issue.raise_issue(
        act(PM, for_=CLIENT),
        id=uuid4(),
        project_id=uuid4(),
        raiser_party=Party.CLIENT,
        kind=IssueKind.QUESTION,
        title="  When is the launch?  ",
        description="Asked on the phone",
        source=Source(kind=SourceKind.INTERACTION, id=uuid4()),
    )
    assert issue.raised_by == CLIENT
    assert issue.title == "When is the launch?"
    assert issue.severity is Severity.MEDIUM
    assert issue.expected_resolution == ""
    assert issue.source is not None
    (event,) = issue.collect_events()
    assert event.actor == PM
    assert event.attributed_to == CLIENT


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "  "),
        ("title", "x" * 201),
        ("description", ""),
        ("kind", "problem"),
        ("severity", "urgent"),
        ("raiser_party", "client"),
    ],
)
def test_raising_refuses_bad_input(field: str, value: object) -> None:
    fields: dict[str, object] = {
        "id": uuid4(),
        "project_id": uuid4(),
        "raiser_party": Party.TEAM,
        "kind": IssueKind.PROBLEM,
        "title": "T",
        "description": "D",
        field: value,
    }
    with pytest.raises(InvalidInputError) as e:
        Issue.raise_issue(act(PM), **fields)  # type: ignore[arg-type]
    assert e.value.field == field


# ------------------------------------------------------------------------------ responses


def test_a_question_is_unanswered_until_the_other_side_responds() -> None:
    issue = raised(kind=IssueKind.QUESTION)
    assert issue.is_unanswered
    issue.respond(act(CLIENT2), response="Any news?", party=Party.CLIENT)
    assert issue.is_unanswered  # the raiser's own side does not answer it
    assert not issue.is_answered
    issue.respond(act(PM), response="Launch is on 1 April", party=Party.TEAM)
    assert not issue.is_unanswered
    assert issue.is_answered
    assert [r.by for r in issue.responses] == [CLIENT2, PM]
    assert [r.party for r in issue.responses] == [Party.CLIENT, Party.TEAM]
    assert issue.state is IssueState.OPEN  # answering does not change the state
    assert events(issue) == ["Raised", "ResponseGiven", "ResponseGiven"]


def test_a_third_party_response_answers_a_team_question() -> None:
    issue = raised(by=DEV, party=Party.TEAM, kind=IssueKind.QUESTION)
    issue.respond(act(VENDOR), response="Yes, the API supports it", party=Party.THIRD_PARTY)
    assert issue.is_answered


def test_other_kinds_are_never_unanswered() -> None:
    issue = raised(kind=IssueKind.FEEDBACK)
    assert not issue.is_unanswered
    assert not issue.is_answered


def test_a_response_on_behalf_of_someone_is_theirs() -> None:
    issue = raised()
    issue.respond(act(PM, for_=DEV), response="Looking into it", party=Party.TEAM)
    assert issue.responses[0].by == DEV


@pytest.mark.parametrize("state", ["open", "in_progress"])
def test_responses_are_allowed_while_active(state: str) -> None:
    issue = STATES[state]()
    issue.respond(act(PM), response="Noted", party=Party.TEAM)
    assert len(issue.responses) == 1


@pytest.mark.parametrize("state", ["resolved", "confirmed"])
def test_responses_are_refused_once_resolved(state: str) -> None:
    issue = STATES[state]()
    with pytest.raises(InvalidTransitionError, match=state):
        issue.respond(act(PM), response="Noted", party=Party.TEAM)


def test_a_blank_response_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="response"):
        raised().respond(act(PM), response=" ", party=Party.TEAM)


# -------------------------------------------------------------------------------- options


def test_options_are_proposed_and_can_be_replaced_until_one_is_chosen() -> None:
    issue = with_options()
    assert [o.id for o in issue.options] == ["A", "B"]
    replacement = (SolutionOption(id="C", description="Buy a tool"),)
    issue.propose_solution_options(act(DEV), options=replacement)
    assert issue.options == replacement
    assert issue.state is IssueState.OPEN


def test_options_cannot_change_once_one_is_chosen() -> None:
    issue = chosen()
    with pytest.raises(InvalidTransitionError, match="already chosen"):
        issue.propose_solution_options(act(PM), options=OPTIONS)


@pytest.mark.parametrize("state", ["resolved", "confirmed"])
def test_options_are_refused_once_resolved(state: str) -> None:
    with pytest.raises(InvalidTransitionError, match=state):
        STATES[state]().propose_solution_options(act(PM), options=OPTIONS)


def test_options_are_allowed_while_in_progress() -> None:
    issue = in_progress()
    issue.propose_solution_options(act(PM), options=OPTIONS)
    assert len(issue.options) == 2


def test_option_ids_must_be_unique_and_at_least_one_proposed() -> None:
    issue = raised()
    twice = (SolutionOption(id="A", description="x"), SolutionOption(id="A", description="y"))
    with pytest.raises(InvalidInputError, match="unique: A"):
        issue.propose_solution_options(act(PM), options=twice)
    with pytest.raises(InvalidInputError, match="at least one"):
        issue.propose_solution_options(act(PM), options=())


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "", "description": "x"},
        {"id": "a very long option id", "description": "x"},
        {"id": "A", "description": "  "},
        {"id": "A", "description": "x", "time_days": -1},
        {"id": "A", "description": "x", "cost": {"amount": "1", "currency": "euro"}},
        {"id": "A", "description": "x", "colour": "red"},
    ],
)
def test_solution_options_are_validated(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError, match=r"options\[0\]"):
        SolutionOption.parse_many([bad], "options")


# --------------------------------------------------------------------------------- choice


def test_the_client_chooses_a_proposed_option_and_work_is_in_progress() -> None:
    issue = chosen()
    assert issue.chosen_option_id == "B"
    assert issue.chosen_option == OPTIONS[1]
    assert issue.state is IssueState.IN_PROGRESS
    event = issue.collect_events()[-1]
    assert isinstance(event, Issue.SolutionChosen)
    assert event.by == CLIENT
    assert event.note == "Do it properly"


@pytest.mark.parametrize("party", [Party.TEAM, Party.THIRD_PARTY])
def test_only_the_client_side_chooses(party: Party) -> None:
    issue = with_options()
    with pytest.raises(NotPermittedError, match="client"):
        issue.choose_solution(act(PM), option_id="A", party=party)
    assert issue.chosen_option_id is None


def test_the_choice_is_among_the_proposed_options() -> None:
    issue = with_options()
    with pytest.raises(InvalidInputError, match="option_id") as e:
        issue.choose_solution(act(CLIENT), option_id="Z", party=Party.CLIENT)
    assert "A, B" in e.value.message


def test_nothing_to_choose_before_options_are_proposed() -> None:
    with pytest.raises(InvalidTransitionError, match="no solution options"):
        raised().choose_solution(act(CLIENT), option_id="A", party=Party.CLIENT)


def test_an_option_is_chosen_once() -> None:
    issue = chosen()
    with pytest.raises(InvalidTransitionError, match="already chosen"):
        issue.choose_solution(act(CLIENT2), option_id="A", party=Party.CLIENT)


@pytest.mark.parametrize("state", ["resolved", "confirmed"])
def test_choosing_is_refused_once_resolved(state: str) -> None:
    issue = STATES[state]()
    with pytest.raises(InvalidTransitionError, match=state):
        issue.choose_solution(act(CLIENT), option_id="A", party=Party.CLIENT)


# ------------------------------------------------------------------------------- progress


def test_progress_moves_an_open_issue_in_progress_and_keeps_the_last_percentage() -> None:
    issue = raised()
    issue.report_progress(act(DEV), note="Started", percent_complete=20)
    assert issue.state is IssueState.IN_PROGRESS
    assert issue.percent_complete == 20
    issue.report_progress(act(DEV), note="Waiting on the vendor")
    assert issue.percent_complete == 20
    issue.report_progress(act(DEV), note="Done", percent_complete=100)
    assert issue.percent_complete == 100
    assert events(issue) == ["Raised", *["ProgressReported"] * 3]


@pytest.mark.parametrize("percent", [-1, 101, True, 50.5])
def test_progress_percentage_is_a_whole_number_from_0_to_100(percent: object) -> None:
    with pytest.raises(InvalidInputError, match="percent_complete"):
        raised().report_progress(act(DEV), note="x", percent_complete=percent)  # type: ignore[arg-type]


def test_progress_needs_a_note() -> None:
    with pytest.raises(InvalidInputError, match="note"):
        raised().report_progress(act(DEV), note="")


@pytest.mark.parametrize("state", ["resolved", "confirmed"])
def test_progress_is_refused_once_resolved(state: str) -> None:
    with pytest.raises(InvalidTransitionError, match=state):
        STATES[state]().report_progress(act(DEV), note="x")


# ------------------------------------------------------------------------------ resolving


@pytest.mark.parametrize("state", ["open", "in_progress"])
def test_an_active_issue_can_be_resolved(state: str) -> None:
    issue = STATES[state]()
    issue.resolve(act(DEV), resolution="Fixed in 2.3.1")
    assert issue.state is IssueState.RESOLVED
    assert issue.resolution == "Fixed in 2.3.1"


def test_an_issue_cannot_be_resolved_twice() -> None:
    issue = resolved()
    with pytest.raises(InvalidTransitionError, match="resolved"):
        issue.resolve(act(DEV), resolution="Again")


def test_a_confirmed_issue_cannot_be_resolved() -> None:
    with pytest.raises(InvalidTransitionError, match="confirmed"):
        confirmed().resolve(act(DEV), resolution="Again")


def test_a_resolution_must_say_how() -> None:
    with pytest.raises(InvalidInputError, match="resolution"):
        raised().resolve(act(DEV), resolution=" ")


# ------------------------------------------------------------------- confirming, disputing


def test_the_raisers_side_confirms_the_resolution() -> None:
    issue = resolved()
    issue.confirm_resolution(act(CLIENT2), party=Party.CLIENT, note="Works for us")
    assert issue.state is IssueState.CONFIRMED
    event = issue.collect_events()[-1]
    assert isinstance(event, Issue.ResolutionConfirmed)
    assert event.by == CLIENT2
    assert event.note == "Works for us"


def test_the_raisers_side_disputes_and_the_issue_is_in_progress_again() -> None:
    issue = chosen()
    issue.resolve(act(DEV), resolution="Done")
    issue.dispute_resolution(act(CLIENT), party=Party.CLIENT, reason="Still stops at 10,000")
    assert issue.state is IssueState.IN_PROGRESS
    assert issue.resolution is None
    assert issue.chosen_option_id == "B"  # the chosen solution still stands
    event = issue.collect_events()[-1]
    assert isinstance(event, Issue.ResolutionDisputed)
    assert event.by == CLIENT
    # ... and can be resolved again, then confirmed
    issue.resolve(act(DEV), resolution="Fixed for real")
    issue.confirm_resolution(act(CLIENT), party=Party.CLIENT)
    assert issue.state is IssueState.CONFIRMED


@pytest.mark.parametrize("party", [Party.TEAM, Party.THIRD_PARTY])
def test_only_the_raisers_side_confirms_or_disputes(party: Party) -> None:
    issue = resolved()
    with pytest.raises(NotPermittedError, match="raiser's side"):
        issue.confirm_resolution(act(PM), party=party)
    with pytest.raises(NotPermittedError, match="raiser's side"):
        issue.dispute_resolution(act(PM), party=party, reason="No")
    assert issue.state is IssueState.RESOLVED


def test_a_team_raised_issue_is_confirmed_by_the_team() -> None:
    issue = raised(by=DEV, party=Party.TEAM)
    issue.resolve(act(CLIENT), resolution="Sent the credentials")
    with pytest.raises(NotPermittedError):
        issue.confirm_resolution(act(CLIENT), party=Party.CLIENT)
    issue.confirm_resolution(act(PM), party=Party.TEAM)
    assert issue.state is IssueState.CONFIRMED


@pytest.mark.parametrize("state", ["open", "in_progress", "confirmed"])
def test_confirm_and_dispute_only_after_resolved(state: str) -> None:
    issue = STATES[state]()
    with pytest.raises(InvalidTransitionError, match="not resolved"):
        issue.confirm_resolution(act(CLIENT), party=Party.CLIENT)
    with pytest.raises(InvalidTransitionError, match="not resolved"):
        issue.dispute_resolution(act(CLIENT), party=Party.CLIENT, reason="No")


def test_a_dispute_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        resolved().dispute_resolution(act(CLIENT), party=Party.CLIENT, reason="")


# -------------------------------------------------------------------------------- reopen


@pytest.mark.parametrize("state", ["resolved", "confirmed"])
def test_a_resolved_or_confirmed_issue_can_be_reopened_for_a_new_round(state: str) -> None:
    issue = STATES[state]()
    issue.reopen(act(CLIENT), reason="It happened again")
    assert issue.state is IssueState.IN_PROGRESS
    assert issue.resolution is None
    assert events(issue)[-1] == "Reopened"


def test_reopening_clears_the_options_and_choice_for_a_new_round() -> None:
    issue = chosen()
    issue.resolve(act(DEV), resolution="Done")
    issue.confirm_resolution(act(CLIENT), party=Party.CLIENT)
    issue.reopen(act(PM), reason="Came back after the upgrade")
    assert issue.options == ()
    assert issue.chosen_option_id is None
    issue.propose_solution_options(act(PM), options=OPTIONS)
    issue.choose_solution(act(CLIENT), option_id="A", party=Party.CLIENT)
    assert issue.chosen_option_id == "A"


@pytest.mark.parametrize("state", ["open", "in_progress"])
def test_an_active_issue_cannot_be_reopened(state: str) -> None:
    with pytest.raises(InvalidTransitionError, match="cannot reopen"):
        STATES[state]().reopen(act(CLIENT), reason="x")


def test_reopening_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        confirmed().reopen(act(CLIENT), reason=" ")


def test_nothing_but_reopening_after_confirmed() -> None:
    issue = confirmed()
    refused: list[Callable[[], None]] = [
        lambda: issue.respond(act(PM), response="x", party=Party.TEAM),
        lambda: issue.propose_solution_options(act(PM), options=OPTIONS),
        lambda: issue.choose_solution(act(CLIENT), option_id="A", party=Party.CLIENT),
        lambda: issue.report_progress(act(DEV), note="x"),
        lambda: issue.resolve(act(DEV), resolution="x"),
        lambda: issue.confirm_resolution(act(CLIENT), party=Party.CLIENT),
        lambda: issue.dispute_resolution(act(CLIENT), party=Party.CLIENT, reason="x"),
    ]
    for step in refused:
        with pytest.raises(InvalidTransitionError):
            step()
    assert issue.state is IssueState.CONFIRMED


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    issue = chosen()
    issue.respond(act(PM), response="On it", party=Party.TEAM)
    issue.report_progress(act(DEV), note="Half way", percent_complete=50)
    issue.resolve(act(DEV), resolution="Done")
    issue.dispute_resolution(act(CLIENT), party=Party.CLIENT, reason="Not quite")
    issue.resolve(act(DEV), resolution="Done now")
    issue.confirm_resolution(act(CLIENT), party=Party.CLIENT)
    issue.reopen(act(CLIENT), reason="Back again")
    copy: Issue | None = None
    for event in issue.collect_events():
        copy = event.mutate(copy)
    assert copy is not None
    assert vars(copy) == vars(issue)
