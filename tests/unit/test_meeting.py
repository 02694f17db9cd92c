"""Meetings: held, minutes recorded (action items become commitments), circulated (requests for
acknowledgement), amended — every allowed and refused step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.acknowledgement import AcknowledgementSubjectKind, acknowledgement_request_id
from ledger.domain.commitment import Commitment, CommitmentState
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.meeting import ActionItem, Meeting, NewActionItem, action_item_commitment_id
from ledger.domain.project import Member, NotAMemberError
from ledger.domain.roles import Party, Role
from ledger.domain.values import Source, SourceKind

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "sponsor@client.test"
CLIENT2 = "cto@client.test"
AUDITOR = "auditor@pmo.test"
GUEST = "guest@vendor.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=7)

MEMBERS = {
    PM: Member(email=PM, name="Pat", party=Party.TEAM, role=Role.TEAM_MANAGER),
    DEV: Member(email=DEV, name="Dev", party=Party.TEAM, role=Role.TEAM_MEMBER),
    CLIENT: Member(email=CLIENT, name="Sue", party=Party.CLIENT, role=Role.CLIENT_APPROVER),
    CLIENT2: Member(email=CLIENT2, name="Cy", party=Party.CLIENT, role=Role.CLIENT_MEMBER),
    AUDITOR: Member(email=AUDITOR, name="Al", party=Party.THIRD_PARTY, role=Role.AUDITOR),
}


def act(who: str, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def held(**overrides: Any) -> Meeting:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "project_id": uuid4(),
        "title": "Kick-off",
        "attendees": [PM, "Sponsor@Client.test", GUEST, CLIENT2],
        "agenda": ["scope", "dates"],
        "place": "Room 1",
        "channel": None,
    }
    fields.update(overrides)
    meeting = Meeting.hold(act(PM), **fields)
    meeting.collect_events()
    return meeting


def with_minutes(by: str = PM, **kwargs: Any) -> tuple[Meeting, list[Commitment]]:
    meeting = held()
    commitments = meeting.record_minutes(
        act(by),
        members=MEMBERS,
        discussion_points=kwargs.get("discussion_points", ["scope agreed"]),
        decisions=kwargs.get("decisions", ["go live in May"]),
        action_items=kwargs.get(
            "action_items",
            [{"owner": DEV, "description": "Send wireframes", "due_at": DUE}],
        ),
    )
    return meeting, commitments


def test_held_meeting_keeps_attendees_normalised_including_guests() -> None:
    m = held()
    assert m.attendees == (PM, CLIENT, GUEST, CLIENT2)
    assert (m.title, m.place, m.channel, m.agenda) == (
        "Kick-off",
        "Room 1",
        None,
        ("scope", "dates"),
    )
    assert not m.has_minutes


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": " "}, "title"),
        ({"attendees": []}, "attendees"),
        ({"attendees": ["nobody"]}, r"attendees\[0\]"),
        ({"agenda": ["", "x"]}, r"agenda\[0\]"),
        ({"place": ""}, "place"),
    ],
)
def test_malformed_meetings_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        held(**overrides)


def test_action_items_become_commitments_from_the_meeting() -> None:
    m, commitments = with_minutes()
    (item,) = m.action_items
    assert item == ActionItem(
        owner=DEV,
        description="Send wireframes",
        due_at=DUE,
        promisee=CLIENT,  # default: first attendee of the other side
        commitment_id=action_item_commitment_id(m.id, 2, 0),
    )
    (c,) = commitments
    assert c.id == item.commitment_id
    assert (c.promisor, c.promisee, c.statement, c.due_at) == (DEV, CLIENT, "Send wireframes", DUE)
    assert c.source == Source(kind=SourceKind.MEETING, id=m.id)
    assert c.project_id == m.project_id
    assert c.state is CommitmentState.OPEN
    assert (m.minutes_version, m.minutes_by) == (2, (PM,))
    assert m.discussion_points == ("scope agreed",)
    assert m.decisions == ("go live in May",)


def test_client_owned_action_defaults_to_the_first_team_attendee() -> None:
    _, (c,) = with_minutes(action_items=[NewActionItem(owner=CLIENT2, description="Send logo")])
    assert (c.promisor, c.promisee, c.due_at) == (CLIENT2, PM, None)


def test_explicit_promisee_is_used() -> None:
    _, (c,) = with_minutes(
        action_items=[{"owner": DEV, "description": "d", "promisee": "CTO@client.test"}]
    )
    assert c.promisee == CLIENT2


@pytest.mark.parametrize(
    ("item", "error", "field"),
    [
        ({"owner": GUEST, "description": "d"}, NotAMemberError, r"action_items\[0\].owner"),
        (
            {"owner": DEV, "description": "d", "promisee": GUEST},
            NotAMemberError,
            r"action_items\[0\].promisee",
        ),
        ({"owner": DEV, "description": "d", "promisee": DEV}, InvalidInputError, "promisee"),
        ({"owner": DEV, "description": " "}, InvalidInputError, "description"),
        (
            {"owner": DEV, "description": "d", "due_at": datetime(2026, 4, 1)},
            InvalidInputError,
            "due_at",
        ),
        ({"owner": DEV}, InvalidInputError, r"action_items\[0\]"),
        ({"owner": DEV, "description": "d", "extra": 1}, InvalidInputError, r"action_items\[0\]"),
        ({"owner": AUDITOR, "description": "d"}, InvalidInputError, "name the promisee"),
    ],
)
def test_malformed_action_items_are_refused(
    item: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        with_minutes(action_items=[item])


def test_no_default_promisee_without_an_attendee_of_the_other_side() -> None:
    m = held(attendees=[PM, DEV, GUEST])
    with pytest.raises(InvalidInputError, match="name the promisee"):
        m.record_minutes(
            act(PM), members=MEMBERS, action_items=[{"owner": DEV, "description": "d"}]
        )


def test_minutes_need_content_and_are_recorded_once() -> None:
    m = held()
    with pytest.raises(InvalidInputError, match="minutes need"):
        m.record_minutes(act(PM), members=MEMBERS)
    m.record_minutes(act(PM), members=MEMBERS, decisions=["yes"])
    with pytest.raises(InvalidTransitionError, match="amend"):
        m.record_minutes(act(PM), members=MEMBERS, decisions=["again"])


def test_circulating_asks_each_member_recipient_but_the_sender_and_auditors() -> None:
    m, _ = with_minutes()
    requests = m.circulate_minutes(
        act(PM), to=[PM, CLIENT, AUDITOR, CLIENT2], members=MEMBERS, acknowledge_by=DUE
    )
    assert [r.person for r in requests] == [CLIENT, CLIENT2]
    for r in requests:
        assert r.id == acknowledgement_request_id(m.id, 2, r.person)
        assert (r.subject_kind, r.subject_id, r.subject_version, r.due_at) == (
            AcknowledgementSubjectKind.MINUTES,
            m.id,
            2,
            DUE,
        )
    assert m.circulated_to == (PM, CLIENT, AUDITOR, CLIENT2)
    event = m.collect_events()[-1]
    assert isinstance(event, Meeting.MinutesCirculated)
    assert event.to == (PM, CLIENT, AUDITOR, CLIENT2)
    # Circulating again asks for the same (unchanged) minutes: same request ids.
    again = m.circulate_minutes(act(PM), to=[CLIENT], members=MEMBERS)
    assert again[0].id == requests[0].id


def test_circulation_is_refused_before_minutes_and_to_strangers() -> None:
    with pytest.raises(InvalidTransitionError, match="no minutes"):
        held().circulate_minutes(act(PM), to=[CLIENT], members=MEMBERS)
    m, _ = with_minutes()
    with pytest.raises(NotAMemberError, match="to"):
        m.circulate_minutes(act(PM), to=[GUEST], members=MEMBERS)
    with pytest.raises(InvalidInputError, match="to"):
        m.circulate_minutes(act(PM), to=[], members=MEMBERS)
    with pytest.raises(InvalidInputError, match="acknowledge_by"):
        m.circulate_minutes(act(PM), to=[CLIENT], members=MEMBERS, acknowledge_by=NOW)


def test_amendment_replaces_lists_and_adds_new_action_items() -> None:
    m, first = with_minutes()
    new = m.amend_minutes(
        act(PM),
        reason="missed an action",
        members=MEMBERS,
        decisions=["go live in June"],
        attendees=[PM, CLIENT2],
        action_items=[{"owner": PM, "description": "Book the review"}],
    )
    (c,) = new
    assert c.id == action_item_commitment_id(m.id, 3, 0) != first[0].id
    assert c.promisee == CLIENT2  # the amended attendees decide the default
    assert m.decisions == ("go live in June",)
    assert m.discussion_points == ("scope agreed",)
    assert m.attendees == (PM, CLIENT2)
    assert [i.owner for i in m.action_items] == [DEV, PM]
    assert m.minutes_version == 3
    event = m.collect_events()[-1]
    assert isinstance(event, Meeting.MinutesAmended)
    assert (event.discussion_points, event.decisions) == (None, ("go live in June",))
    requests = m.circulate_minutes(act(PM), to=[CLIENT], members=MEMBERS)
    assert requests[0].subject_version == 3


def test_amendment_is_refused_before_minutes_without_change_or_reason() -> None:
    with pytest.raises(InvalidTransitionError, match="record them first"):
        held().amend_minutes(act(PM), reason="r", members=MEMBERS, decisions=["x"])
    m, _ = with_minutes()
    with pytest.raises(InvalidInputError, match="changes nothing"):
        m.amend_minutes(act(PM), reason="r", members=MEMBERS, decisions=["go live in May"])
    with pytest.raises(InvalidInputError, match="reason"):
        m.amend_minutes(act(PM), reason="", members=MEMBERS, decisions=["x"])


def test_only_the_minute_taker_or_a_manager_amends() -> None:
    m, _ = with_minutes(by=DEV)
    with pytest.raises(NotPermittedError, match="team manager"):
        m.amend_minutes(act(CLIENT), reason="r", members=MEMBERS, decisions=["x"])
    m.amend_minutes(act(DEV), reason="r", members=MEMBERS, decisions=["x"])
    m.amend_minutes(act(PM), reason="r", members=MEMBERS, decisions=["y"], manager=True)
    assert m.decisions == ("y",)
