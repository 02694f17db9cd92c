"""Time as people mean it, through the views, on SQLite and PostgreSQL: projects far from UTC on
both sides (Kiritimati, UTC+14; Pago Pago, UTC-11) see a missed report at the end of the local
day after and due dates by the local day; back-dated history answers by what had happened; the
timeline reads in the order things happened, a late e-mail import in its place; typo dates are
refused; a project stored before projects had a zone reads as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError
from ledger.domain.interaction import interaction_id_for_source
from ledger.domain.project import Project
from ledger.domain.time import end_of_day, local_date
from ledger.interchange.calendar_feed import calendar_feed
from ledger.interchange.demo import SPONSOR as SPONSOR_OF_DEMO
from ledger.interchange.demo import record_demo
from ledger.interchange.importing import Messages, import_emails
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews, recorded_later, replay
from projections.runner import ProjectionRunner

PM = "pm@team.test"
SPONSOR = "sponsor@client.test"
FAR_ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]
TICK = timedelta(microseconds=1)


def open_in(ledger: Ledger, zone: str, opened_at: datetime) -> UUID:
    project_id = ledger.open_project(
        PM,
        name="Far",
        client_org="C",
        team_org="T",
        time_zone=zone,
        actor_name="Pat",
        occurred_at=opened_at,
    ).id
    ledger.add_member(
        PM,
        project_id,
        email=SPONSOR,
        name="Sue",
        party="client",
        role="client_approver",
        occurred_at=opened_at,
    )
    return project_id


def missed(live: LiveViews, project: str, at: datetime) -> list[str]:
    return [i["id"] for i in q.open_items(live, project, at) if i["kind"] == "missed_cadence"]


@pytest.mark.parametrize("zone", FAR_ZONES)
def test_a_missed_weekly_report_shows_at_the_end_of_the_local_day_after(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews, zone: str
) -> None:
    now = datetime.now(UTC)
    first_due = local_date(now - timedelta(days=20), zone)
    project_id = open_in(ledger, zone, now - timedelta(days=30))
    project = str(project_id)
    ledger.set_communication_plan(
        PM,
        project_id,
        channels=[],
        cadences=[{"kind": "weekly_report", "every": "P7D", "owner": PM, "starts_on": first_due}],
        occurred_at=now - timedelta(days=29),
    )
    # The second week's report goes out late in the evening of the day after, local time:
    # still within the grace day there (in UTC it would be a day late at Pago Pago).
    second_due = first_due + timedelta(days=7)
    late_evening = end_of_day(second_due + timedelta(days=1), zone) - timedelta(minutes=30)
    ledger.issue_status_report(
        PM,
        project_id,
        period_start=second_due - timedelta(days=6),
        period_end=second_due,
        to=[SPONSOR],
        progress=["on track"],
        occurred_at=late_evening,
    )
    runner.catch_up()

    deadline = end_of_day(first_due + timedelta(days=1), zone)
    first = f"cadence:weekly_report:{first_due.isoformat()}"
    assert first not in missed(live, project, deadline - TICK)
    assert first in missed(live, project, deadline)
    second = f"cadence:weekly_report:{second_due.isoformat()}"
    assert second not in missed(live, project, now)  # met, in the local grace day
    item = next(i for i in q.open_items(live, project, deadline) if i["id"] == first)
    assert item["title"] == f"No weekly report for the period due {first_due.isoformat()}"
    assert item["due_at"] == q.iso(end_of_day(first_due, zone))
    status = next(c for c in q.metrics(live, project, now)["cadence_adherence"])
    assert first_due.isoformat() in status["missed"]
    assert status["met"] >= 1


@pytest.mark.parametrize("zone", FAR_ZONES)
def test_plain_due_dates_are_due_by_the_end_of_the_local_day(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews, zone: str
) -> None:
    now = datetime.now(UTC)
    project_id = open_in(ledger, zone, now - timedelta(days=10))
    due_day = local_date(now - timedelta(days=3), zone)
    commitment = ledger.make_commitment(
        PM, project_id, promisor=PM, promisee=SPONSOR, statement="Send the plan", due_at=due_day
    ).id
    due_at = ledger.get_commitment(project_id, commitment).due_at
    assert due_at == end_of_day(due_day, zone)
    runner.catch_up()
    project = str(project_id)

    def overdue(at: datetime) -> bool:
        return next(i for i in q.open_items(live, project, at) if i["kind"] == "commitment")[
            "overdue"
        ]

    assert not overdue(end_of_day(due_day, zone))
    assert overdue(end_of_day(due_day, zone) + TICK)  # the first instant of the next local day


def test_back_dated_history_answers_by_what_had_happened(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    now = datetime.now(UTC)
    project_id = open_in(ledger, "Asia/Shanghai", now - timedelta(days=30))
    ledger.make_commitment(
        PM,
        project_id,
        promisor=PM,
        promisee=SPONSOR,
        statement="Send the plan",
        occurred_at=now - timedelta(days=20),
    )
    runner.catch_up()
    project = str(project_id)
    ten_days_ago = now - timedelta(days=10)
    by_default = replay(runner, project, ten_days_ago, views=["open_items"])
    assert [i["title"] for i in q.open_items(by_default, project, ten_days_ago)] == [
        "Send the plan"
    ]
    on_record = replay(runner, project, ten_days_ago, basis="recorded", views=["open_items"])
    assert q.open_items(on_record, project, ten_days_ago) == []
    # All of it was recorded after the instant: Opened, MemberAdded x2, Commitment.Made.
    assert recorded_later(runner, project, [ten_days_ago], ["open_items"]) == 4


def test_the_timeline_reads_in_the_order_things_happened(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    opened_at = now - timedelta(days=10)
    project_id = open_in(ledger, "Asia/Shanghai", opened_at)
    ledger.record_interaction(
        PM,
        project_id,
        channel="phone",
        subject="Call",
        summary="Agreed the plan",
        from_address=PM,
        to=[SPONSOR],
        occurred_at=now - timedelta(hours=2),  # noted two hours later: not a late entry
    )
    ledger.make_commitment(
        PM,
        project_id,
        promisor=PM,
        promisee=SPONSOR,
        statement="Send the plan",
        occurred_at=now - timedelta(days=3),  # typed in three days later: a late entry
    )

    def mail(name: str, when: datetime) -> tuple[str, bytes]:
        headers = (
            f"From: {SPONSOR}\r\nTo: {PM}\r\nSubject: {name}\r\n"
            f"Message-ID: <{name}@mail.test>\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\n{name}\r\n"
        )
        return f"{name}.eml", headers.encode()

    summary = import_emails(
        ledger,
        project_id,
        PM,
        Messages(
            [
                mail("budget", now - timedelta(days=5)),
                mail("before", opened_at - timedelta(days=60)),  # older history: flagged
                mail("typo", datetime(1985, 1, 1, tzinfo=UTC)),  # refused
            ]
        ),
    )
    refused = [r for r in summary.results if r.where.endswith("typo.eml")]
    assert refused
    assert "before 1990" in (refused[0].reason or "")
    runner.catch_up()
    project = str(project_id)
    lines, cursor = q.timeline(live, project, limit=500)
    assert cursor is None
    order = [(r["occurred_at"], r["position"]) for r in lines]
    assert order == sorted(order)
    by_subject = {r["subject_id"]: r for r in lines if r["type"] == "Interaction.Recorded"}
    before = by_subject[str(interaction_id_for_source(project_id, "before@mail.test"))]
    budget = by_subject[str(interaction_id_for_source(project_id, "budget@mail.test"))]
    assert lines[0] is before  # imported history from before the opening comes first
    assert before["before_opening"]
    assert before["imported"]
    assert not before["late_entry"]
    assert budget["imported"]
    assert not budget["late_entry"]
    assert budget["late_by_seconds"] == 0
    made = next(r for r in lines if r["type"] == "Commitment.Made")
    assert made["late_entry"]
    assert not made["imported"]
    assert made["late_by_seconds"] > 3 * 86400 - 60
    call = next(r for r in lines if r["type"] == "Interaction.Recorded" and r["actor"] == PM)
    assert not call["late_entry"]
    # The imported budget mail sits between the commitment (3 days ago) and the opening.
    types = [r["type"] for r in lines]
    assert types.index("Project.Opened") < lines.index(budget) < lines.index(made)
    # A larger threshold makes nothing late; pages of one row walk the same order.
    assert not any(
        r["late_entry"]
        for r in q.timeline(live, project, limit=500, late_after=timedelta(days=30))[0]
    )
    paged, after = [], None
    while True:
        page, after = q.timeline(live, project, after=after, limit=1)
        paged.extend(page)
        if after is None:
            break
    assert paged == lines
    # The person index pages in the same order.
    sue, _ = q.audit(live, project, q.AuditFilter(person=SPONSOR), limit=500)
    sue_paged, after = [], None
    while True:
        page, after = q.audit(live, project, q.AuditFilter(person=SPONSOR), after=after, limit=2)
        sue_paged.extend(page)
        if after is None:
            break
    assert sue_paged == sue
    assert [(r["occurred_at"], r["position"]) for r in sue] == sorted(
        (r["occurred_at"], r["position"]) for r in sue
    )


def test_typo_dates_are_refused_and_nothing_is_stored(ledger: Ledger) -> None:
    project_id = open_in(ledger, "Asia/Shanghai", datetime.now(UTC) - timedelta(days=1))
    before = ledger.recorder.max_notification_id()
    for typo in (datetime(226, 9, 1, tzinfo=UTC), datetime(1900, 1, 1, tzinfo=UTC)):
        with pytest.raises(InvalidInputError) as caught:
            ledger.make_commitment(
                PM, project_id, promisor=PM, promisee=SPONSOR, statement="x", occurred_at=typo
            )
        assert caught.value.field == "occurred_at"
        assert typo.isoformat() in str(caught.value)
    with pytest.raises(InvalidInputError) as caught:
        ledger.make_commitment(
            PM, project_id, promisor=PM, promisee=SPONSOR, statement="x", due_at=date(2226, 9, 1)
        )
    assert caught.value.field == "due_at"
    assert "2226-09-01" in str(caught.value)
    assert ledger.recorder.max_notification_id() == before


def test_a_project_stored_before_zones_reads_as_utc(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = uuid4()
    opened = Project.open(Act(PM), id=project_id, name="Old", client_org="C", team_org="T")
    stored = ledger.mapper.to_stored_event(opened.collect_events()[0])
    state = orjson.loads(stored.state)
    del state["class_version"], state["time_zone"]  # as version 1 stored it
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
    assert ledger.get_project(project_id).time_zone == "UTC"
    runner.catch_up()
    assert q.project_time_zone(live, str(project_id)) == "UTC"


def test_people_read_words_not_codes(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    demo = record_demo(ledger)
    assert ledger.get_project(demo.project_id).time_zone == "Asia/Shanghai"
    runner.catch_up()
    lines = [r["narrative"] for r in q.timeline(live, str(demo.project_id), limit=500)[0]]
    plan = next(line for line in lines if "communication plan" in line)
    assert "weekly report every week by Pat Morgan" in plan
    assert "monthly review every month" in plan
    assert "P7D" not in plan
    assert "weekly_report" not in plan
    assert any("as client approver on the client's side" in line for line in lines)
    assert not any("third_party" in line or "team_member" in line for line in lines)
    feed = calendar_feed(ledger, demo.project_id, SPONSOR_OF_DEMO).decode()
    unfolded = feed.replace("\r\n ", "")
    assert "Weekly report due" in unfolded
    assert "weekly report every week\\, by Pat Morgan" in unfolded
    assert "X-WR-TIMEZONE:Asia/Shanghai" in unfolded
    assert "P7D" not in unfolded
