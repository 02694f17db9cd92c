"""Reading Markdown minutes (no storage): the form, and errors that name their line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger.interchange.importing.minutes import (
    DraftActionItem,
    DraftDecision,
    MinutesError,
    MinutesParseError,
    parse_minutes,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "minutes"
PARIS = ZoneInfo("Europe/Paris")


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(MinutesParseError) as caught:
        parse_minutes(text)
    return [(e.line, e.message) for e in caught.value.errors]


def test_the_documented_example_reads_whole() -> None:
    draft = parse_minutes((DATA / "weekly-review.md").read_text(encoding="utf-8"))
    assert draft.title == "Weekly review: checkout redesign"
    assert draft.held_at == datetime(2026, 3, 5, 10, 0, tzinfo=PARIS)
    assert draft.place == "Client HQ, room 4"
    assert draft.channel is None
    assert draft.attendees == [
        "pm@team.test",
        "dev@team.test",
        "sponsor@client.test",
        "jane@vendor.test",  # from the continuation line
    ]
    assert draft.agenda == ["wireframes", "budget", "next review"]
    assert draft.minutes_by == "dev@team.test"
    assert draft.discussion_points[1] == (
        "The payment provider's new API is not stable yet; the team will keep the current "
        "integration for now."
    )
    assert draft.decisions == [
        DraftDecision("Go with the two-step checkout.", ("sponsor@client.test", "pm@team.test")),
        DraftDecision("Keep the current payment provider until June."),
    ]
    assert draft.action_items == [
        DraftActionItem(
            "pm@team.test",
            "Deliver the revised wireframes",
            datetime(2026, 12, 1, 23, 59, 59, tzinfo=PARIS),  # a date alone: end of that day
        ),
        DraftActionItem(
            "sponsor@client.test",
            "Confirm the budget for phase 2",
            datetime(2026, 3, 12, 17, 0, tzinfo=PARIS),  # in the meeting's zone
        ),
        DraftActionItem(
            "dev@team.test", "Estimate the API migration", promisee="sponsor@client.test"
        ),
    ]
    assert draft.lines["action_items[1]"] == 21
    assert draft.line_of("action_items[1].owner") == 21
    assert draft.line_of("attendees[3]") == 5
    assert draft.line_of("nothing") == 1


def test_lists_may_follow_their_field_and_fields_may_be_bold() -> None:
    draft = parse_minutes(
        "# Kick-off\n"
        "- **Date:** 2026-03-05T10:00:00Z\n"
        "- **Channel:** video (Teams)\n"
        "Attendees:\n"
        "- Pat <pm@team.test>\n"
        "- sponsor@client.test\n"
        "\n"
        "<!-- a comment\n"
        "   over lines -->\n"
        "## Agenda\n"
        "1. Scope\n"
        "2. Dates\n"
        "## Notes\n"
        "* One point\n"
        "## Actions\n"
        "- @pm@team.test Send the plan (due 2026-03-06 09:30 -05:00) (to sponsor@client.test)\n"
    )
    assert draft.held_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert draft.channel == "video (Teams)"
    assert draft.attendees == ["pm@team.test", "sponsor@client.test"]
    assert draft.agenda == ["Scope", "Dates"]
    assert draft.discussion_points == ["One point"]
    item = draft.action_items[0]
    assert item.due_at == datetime(2026, 3, 6, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert item.promisee == "sponsor@client.test"


def test_every_error_of_a_file_names_its_line() -> None:
    with pytest.raises(MinutesParseError) as caught:
        parse_minutes((DATA / "broken.md").read_text(encoding="utf-8"))
    assert [e.line for e in caught.value.errors] == [3, 4, 5, 9, 12, 15, 16, 17, 19]
    messages = {e.line: e.message for e in caught.value.errors}
    assert "needs a time zone" in messages[3]
    assert "unknown field 'Venue'" in messages[4]
    assert "'Sue Sponsor' has no email address" in messages[5]
    assert "expected a list item" in messages[9]
    assert "no statement" in messages[12]
    assert "ticked action item" in messages[15]
    assert "names its owner first" in messages[16]
    assert "'12 March' is not a date" in messages[17]
    assert "unknown section 'Risks'" in messages[19]
    assert str(caught.value.errors[0]).startswith("line 3: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "the minutes are empty")]),
        ("Just text\n", [(1, "begin with the meeting's title")]),
        (
            "# T\nAttendees: a@x.test\n## Discussion\n- p\n",
            [(1, "give the meeting's date and time")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Z\n## Discussion\n- p\n",
            [(1, "list the attendees")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Z\nAttendees: a@x.test\n",
            [(3, "need a discussion point, a decision or an action item")],
        ),
        (
            "# T\nDate: 2026-03-05 Europe/Paris\nAttendees: a@x.test\n## Decisions\n- d\n",
            [(2, "needs a time and a zone")],
        ),
        (
            "# T\nDate: 2026-02-30 10:00 Z\nAttendees: a@x.test\n## Decisions\n- d\n",
            [(2, "not a valid date")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Mars/Olympus\nAttendees: a@x.test\n## Decisions\n- d\n",
            [(2, "needs a time zone")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Z\nAttendees: a@x.test, b@@x\n## Decisions\n- d\n",
            [(3, "'b@@x' is not an email address")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Z\nAttendees: a@x.test\nPlace:\n## Decisions\n- d\n",
            [(4, "Place has no value")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Z\nAttendees: a@x.test\n## Action items\n"
            "- [ ] @a@x.test Do it (due 2026-03-06) (due 2026-03-07)\n",
            [(5, "two due dates")],
        ),
        (
            "# T\nDate: 2026-03-05 10:00 Z\nAttendees: a@x.test\n## Action items\n"
            "- [ ] @a@x.test (due 2026-03-06)\n",
            [(5, "no description")],
        ),
    ],
)
def test_errors(text: str, expected: list[tuple[int, str]]) -> None:
    found = errors_of(text)
    assert [line for line, _ in found] == [line for line, _ in expected], found
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert wanted in message


def test_an_error_reads_as_file_line_message() -> None:
    assert str(MinutesError(7, "bad")) == "line 7: bad"
    error = MinutesParseError([MinutesError(2, "x"), MinutesError(5, "y")])
    assert error.field == "minutes"
    assert str(error) == "minutes: line 2: x; line 5: y"
