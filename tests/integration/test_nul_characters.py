"""NUL (``\\x00``) never enters the ledger's text, on SQLite and PostgreSQL: commands refuse it
naming the field (whatever calls them: the CLI, an import, a script), the importers leave it out
of the text they derive (the originals keep it), and history stored before the rule stays
readable."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import Notification, StoredEvent

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError
from ledger.domain.interaction import Interaction
from ledger.interchange.importing.minutes import import_minutes
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from ledger.storage.eventlog import without_nul
from projections import queries as q
from projections.asof import LiveViews
from projections.runner import ProjectionRunner

PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"
MINUTES = (
    Path(__file__).resolve().parent.parent / "data" / "minutes" / "weekly-review.md"
).read_bytes()


def open_project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Nul", client_org="C", team_org="T").id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    return project_id


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


EMAIL: dict[str, Any] = {"channel": "email", "subject": "S", "summary": "", "from_address": PM}

COMMANDS: list[tuple[str, Callable[[Ledger, UUID], object]]] = [
    ("name", lambda lg, p: lg.open_project(PM, name="P\x00", client_org="C", team_org="T")),
    ("name", lambda lg, p: lg.add_member(PM, p, email="x@t.test", name="X\x00", party="team",
                                       role="team_member")),
    ("summary", lambda lg, p: lg.record_interaction(PM, p, **{**EMAIL, "summary": "a\x00"})),
    ("items[0].subject", lambda lg, p: lg.record_interactions(PM, p, [{**EMAIL,
                                                                         "subject": "\x00"}])),
    ("statement", lambda lg, p: lg.make_commitment(PM, p, promisor=PM, promisee=SPONSOR,
                                                statement="Ship\x00")),
    ("title", lambda lg, p: lg.raise_issue(SPONSOR, p, kind="question", title="Why\x00",
                                         description="d")),
    ("agenda[0]", lambda lg, p: lg.hold_meeting(PM, p, title="M", attendees=[PM, SPONSOR],
                                              agenda=["a\x00"], channel="video")),
]  # fmt: skip


@pytest.mark.parametrize(("field", "command"), COMMANDS)
def test_commands_refuse_nul_naming_the_field(
    ledger: Ledger, field: str, command: Callable[[Ledger, UUID], object]
) -> None:
    project_id = open_project(ledger)
    before = head(ledger)
    with pytest.raises(InvalidInputError) as caught:
        command(ledger, project_id)
    assert caught.value.field == field
    assert "NUL" in caught.value.message
    assert head(ledger) == before


def test_corrections_refuse_nul_naming_the_field(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    interaction = ledger.record_interaction(PM, project_id, **EMAIL).id
    with pytest.raises(InvalidInputError, match=r"^changes\.summary: must not contain NUL"):
        ledger.correct_interaction(
            PM, project_id, interaction, changes={"summary": "x\x00"}, reason="typo"
        )


def test_minutes_with_nul_import_without_it(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    data = MINUTES.replace(b"checkout redesign", b"checkout\x00 redesign").replace(
        b"Deliver the revised", b"Deliver\x00 the revised"
    )
    result = import_minutes(ledger, project_id, PM, data, filename="week\x00.md")
    meeting = ledger.get_meeting(project_id, result.meeting_id)
    assert meeting.title == "Weekly review: checkout redesign"
    descriptions = [a.description for a in meeting.action_items]
    assert "Deliver the revised wireframes" in descriptions
    document = ledger.get_interaction(project_id, result.document_interaction_id)
    assert [a.name for a in document.attachments] == ["week.md"]
    with DocumentStore(ledger.storage) as documents:
        assert documents.get(result.document_sha256) == data  # the file, byte for byte


def test_history_stored_before_the_rule_stays_readable(ledger: Ledger) -> None:
    """An event holding NUL, stored by an earlier version (``Interaction.Recorded`` of class
    version 1: no ``display_names`` or ``delivery_failure``, no ``class_version`` key, as
    eventsourcing stores a version 1), still loads through the ledger and the views: the rule is
    for new events, never for decoding. The views show U+FFFD in its place, on both backends
    (PostgreSQL's text columns cannot hold NUL: one such event used to stop every view)."""
    project_id = open_project(ledger)
    interaction_id = uuid4()
    now = datetime.now(UTC)
    recorded = Interaction.record(
        Act(PM, occurred_at=now - timedelta(days=1)),
        id=interaction_id,
        project_id=project_id,
        channel="email",
        subject="Old",
        summary="An old note",
        from_address=PM,
        to=[SPONSOR],
    )
    stored = ledger.mapper.to_stored_event(recorded.collect_events()[0])
    state = orjson.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["display_names"], state["delivery_failure"]  # as version 1 stored it
    state["subject"] = "Old\x00"
    state["summary"] = "before\x00after"
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=stored.originator_id,
                originator_version=stored.originator_version,
                topic=stored.topic,
                state=orjson.dumps(state),
            )
        ]
    )

    old = ledger.get_interaction(project_id, interaction_id)
    assert (old.subject, old.summary) == ("Old\x00", "before\x00after")
    assert (old.display_names, old.delivery_failure) == ((), None)  # upcast to version 2
    # The views take it in and answer with it, then go on with what follows.
    ledger.record_interaction(PM, project_id, channel="phone", subject="New", summary="s",
                              from_address=PM, participants=[SPONSOR])  # fmt: skip
    runner = ProjectionRunner(ledger)
    try:
        runner.catch_up()
        live = LiveViews(runner)
        lines, _ = q.timeline(live, str(project_id), limit=100)
        old_lines = [r for r in lines if r["subject_id"] == str(interaction_id)]
        assert len(old_lines) == 1
        assert "“Old\ufffd”" in old_lines[0]["narrative"]  # the same on both backends
        assert any("“New”" in r["narrative"] for r in lines)
        assert [v.name for v in runner.status() if v.lag] == []  # every view took it in
    finally:
        runner.close()


def test_the_views_read_each_stored_nul_as_a_replacement_character_and_nothing_else() -> None:
    """Only an escaped NUL of the stored JSON changes; the text ``\\u0000`` (a backslash, then
    ``u0000``) stays as it was."""
    texts = ["a\x00b", "\\u0000", "\\\x00", "\\\\u0000\x00", "no nul"]
    stored = Notification(
        originator_id=uuid4(), originator_version=1, topic="t", state=orjson.dumps(texts), id=1
    )
    read = orjson.loads(without_nul(stored).state)
    assert read == [t.replace("\x00", "\ufffd") for t in texts]
    clean = dataclasses.replace(stored, state=orjson.dumps(["no nul"]))
    assert without_nul(clean) is clean
