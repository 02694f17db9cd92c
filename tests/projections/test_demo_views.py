"""The demo project read through the views: the overdue commitment, the milestone moved by the
approved change, the missed weekly report, whose move it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ledger.interchange.demo import CLIENT, PM, SPONSOR, record_demo
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.runner import ProjectionRunner


def test_open_items_of_the_demo(ledger: Ledger, runner: ProjectionRunner, live: LiveViews) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    now = datetime.now(UTC)
    items = q.open_items(live, project, now)
    by_title = {i["title"]: i for i in items}

    brand = by_title["Provide brand guidelines and logo files"]
    assert brand["kind"] == "commitment"
    assert brand["overdue"] is True
    assert brand["ball_in_court"] == {"party": "client", "person": CLIENT}
    assert brand["age_days"] > 20

    missed = [i for i in items if i["kind"] == "missed_cadence"]
    assert len(missed) == 1
    assert missed[0]["ball_in_court"]["person"] == PM
    assert "weekly report" in missed[0]["title"]

    hosting = by_title["Confirm the hosting provider"]
    assert hosting["overdue"] is False
    assert hosting["ball_in_court"]["person"] == SPONSOR

    kinds = sorted(i["kind"] for i in items)
    assert kinds.count("acknowledgement") == 4  # minutes (Chris), reports 1 (Chris) and 2 (both)
    assert "question" in kinds
    assert "problem" in kinds
    assert "risk" in kinds
    # Kept, accepted commitments and the approved change are not open.
    assert "Send the project plan" not in by_title
    assert not [i for i in items if i["kind"] == "change_request"]
    # Overdue first.
    assert [i["overdue"] for i in items] == sorted((i["overdue"] for i in items), reverse=True)


def test_milestone_moved_by_the_approved_change(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    beta = next(e for e in q.expectations(live, project) if e["title"] == "Beta release")
    first, second = beta["provenance"]
    moved = date.fromisoformat(second["value"]["date"]) - date.fromisoformat(first["value"]["date"])
    assert moved == timedelta(days=14)
    assert first["cause"] == "agreement"
    assert second["cause"] == "change_request"
    assert second["change_request"]["title"] == "Single sign-on with Azure AD"
    assert second["change_request"]["state"] == "approved"
    assert second["change_request"]["decided_by"] == SPONSOR

    # The diff from the kickoff to now names the change that explains it.
    kickoff = datetime.fromisoformat(first["occurred_at"].replace("Z", "+00:00"))
    diff = q.expectations_diff(live, project, kickoff, datetime.now(UTC), basis="occurred")
    changed = {d["title"]: d for d in diff}
    assert set(changed) == {"Beta release", "Fixed budget"}
    assert changed["Beta release"]["change"] == "revised"
    explained = changed["Beta release"]["explained_by"]
    assert [p["change_request"]["title"] for p in explained] == ["Single sign-on with Azure AD"]


def test_expectations_as_of_before_the_change(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    beta = next(e for e in q.expectations(live, project) if e["title"] == "Beta release")
    set_at = datetime.fromisoformat(beta["provenance"][0]["occurred_at"].replace("Z", "+00:00"))
    # By what had happened a day after the kickoff, the beta was still on its original date.
    before = {
        e["title"]: e
        for e in q.expectations_as_of(live, project, set_at + timedelta(days=1), basis="occurred")
    }
    assert before["Beta release"]["value"] == beta["provenance"][0]["value"]
    # Recorded-time basis: the demo was recorded moments ago, so a day ago the ledger knew nothing.
    day_ago = datetime.now(UTC) - timedelta(days=1)
    assert q.expectations_as_of(live, project, day_ago, basis="recorded") == []
    # The default basis is what had happened: the whole baseline, all recorded after then.
    assert q.expectations_as_of(live, project, day_ago)
    assert q.baseline_recorded_later(live, project, [day_ago]) > 0


def test_commitments_and_evidence_grades(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    grades = {c["statement"]: c["evidence_grade"] for c in q.commitments(live, project)}
    assert grades == {
        "Send the project plan": "acknowledged_in_ledger",
        "Deliver the revised wireframes": "acknowledged_in_ledger",
        "Provide brand guidelines and logo files": "recorded_by_counterparty",
        "Confirm the hosting provider": "recorded_by_counterparty",
    }
    sams = q.commitments(live, project, person=SPONSOR)
    assert {c["statement"] for c in sams} == {
        "Send the project plan",
        "Deliver the revised wireframes",
        "Confirm the hosting provider",
    }


def test_audit_trail_filters_and_pages(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    everything, cursor = q.audit(live, project, limit=500)
    assert cursor is None
    order = [(r["occurred_at"], r["position"]) for r in everything]
    assert order == sorted(order)  # the order things happened in
    assert len(order) == ledger.recorder.max_notification_id()

    pages, after = [], None
    while True:
        page, after_next = q.audit(live, project, after=after, limit=7)
        pages.extend(page)
        if after_next is None:
            break
        after = after_next
    assert pages == everything

    sams, _ = q.audit(live, project, q.AuditFilter(person=SPONSOR), limit=500)
    assert sams
    assert all(SPONSOR in (r["actor"], r["attributed_to"]) or "Sam" in r["narrative"] for r in sams)
    made, _ = q.audit(live, project, q.AuditFilter(type="Commitment.Made"), limit=500)
    assert len(made) == 4
    changes, _ = q.audit(live, project, q.AuditFilter(type="ChangeRequest"), limit=500)
    assert [r["type"] for r in changes] == [
        "ChangeRequest.Requested",
        "ChangeRequest.ImpactAssessed",
        "ChangeRequest.Approved",
    ]
    subject = changes[0]["subject_id"]
    about, _ = q.audit(live, project, q.AuditFilter(subject=subject), limit=500)
    assert about == changes
    first_week_end = datetime.fromisoformat(everything[0]["occurred_at"].replace("Z", "+00:00"))
    early, _ = q.audit(
        live, project, q.AuditFilter(occurred_to=first_week_end + timedelta(days=7)), limit=500
    )
    assert 0 < len(early) < len(everything)
    # Every line is readable, and lateness shows: the demo was recorded today about the past.
    assert all(r["narrative"] and r["late_entry"] for r in everything[1:])


def test_in_memory_replay_agrees_with_the_live_views(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    now = datetime.now(UTC)
    memory = replay(runner, project)
    assert q.open_items(memory, project, now) == q.open_items(live, project, now)
    assert q.expectations(memory, project) == q.expectations(live, project)
    assert q.metrics(memory, project, now) == q.metrics(live, project, now)
    assert q.commitments(memory, project) == q.commitments(live, project)
    assert q.timeline(memory, project, limit=500) == q.timeline(live, project, limit=500)


def test_metrics_of_the_demo(ledger: Ledger, runner: ProjectionRunner, live: LiveViews) -> None:
    project = str(record_demo(ledger).project_id)
    runner.catch_up()
    m = q.metrics(live, project, datetime.now(UTC))
    weekly = next(c for c in m["cadence_adherence"] if c["kind"] == "weekly_report")
    assert (weekly["met"], len(weekly["missed"])) == (2, 1)
    assert m["commitments_by_promisor_party"]["team"]["share_kept_on_time"] == 1.0
    assert m["commitments_by_promisor_party"]["client"]["overdue"] == 1
    assert m["acknowledgement_latency"]["client"]["count"] == 2
    assert m["issue_first_response"]["team"]["median_hours"] == 1.0


def test_open_items_as_of_an_earlier_day(ledger: Ledger, runner: ProjectionRunner) -> None:
    """ "Open items as of day 4", by what had happened then: replayed in memory with the same
    projection code, only the open-items view."""
    result = record_demo(ledger)
    project = str(result.project_id)
    runner.catch_up()
    live = LiveViews(runner)
    kickoff_at = next(
        datetime.fromisoformat(r["occurred_at"])
        for r in q.timeline(live, project, limit=500)[0]
        if r["narrative"].startswith("Meeting “Kickoff”")
    )
    day4 = kickoff_at + timedelta(days=4)
    then = replay(runner, project, until=day4, basis="occurred", views=["open_items"])
    items = {i["title"]: i for i in q.open_items(then, project, day4)}
    assert items["Provide brand guidelines and logo files"]["overdue"] is False
    assert items["Deliver the revised wireframes"]["state"] == "open"
    assert "Send the project plan" not in items  # fulfilled on day 2, accepted on day 3
    assert not [i for i in items.values() if i["kind"] in ("problem", "question", "risk")]
