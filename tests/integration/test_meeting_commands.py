"""Meeting commands against real storage: minutes with action items saved with their
commitments, circulation saved with its acknowledgement requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ledger.domain.acknowledgement import (
    AcknowledgementRequest,
    AcknowledgementState,
    AcknowledgementSubjectKind,
    acknowledgement_request_id,
)
from ledger.domain.commitment import Commitment, CommitmentState
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.meeting import ActionItem, Meeting, MeetingNotFoundError
from ledger.domain.project import NotAMemberError
from ledger.domain.values import SourceKind
from ledger.service.application import Ledger, VersionMismatchError
from tests.builders import AUDITOR, DEV, PM, SPONSOR, positions, project_with_members

GUEST = "guest@vendor.test"


def held(ledger: Ledger, project_id: UUID, **kwargs: object) -> UUID:
    return ledger.hold_meeting(
        PM,
        project_id,
        title="Kick-off",
        attendees=[PM, DEV, SPONSOR, GUEST],
        agenda=["scope"],
        channel="video",
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
        **kwargs,  # type: ignore[arg-type]
    ).id


def test_minutes_and_their_commitments_are_saved_together(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    meeting_id = held(ledger, project_id)
    due = datetime.now(UTC) + timedelta(days=7)
    before = positions(ledger)
    recorded = ledger.record_minutes(
        DEV,
        project_id,
        meeting_id,
        discussion_points=["scope"],
        decisions=["go live in May"],
        action_items=[
            {"owner": DEV, "description": "Send wireframes", "due_at": due},
            {"owner": SPONSOR, "description": "Send the logo", "promisee": DEV},
        ],
        expected_version=1,
    )
    assert (recorded.id, recorded.version) == (meeting_id, 2)
    assert positions(ledger) == before + 3  # one save: minutes + two commitments
    assert recorded.position == before + 3
    meeting = ledger.get_meeting(project_id, meeting_id)
    held_event, minutes_event = ledger.events.get(meeting_id)
    assert isinstance(held_event, Meeting.Held)
    assert isinstance(minutes_event, Meeting.MinutesRecorded)
    first, second = meeting.action_items
    assert isinstance(first, ActionItem)
    assert first.promisee == SPONSOR  # default: first attendee of the other side
    wireframes = ledger.get_commitment(project_id, first.commitment_id)
    assert isinstance(wireframes, Commitment)
    assert (wireframes.promisor, wireframes.promisee, wireframes.due_at) == (DEV, SPONSOR, due)
    assert wireframes.source is not None
    assert (wireframes.source.kind, wireframes.source.id) == (SourceKind.MEETING, meeting_id)
    logo = ledger.get_commitment(project_id, second.commitment_id)
    assert (logo.promisor, logo.promisee, logo.state) == (SPONSOR, DEV, CommitmentState.OPEN)
    (made,) = ledger.events.get(second.commitment_id)
    assert made.actor == DEV  # type: ignore[attr-defined]


def test_a_bad_action_item_stores_nothing(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    meeting_id = held(ledger, project_id)
    before = positions(ledger)
    with pytest.raises(NotAMemberError, match=r"action_items\[1\].owner"):
        ledger.record_minutes(
            PM,
            project_id,
            meeting_id,
            decisions=["d"],
            action_items=[
                {"owner": DEV, "description": "ok"},
                {"owner": GUEST, "description": "not a member"},
            ],
        )
    assert positions(ledger) == before
    assert not ledger.get_meeting(project_id, meeting_id).has_minutes


def test_circulation_saves_requests_once_per_person_and_minutes_version(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    meeting_id = held(ledger, project_id)
    with pytest.raises(InvalidTransitionError, match="no minutes"):
        ledger.circulate_minutes(PM, project_id, meeting_id, to=[SPONSOR])
    ledger.record_minutes(PM, project_id, meeting_id, decisions=["go"])
    by = datetime.now(UTC) + timedelta(days=2)
    before = positions(ledger)
    circulated = ledger.circulate_minutes(
        PM, project_id, meeting_id, to=[PM, DEV, SPONSOR, AUDITOR], acknowledge_by=by
    )
    assert circulated.version == 3
    assert positions(ledger) == before + 3  # circulated + requests for DEV and SPONSOR
    request_id = acknowledgement_request_id(meeting_id, 2, SPONSOR)
    request = ledger.get_acknowledgement_request(project_id, request_id)
    assert isinstance(request, AcknowledgementRequest)
    assert (request.subject_kind, request.subject_version, request.due_at, request.person) == (
        AcknowledgementSubjectKind.MINUTES,
        2,
        by,
        SPONSOR,
    )
    ledger.acknowledge(SPONSOR, project_id, request_id, comment="agreed")
    # Circulating the same minutes again asks nobody twice.
    before = positions(ledger)
    ledger.circulate_minutes(DEV, project_id, meeting_id, to=[SPONSOR])
    assert positions(ledger) == before + 1
    assert ledger.get_acknowledgement_request(project_id, request_id).state is (
        AcknowledgementState.ACKNOWLEDGED
    )
    # Amended minutes are a new version: a new request, the old one stands.
    ledger.amend_minutes(PM, project_id, meeting_id, reason="typo", decisions=["go!"])
    ledger.circulate_minutes(PM, project_id, meeting_id, to=[SPONSOR])
    new_request = ledger.get_acknowledgement_request(
        project_id, acknowledgement_request_id(meeting_id, 5, SPONSOR)
    )
    assert new_request.state is AcknowledgementState.REQUESTED
    with pytest.raises(NotAMemberError, match="to"):
        ledger.circulate_minutes(PM, project_id, meeting_id, to=[GUEST])


def test_amendment_adds_commitments_and_is_for_the_minute_taker_or_a_manager(
    ledger: Ledger,
) -> None:
    project_id = project_with_members(ledger)
    meeting_id = held(ledger, project_id)
    ledger.record_minutes(DEV, project_id, meeting_id, decisions=["go"])
    with pytest.raises(NotPermittedError):
        ledger.amend_minutes(SPONSOR, project_id, meeting_id, reason="r", decisions=["no"])
    before = positions(ledger)
    amended = ledger.amend_minutes(
        PM,
        project_id,
        meeting_id,
        reason="missed an action",
        action_items=[{"owner": PM, "description": "Book the review"}],
        expected_version=2,
    )
    assert amended.version == 3
    assert positions(ledger) == before + 2
    meeting = ledger.get_meeting(project_id, meeting_id)
    (item,) = meeting.action_items
    assert ledger.get_commitment(project_id, item.commitment_id).promisee == SPONSOR
    with pytest.raises(VersionMismatchError):
        ledger.amend_minutes(
            DEV, project_id, meeting_id, reason="r", decisions=["x"], expected_version=2
        )
    with pytest.raises(InvalidInputError, match="changes nothing"):
        ledger.amend_minutes(DEV, project_id, meeting_id, reason="r", decisions=["go"])


def test_holding_with_the_same_idempotency_key_stores_once(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    first = held(ledger, project_id, idempotency_key="m-1")
    before = positions(ledger)
    assert held(ledger, project_id, idempotency_key="m-1") == first
    assert positions(ledger) == before
    assert held(ledger, project_id, idempotency_key="m-2") != first
    with pytest.raises(NotPermittedError, match="auditor"):
        ledger.hold_meeting(AUDITOR, project_id, title="t", attendees=[PM])


def test_meetings_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    meeting_id = held(ledger, first)
    with pytest.raises(MeetingNotFoundError):
        ledger.get_meeting(second, meeting_id)
    with pytest.raises(MeetingNotFoundError):
        ledger.record_minutes(PM, second, meeting_id, decisions=["d"])
    with pytest.raises(MeetingNotFoundError):
        ledger.circulate_minutes(PM, second, meeting_id, to=[PM])
    with pytest.raises(MeetingNotFoundError):
        ledger.amend_minutes(PM, second, meeting_id, reason="r", decisions=["d"])
    with pytest.raises(MeetingNotFoundError):
        ledger.get_meeting(first, uuid4())
