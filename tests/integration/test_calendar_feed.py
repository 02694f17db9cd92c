"""The iCalendar feed of a member, parsed back with the icalendar library (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from ledger.domain.project import NotAMemberError
from ledger.interchange.calendar_feed import calendar_feed
from ledger.service.application import Ledger
from tests.builders import agree_to_expectation

PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"
AUDITOR = "al@pmo.test"
NOW = datetime.now(UTC).replace(microsecond=0)


def build_project(ledger: Ledger) -> dict[str, UUID]:
    project_id = ledger.open_project(
        PM, name="Portal", client_org="Client", team_org="Team", occurred_at=NOW - timedelta(10)
    ).id
    for email, party, role in (
        (DEV, "team", "team_member"),
        (SPONSOR, "client", "client_approver"),
        (AUDITOR, "third_party", "auditor"),
    ):
        ledger.add_member(PM, project_id, email=email, name=email, party=party, role=role)
    ledger.set_communication_plan(
        PM,
        project_id,
        channels=[{"channel": "email", "purpose": "formal notices"}],
        cadences=[
            {"kind": "weekly_report", "every": "P7D", "owner": PM, "starts_on": "2026-01-05"},
            {
                "kind": "monthly_review",
                "every": "P1M",
                "owner": PM,
                "starts_on": "2026-01-31",
                "audience": [SPONSOR],
            },
            {"kind": "steering", "every": "P1M2D", "owner": DEV, "audience": [DEV]},
        ],
        occurred_at=datetime(2026, 1, 2, 9, tzinfo=UTC),
    )
    due = NOW + timedelta(days=5)
    ids = {"project": project_id}
    ids["owed_by_pm"] = ledger.make_commitment(
        PM, project_id, promisor=PM, promisee=SPONSOR, statement="Send the plan", due_at=due
    ).id
    ids["owed_to_pm"] = ledger.make_commitment(
        PM, project_id, promisor=DEV, promisee=PM, statement="Estimate", due_at=due
    ).id
    ids["not_pms"] = ledger.make_commitment(
        PM, project_id, promisor=SPONSOR, promisee=DEV, statement="Give access", due_at=due
    ).id
    ids["no_date"] = ledger.make_commitment(
        PM, project_id, promisor=PM, promisee=SPONSOR, statement="Keep in touch"
    ).id
    ids["fulfilled"] = ledger.make_commitment(
        PM, project_id, promisor=PM, promisee=SPONSOR, statement="Kick-off", due_at=due
    ).id
    ledger.fulfil_commitment(PM, project_id, ids["fulfilled"])
    both = [PM, SPONSOR]
    ids["milestone"] = ledger.set_expectation(
        PM, project_id, kind="milestone", title="Beta", value={"date": "2026-12-23"}, agreed_by=both
    ).id
    ids["deliverable"] = ledger.set_expectation(
        PM,
        project_id,
        kind="deliverable",
        title="Wireframes",
        value={"text": "v2", "date": "2026-12-01"},
        agreed_by=both,
    ).id
    ids["scope"] = ledger.set_expectation(
        PM, project_id, kind="scope_item", title="SSO", value={"text": "SSO"}, agreed_by=both
    ).id
    ids["withdrawn"] = ledger.set_expectation(
        PM, project_id, kind="milestone", title="Old", value={"date": "2026-11-01"}, agreed_by=both
    ).id
    for name in ("milestone", "deliverable", "scope", "withdrawn"):
        agree_to_expectation(ledger, project_id, ids[name])  # the sponsor, in person
    ledger.withdraw_expectation(PM, project_id, ids["withdrawn"], agreed_by=both, reason="moved")
    agree_to_expectation(ledger, project_id, ids["withdrawn"])
    meeting = ledger.hold_meeting(PM, project_id, title="Review", attendees=[PM, SPONSOR]).id
    ledger.record_minutes(PM, project_id, meeting, decisions=["Go"])
    ledger.circulate_minutes(PM, project_id, meeting, to=[SPONSOR], acknowledge_by=due)
    ids["meeting"] = meeting
    return ids


def events_of(feed: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(feed)
    assert calendar["version"] == "2.0"
    assert str(calendar["prodid"]).startswith("-//Accord//")
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_a_managers_feed(ledger: Ledger) -> None:
    ids = build_project(ledger)
    feed = calendar_feed(ledger, ids["project"], PM)
    events = events_of(feed)
    project = ids["project"]
    assert set(events) == {
        f"commitment-{ids['owed_by_pm']}@accord",
        f"commitment-{ids['owed_to_pm']}@accord",
        f"expectation-{ids['milestone']}@accord",
        f"expectation-{ids['deliverable']}@accord",
        f"cadence-{project}-weekly-report@accord",
        f"cadence-{project}-monthly-review@accord",  # the owner, though not in the audience
    }
    owed = events[f"commitment-{ids['owed_by_pm']}@accord"]
    assert str(owed["summary"]) == "Due: Send the plan"
    assert owed.decoded("dtstart") == NOW + timedelta(days=5)
    assert "commitment" in owed.get("categories").cats
    assert str(events[f"commitment-{ids['owed_to_pm']}@accord"]["summary"]).startswith("Due to you")
    beta = events[f"expectation-{ids['milestone']}@accord"]
    assert str(beta["summary"]) == "Milestone: Beta"
    assert beta.decoded("dtstart") == date(2026, 12, 23)
    assert beta.decoded("dtend") == date(2026, 12, 24)
    assert str(events[f"expectation-{ids['deliverable']}@accord"]["summary"]).startswith(
        "Deliverable due"
    )

    weekly = events[f"cadence-{project}-weekly-report@accord"]
    assert weekly.decoded("dtstart") == date(2026, 1, 5)
    assert weekly["rrule"].to_ical() == b"FREQ=WEEKLY;INTERVAL=1"
    monthly = events[f"cadence-{project}-monthly-review@accord"]
    rule = rrulestr(monthly["rrule"].to_ical().decode(), dtstart=datetime(2026, 1, 31))
    assert [d.date() for d in rule[:4]] == [  # the 31st, or the last day of a shorter month
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    # The same ledger gives the same bytes.
    assert calendar_feed(ledger, ids["project"], PM) == feed


def test_each_person_sees_their_own_dates(ledger: Ledger) -> None:
    ids = build_project(ledger)
    project = ids["project"]
    sponsor = events_of(calendar_feed(ledger, project, SPONSOR))
    acknowledgements = [e for uid, e in sponsor.items() if uid.startswith("acknowledgement-")]
    assert len(acknowledgements) == 1
    assert str(acknowledgements[0]["summary"]) == "Acknowledge: Review"
    assert f"commitment-{ids['not_pms']}@accord" in sponsor
    assert f"cadence-{project}-monthly-review@accord" in sponsor  # in its audience
    assert f"cadence-{project}-steering@accord" not in sponsor

    dev = events_of(calendar_feed(ledger, project, DEV.upper()))
    steering = dev[f"cadence-{project}-steering@accord"]
    assert steering.decoded("dtstart") == date(2026, 1, 2)  # the day the plan was set
    rdates = steering["rdate"]
    spelled_out = [p.dt for p in (rdates[0] if isinstance(rdates, list) else rdates).dts]
    assert spelled_out[:2] == [date(2026, 2, 4), date(2026, 3, 6)]  # a month and two days on

    auditor = events_of(calendar_feed(ledger, project, AUDITOR))
    assert {uid.split("-")[0] for uid in auditor} == {"expectation", "cadence"}
    with pytest.raises(NotAMemberError):
        calendar_feed(ledger, project, "stranger@else.test")
