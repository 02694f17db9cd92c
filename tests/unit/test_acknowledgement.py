"""Acknowledgement requests: one per (subject, version, person), answered by that person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.acknowledgement import (
    AcknowledgementRequest,
    AcknowledgementState,
    AcknowledgementSubjectKind,
    acknowledgement_request_id,
    request_acknowledgements,
)
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.project import Member
from ledger.domain.roles import Party, Role

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "sponsor@client.test"
AUDITOR = "auditor@pmo.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

MEMBERS = {
    PM: Member(email=PM, name="Pat", party=Party.TEAM, role=Role.TEAM_MANAGER),
    DEV: Member(email=DEV, name="Dev", party=Party.TEAM, role=Role.TEAM_MEMBER),
    CLIENT: Member(email=CLIENT, name="Sue", party=Party.CLIENT, role=Role.CLIENT_APPROVER),
    AUDITOR: Member(email=AUDITOR, name="Al", party=Party.THIRD_PARTY, role=Role.AUDITOR),
}


def act(who: str, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def requested(by: str = PM, **overrides: Any) -> AcknowledgementRequest:
    fields: dict[str, Any] = {
        "project_id": uuid4(),
        "subject_kind": AcknowledgementSubjectKind.MINUTES,
        "subject_id": uuid4(),
        "subject_version": 2,
        "person": CLIENT,
        "due_at": NOW + timedelta(days=2),
    }
    fields.update(overrides)
    return AcknowledgementRequest.request(act(by), **fields)


def test_request_id_is_derived_from_subject_version_and_person() -> None:
    subject_id = uuid4()
    r = requested(subject_id=subject_id)
    assert r.id == acknowledgement_request_id(subject_id, 2, CLIENT)
    assert r.id != acknowledgement_request_id(subject_id, 3, CLIENT)
    assert r.id != acknowledgement_request_id(subject_id, 2, DEV)
    assert (r.state, r.person, r.requested_by) == (AcknowledgementState.REQUESTED, CLIENT, PM)
    (event,) = r.collect_events()
    assert isinstance(event, AcknowledgementRequest.Requested)
    assert event.subject_digest is None


def test_requester_is_the_attributed_person() -> None:
    assert requested(by=DEV).requested_by == DEV
    r = AcknowledgementRequest.request(
        act(DEV, for_=PM),
        project_id=uuid4(),
        subject_kind=AcknowledgementSubjectKind.STATUS_REPORT,
        subject_id=uuid4(),
        subject_version=1,
        person=CLIENT,
    )
    assert r.requested_by == PM


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"person": PM}, "person"),
        ({"subject_version": 0}, "subject_version"),
        ({"subject_version": True}, "subject_version"),
        ({"due_at": datetime(2026, 3, 5)}, "due_at"),
        ({"due_at": NOW}, "due_at"),
        ({"subject_digest": "nope"}, "subject_digest"),
    ],
)
def test_malformed_requests_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        requested(**overrides)


def test_digest_is_kept_lower_case() -> None:
    assert requested(subject_digest="AB" * 32).subject_digest == "ab" * 32


def test_the_person_acknowledges_in_person_and_it_is_final() -> None:
    r = requested()
    r.acknowledge(act(CLIENT), comment=" looks right ")
    assert r.state is AcknowledgementState.ACKNOWLEDGED
    events = r.collect_events()
    ack = events[-1]
    assert isinstance(ack, AcknowledgementRequest.Acknowledged)
    assert (ack.comment, ack.checkpoint_size, ack.checkpoint_root) == ("looks right", None, None)
    with pytest.raises(InvalidTransitionError, match="acknowledged"):
        r.acknowledge(act(CLIENT))
    with pytest.raises(InvalidTransitionError, match="acknowledged"):
        r.dispute(act(CLIENT), reason="changed my mind")
    with pytest.raises(InvalidTransitionError, match="acknowledged"):
        r.withdraw(act(PM), reason="amended", on_requester_side=True)


def test_nobody_acknowledges_or_disputes_for_the_person() -> None:
    r = requested()
    with pytest.raises(NotPermittedError, match="in person"):
        r.acknowledge(act(PM, for_=CLIENT))
    with pytest.raises(NotPermittedError, match="person asked"):
        r.acknowledge(act(DEV))
    with pytest.raises(NotPermittedError, match="in person"):
        r.dispute(act(PM, for_=CLIENT), reason="r")
    with pytest.raises(NotPermittedError, match="person asked"):
        r.dispute(act(PM), reason="r")
    assert r.state is AcknowledgementState.REQUESTED


def test_the_person_disputes_with_a_reason_and_it_is_final() -> None:
    r = requested()
    with pytest.raises(InvalidInputError, match="reason"):
        r.dispute(act(CLIENT), reason="")
    r.dispute(act(CLIENT), reason="point 2 is wrong", proposed_correction="we agreed on May")
    assert r.state is AcknowledgementState.DISPUTED
    with pytest.raises(InvalidTransitionError, match="disputed"):
        r.acknowledge(act(CLIENT))
    with pytest.raises(InvalidTransitionError, match="disputed"):
        r.dispute(act(CLIENT), reason="again")


def test_requester_side_withdraws_and_it_is_final() -> None:
    r = requested()
    r.withdraw(act(PM), reason="minutes amended", on_requester_side=False)  # the requester
    assert r.state is AcknowledgementState.WITHDRAWN
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        r.acknowledge(act(CLIENT))
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        r.withdraw(act(PM), reason="again", on_requester_side=True)
    other = requested()
    other.withdraw(act(DEV), reason="amended", on_requester_side=True)  # a team colleague
    assert other.state is AcknowledgementState.WITHDRAWN


def test_others_and_the_person_cannot_withdraw() -> None:
    r = requested(person=DEV)
    with pytest.raises(NotPermittedError, match="party"):
        r.withdraw(act(CLIENT), reason="r", on_requester_side=False)
    with pytest.raises(NotPermittedError, match="acknowledging or disputing"):
        r.withdraw(act(DEV), reason="r", on_requester_side=True)
    with pytest.raises(InvalidInputError, match="reason"):
        r.withdraw(act(PM), reason=" ", on_requester_side=True)


def test_batch_requests_skip_the_requester_auditors_and_non_members() -> None:
    subject_id = uuid4()
    requests = request_acknowledgements(
        act(PM),
        project_id=uuid4(),
        subject_kind=AcknowledgementSubjectKind.STATUS_REPORT,
        subject_id=subject_id,
        subject_version=1,
        recipients=(PM, CLIENT, AUDITOR, DEV, "x@else.test"),
        members=MEMBERS,
        due_at=NOW + timedelta(days=1),
    )
    assert [r.person for r in requests] == [CLIENT, DEV]
    assert {r.id for r in requests} == {
        acknowledgement_request_id(subject_id, 1, CLIENT),
        acknowledgement_request_id(subject_id, 1, DEV),
    }
