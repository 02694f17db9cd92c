"""Importing Markdown minutes: one atomic save of the meeting, its minutes, commitments,
decisions and the minutes document; errors name the line (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from ledger.domain.errors import NotPermittedError
from ledger.domain.interaction import InteractionChannel
from ledger.domain.project import NotAMemberError
from ledger.domain.values import SourceKind
from ledger.interchange.importing.minutes import MinutesParseError, import_minutes
from ledger.service.application import Ledger
from ledger.service.commands.minutes import minutes_document_id
from ledger.storage.documents import DocumentStore

DATA = Path(__file__).resolve().parent.parent / "data" / "minutes"
MINUTES = (DATA / "weekly-review.md").read_bytes()
PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"


def open_project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Checkout", client_org="Client", team_org="Team").id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    ledger.add_member(
        PM, project_id, email="al@pmo.test", name="Al", party="third_party", role="auditor"
    )
    return project_id


def position(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def test_minutes_become_a_meeting_with_commitments_decisions_and_the_original(
    ledger: Ledger,
) -> None:
    project_id = open_project(ledger)
    before = position(ledger)
    result = import_minutes(ledger, project_id, PM, MINUTES, filename="weekly-review.md")
    assert not result.already_imported

    meeting = ledger.get_meeting(project_id, result.meeting_id)
    assert meeting.title == "Weekly review: checkout redesign"
    assert meeting.place == "Client HQ, room 4"
    assert meeting.attendees == ("pm@team.test", DEV, SPONSOR, "jane@vendor.test")
    assert meeting.agenda == ("wireframes", "budget", "next review")
    assert len(meeting.discussion_points) == 2
    assert meeting.decisions == (
        "Go with the two-step checkout.",
        "Keep the current payment provider until June.",
    )
    assert meeting.minutes_by == (PM, DEV)  # recorded by the importer, taken by dev
    held = next(iter(ledger.events.get(result.meeting_id)))
    assert held.occurred_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)

    commitments = [ledger.get_commitment(project_id, c) for c in result.commitment_ids]
    assert [(c.promisor, c.promisee, c.statement) for c in commitments] == [
        (PM, SPONSOR, "Deliver the revised wireframes"),  # promisee: the other side's first
        (SPONSOR, PM, "Confirm the budget for phase 2"),
        (DEV, SPONSOR, "Estimate the API migration"),
    ]
    assert commitments[0].due_at == datetime.fromisoformat("2026-12-01T23:59:59+01:00")
    assert commitments[1].due_at == datetime.fromisoformat("2026-03-12T17:00:00+01:00")
    assert all(c.source is not None and c.source.id == meeting.id for c in commitments)

    # Only the decision that names who took it becomes a Decision; both are in the minutes.
    (decision_id,) = result.decision_ids
    decision = ledger.get_decision(project_id, decision_id)
    assert decision.statement == "Go with the two-step checkout."
    assert decision.decided_by == (SPONSOR, PM)
    assert decision.source is not None
    assert (decision.source.kind, decision.source.id, decision.source.sha256) == (
        SourceKind.MEETING,
        meeting.id,
        hashlib.sha256(MINUTES).hexdigest(),
    )

    # The original Markdown, byte for byte, found from the meeting alone.
    document = ledger.get_interaction(project_id, minutes_document_id(project_id, meeting.id))
    assert document.id == result.document_interaction_id
    assert document.channel is InteractionChannel.DOCUMENT
    assert document.body_sha256 == result.document_sha256 == hashlib.sha256(MINUTES).hexdigest()
    assert document.attachments[0].name == "weekly-review.md"
    assert document.participants == meeting.attendees
    with DocumentStore(ledger.storage) as documents:
        assert documents.get(result.document_sha256) == MINUTES
        info = documents.info(result.document_sha256)
        assert info is not None
        assert info.media_type == "text/markdown"

    # One save: meeting (held + minutes), three commitments, one decision, the document.
    notifications = ledger.recorder.select_notifications(before + 1, 100)
    assert len(notifications) == 7


def test_the_same_file_imported_again_records_nothing(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    first = import_minutes(ledger, project_id, PM, MINUTES, filename="weekly-review.md")
    events = position(ledger)
    again = import_minutes(ledger, project_id, PM, MINUTES, filename="copy.md")
    assert again.already_imported
    assert again.meeting_id == first.meeting_id
    assert again.commitment_ids == first.commitment_ids
    assert position(ledger) == events


def test_ledger_errors_name_the_line(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    before = position(ledger)
    stranger = MINUTES.replace(b"@pm@team.test Deliver", b"@nobody@team.test Deliver")
    with pytest.raises(MinutesParseError) as caught:
        import_minutes(ledger, project_id, PM, stranger)
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (20, "nobody@team.test is not a member of this project")
    ]
    outsider_decides = MINUTES.replace(
        b"(decided by sponsor", b"(decided by jane@vendor.test, sponsor"
    )
    with pytest.raises(MinutesParseError) as caught:
        import_minutes(ledger, project_id, PM, outsider_decides)
    assert caught.value.errors[0].line == 16
    future = MINUTES.replace(b"Date: 2026-03-05", b"Date: 2999-03-05")
    with pytest.raises(MinutesParseError) as caught:
        import_minutes(ledger, project_id, PM, future)
    assert caught.value.errors[0].line == 3
    not_member_taker = MINUTES.replace(b"Minutes by: dev@team.test", b"Minutes by: x@y.test")
    with pytest.raises(MinutesParseError) as caught:
        import_minutes(ledger, project_id, PM, not_member_taker)
    assert caught.value.errors[0].line == 8
    assert position(ledger) == before  # nothing of a refused file is recorded


def test_who_may_import_and_what_is_not_text(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    with pytest.raises(NotAMemberError):
        import_minutes(ledger, project_id, "stranger@else.test", MINUTES)
    with pytest.raises(NotPermittedError):
        import_minutes(ledger, project_id, "al@pmo.test", MINUTES)
    with pytest.raises(MinutesParseError) as caught:
        import_minutes(ledger, project_id, PM, b"# Title\nDate: \xff\xfe\n")
    assert caught.value.errors[0].line == 2
    assert "UTF-8" in caught.value.errors[0].message


def test_the_command_alone_without_a_document(ledger: Ledger) -> None:
    project_id = open_project(ledger)
    held_at = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    recorded = ledger.record_meeting_with_minutes(
        PM,
        project_id,
        title="Call",
        held_at=held_at,
        attendees=[PM, SPONSOR],
        decisions=["Ship on Friday", {"statement": "Freeze scope", "decided_by": [SPONSOR]}],
        action_items=[{"owner": DEV, "description": "Tag the release", "promisee": SPONSOR}],
        idempotency_key="call-2026-03-05",
    )
    parts = ledger.get_minutes_parts(project_id, recorded.id)
    assert len(parts.commitment_ids) == 1
    assert len(parts.decision_ids) == 1
    assert parts.document_interaction_id is None  # no document, no minutes document
    assert ledger.get_decision(project_id, parts.decision_ids[0]).source.sha256 is None  # type: ignore[union-attr]
    events = position(ledger)
    again = ledger.record_meeting_with_minutes(
        PM,
        project_id,
        title="Call",
        held_at=held_at,
        attendees=[PM],
        decisions=["x"],
        idempotency_key="call-2026-03-05",
    )
    assert (again.id, again.position, position(ledger)) == (recorded.id, 0, events)
    with pytest.raises(NotAMemberError, match=r"decisions\[0\]\.decided_by\[0\]"):
        ledger.record_meeting_with_minutes(
            PM,
            project_id,
            title="Call",
            held_at=held_at,
            attendees=[PM],
            decisions=[{"statement": "x", "decided_by": ["outsider@else.test"]}],
        )
