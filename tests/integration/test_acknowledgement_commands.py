"""Acknowledgement request commands against real storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from ledger.domain.acknowledgement import (
    AcknowledgementRequest,
    AcknowledgementRequestNotFoundError,
    AcknowledgementState,
    AcknowledgementSubjectKind,
    acknowledgement_request_id,
)
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.project import NotAMemberError
from ledger.integrity import Integrity
from ledger.service.application import Ledger, VersionMismatchError
from tests import builders
from tests.builders import AUDITOR, DEV, PM, SPONSOR, positions

CLIENT2 = "cto@client.test"


def project_with_members(ledger: Ledger) -> UUID:
    return builders.project_with_members(ledger, (CLIENT2, "Cy", "client", "client_member"))


def commitment(ledger: Ledger, project_id: UUID) -> UUID:
    return ledger.make_commitment(
        PM, project_id, promisor=PM, promisee=SPONSOR, statement="Wireframes"
    ).id


def test_request_then_acknowledge_in_person(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    subject_id = commitment(ledger, project_id)
    due = datetime.now(UTC) + timedelta(days=3)
    requested = ledger.request_acknowledgement(
        PM,
        project_id,
        subject_kind="commitment",
        subject_id=subject_id,
        person="Sponsor@Client.test",
        due_at=due,
        subject_digest="AB" * 32,
    )
    assert requested.id == acknowledgement_request_id(subject_id, 1, SPONSOR)
    request = ledger.get_acknowledgement_request(project_id, requested.id)
    assert (
        request.subject_kind,
        request.subject_version,
        request.due_at,
        request.requested_by,
    ) == (
        AcknowledgementSubjectKind.COMMITMENT,
        1,
        due,
        PM,
    )
    assert request.subject_digest == "ab" * 32
    with pytest.raises(NotPermittedError):
        ledger.acknowledge(DEV, project_id, requested.id)
    done = ledger.acknowledge(SPONSOR, project_id, requested.id, comment="ok", expected_version=1)
    assert done.version == 2
    events = list(ledger.events.get(requested.id))
    assert isinstance(events[-1], AcknowledgementRequest.Acknowledged)
    assert (events[-1].actor, events[-1].attributed_to, events[-1].comment) == (
        SPONSOR,
        None,
        "ok",
    )
    with pytest.raises(InvalidTransitionError):
        ledger.dispute_acknowledgement(SPONSOR, project_id, requested.id, reason="r")


def test_requesting_the_same_version_again_stores_nothing(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    subject_id = commitment(ledger, project_id)
    first = ledger.request_acknowledgement(
        PM, project_id, subject_kind="commitment", subject_id=subject_id, person=SPONSOR
    )
    before = positions(ledger)
    again = ledger.request_acknowledgement(
        DEV, project_id, subject_kind="commitment", subject_id=subject_id, person=SPONSOR
    )
    assert (again.id, again.position) == (first.id, 0)
    assert positions(ledger) == before
    ledger.acknowledge_commitment(SPONSOR, project_id, subject_id)  # commitment now at v2
    newer = ledger.request_acknowledgement(
        PM, project_id, subject_kind="commitment", subject_id=subject_id, person=SPONSOR
    )
    assert newer.id == acknowledgement_request_id(subject_id, 2, SPONSOR)
    older = ledger.request_acknowledgement(
        PM,
        project_id,
        subject_kind="commitment",
        subject_id=subject_id,
        person=CLIENT2,
        subject_version=1,
    )
    assert ledger.get_acknowledgement_request(project_id, older.id).subject_version == 1


def test_requests_are_checked_against_the_subject_and_the_person(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    other_project = project_with_members(ledger)
    subject_id = commitment(ledger, project_id)
    elsewhere = commitment(ledger, other_project)
    meeting_id = ledger.hold_meeting(PM, project_id, title="t", attendees=[PM]).id
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"subject_kind": "gossip"}, InvalidInputError, "subject_kind"),
        ({"subject_id": uuid4()}, InvalidInputError, "subject_id"),
        ({"subject_id": elsewhere}, InvalidInputError, "subject_id"),
        ({"subject_kind": "status_report"}, InvalidInputError, "subject_kind"),
        ({"subject_version": 2}, InvalidInputError, "subject_version"),
        ({"subject_version": 0}, InvalidInputError, "subject_version"),
        ({"person": "x@else.test"}, NotAMemberError, "person"),
        ({"person": AUDITOR}, InvalidInputError, "auditor"),
        ({"person": PM}, InvalidInputError, "person"),
        ({"due_at": datetime.now(UTC) - timedelta(days=1)}, InvalidInputError, "due_at"),
        ({"subject_kind": "minutes", "subject_id": meeting_id}, InvalidInputError, "no minutes"),
    ]
    before = positions(ledger)
    for overrides, error, match in cases:
        kwargs: dict[str, object] = {
            "subject_kind": "commitment",
            "subject_id": subject_id,
            "person": SPONSOR,
            **overrides,
        }
        with pytest.raises(error, match=match):
            ledger.request_acknowledgement(PM, project_id, **kwargs)  # type: ignore[arg-type]
    assert positions(ledger) == before


def test_minutes_default_to_the_current_minutes_version(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    meeting_id = ledger.hold_meeting(PM, project_id, title="t", attendees=[PM, SPONSOR]).id
    ledger.record_minutes(PM, project_id, meeting_id, decisions=["d"])
    ledger.circulate_minutes(PM, project_id, meeting_id, to=[DEV])  # meeting now at v3
    requested = ledger.request_acknowledgement(
        PM, project_id, subject_kind="minutes", subject_id=meeting_id, person=SPONSOR
    )
    assert requested.id == acknowledgement_request_id(meeting_id, 2, SPONSOR)
    report_id = ledger.issue_status_report(
        PM,
        project_id,
        period_start=date(2026, 3, 2),
        period_end=date(2026, 3, 6),
        to=[SPONSOR],
        progress=["p"],
    ).id
    assert ledger.request_acknowledgement(
        PM, project_id, subject_kind="status_report", subject_id=report_id, person=SPONSOR
    ).id == acknowledgement_request_id(report_id, 1, SPONSOR)
    # A kind the ledger cannot check by class: any item of the project will do.
    ledger.request_acknowledgement(
        PM, project_id, subject_kind="document", subject_id=meeting_id, person=CLIENT2
    )


def test_dispute_in_person_only(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    subject_id = commitment(ledger, project_id)
    request_id = ledger.request_acknowledgement(
        PM, project_id, subject_kind="commitment", subject_id=subject_id, person=SPONSOR
    ).id
    with pytest.raises(NotPermittedError):
        ledger.dispute_acknowledgement(PM, project_id, request_id, reason="r")
    ledger.dispute_acknowledgement(
        SPONSOR, project_id, request_id, reason="date wrong", proposed_correction="May 3"
    )
    request = ledger.get_acknowledgement_request(project_id, request_id)
    assert request.state is AcknowledgementState.DISPUTED
    with pytest.raises(InvalidTransitionError):
        ledger.acknowledge(SPONSOR, project_id, request_id)


def test_withdrawal_by_the_requester_side_only(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    subject_id = commitment(ledger, project_id)
    request_id = ledger.request_acknowledgement(
        PM, project_id, subject_kind="commitment", subject_id=subject_id, person=SPONSOR
    ).id
    with pytest.raises(NotPermittedError, match="party"):
        ledger.withdraw_acknowledgement_request(CLIENT2, project_id, request_id, reason="r")
    with pytest.raises(NotPermittedError):
        ledger.withdraw_acknowledgement_request(SPONSOR, project_id, request_id, reason="r")
    with pytest.raises(VersionMismatchError):
        ledger.withdraw_acknowledgement_request(
            DEV, project_id, request_id, reason="r", expected_version=2
        )
    ledger.withdraw_acknowledgement_request(DEV, project_id, request_id, reason="amended")
    assert ledger.get_acknowledgement_request(project_id, request_id).state is (
        AcknowledgementState.WITHDRAWN
    )


def test_requests_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    request_id = ledger.request_acknowledgement(
        PM, first, subject_kind="commitment", subject_id=commitment(ledger, first), person=SPONSOR
    ).id
    with pytest.raises(AcknowledgementRequestNotFoundError):
        ledger.get_acknowledgement_request(second, request_id)
    with pytest.raises(AcknowledgementRequestNotFoundError):
        ledger.acknowledge(SPONSOR, second, request_id)
    with pytest.raises(AcknowledgementRequestNotFoundError):
        ledger.dispute_acknowledgement(SPONSOR, second, request_id, reason="r")
    with pytest.raises(AcknowledgementRequestNotFoundError):
        ledger.withdraw_acknowledgement_request(PM, second, request_id, reason="r")
    with pytest.raises(AcknowledgementRequestNotFoundError):
        ledger.get_acknowledgement_request(first, uuid4())


def test_an_acknowledgement_records_the_latest_checkpoint(ledger: Ledger, tmp_path: Path) -> None:
    """Witnessing: the person co-signs the state of the log they saw (none before the first)."""
    project_id = project_with_members(ledger)
    subject = commitment(ledger, project_id)
    first, second = (
        ledger.request_acknowledgement(
            PM, project_id, subject_kind="commitment", subject_id=subject, person=person
        ).id
        for person in (SPONSOR, CLIENT2)
    )
    ledger.acknowledge(SPONSOR, project_id, first)
    events = ledger.recorder.select_events(first)
    assert b'"checkpoint_size":null' in events[-1].state
    with Integrity.for_ledger(ledger, key_file=tmp_path / "log.key") as integrity:
        checkpoint = integrity.make_checkpoint()
    ledger.acknowledge(CLIENT2, project_id, second)
    (_, acknowledged) = ledger.recorder.select_events(second)
    event = ledger.mapper.to_domain_event(acknowledged)
    assert isinstance(event, AcknowledgementRequest.Acknowledged)
    assert (event.checkpoint_size, event.checkpoint_root) == (
        checkpoint.size,
        checkpoint.root_base64,
    )
