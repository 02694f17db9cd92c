"""Corrections, retractions, renegotiations, rejected and withdrawn changes, disputes and
reopenings, read through the views."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.interchange.demo import SPONSOR
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews
from projections.runner import ProjectionRunner
from tests.scenarios import record_tour


def test_the_tour_through_the_views(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_tour(ledger, close=False))
    runner.catch_up()
    now = datetime.now(UTC)

    commitments = {c["statement"]: c for c in q.commitments(live, project)}
    docs = commitments["API docs"]
    assert docs["renegotiations"] == 1  # agreed once, declined once
    assert docs["due_at"] != docs["original_due_at"]
    assert docs["state"] == "fulfilment_disputed"
    assert commitments["Demo video"]["state"] == "withdrawn"
    assert commitments["Training"]["state"] == "released"

    items = {i["title"]: i for i in q.open_items(live, project, now)}
    # A disputed fulfilment is back with the promisor.
    assert items["API docs"]["state"] == "fulfilment_disputed"
    assert items["API docs"]["ball_in_court"]["party"] == "team"
    assert "Demo video" not in items
    assert "Training" not in items
    # The reopened issue is open again, with the team.
    assert items["Login slow"]["state"] == "in_progress"
    # The risk that materialised is not an open risk; the issue it raised is open.
    assert not [i for i in items.values() if i["kind"] == "risk"]
    assert any(i["kind"] == "problem" and "Vendor API" in i["title"] for i in items.values())
    # Rejected and withdrawn changes are not awaiting anyone; the implemented one neither.
    assert not [i for i in items.values() if i["kind"] == "change_request"]

    baseline = {e["title"]: e for e in q.expectations(live, project)}
    launch = baseline["Launch"]
    # Only the approved change moved the launch: the rejected one left no trace in its values.
    assert [p["cause"] for p in launch["provenance"]] == ["agreement", "change_request"]
    assert launch["provenance"][1]["change_request"]["title"] == "Export"
    assert baseline["Hosting"]["state"] == "withdrawn"
    assert baseline["Style guide"]["delivery"] == "accepted"

    trail, _ = q.audit(live, project, limit=500)
    lines = [r["narrative"] for r in trail]
    assert any("corrected the record of “Status”" in line for line in lines)
    assert any("retracted the record of “Status”" in line for line in lines)
    assert any("rejected the change “Dark mode”" in line for line in lines)
    assert any("marked the decision “Postgres” superseded" in line for line in lines)
    assert any(line.startswith("dana.lee linked “Re: Plan” into its thread") for line in lines)

    m = q.metrics(live, project, now)
    assert m["acknowledgements_outstanding"] == 0  # one disputed, one withdrawn
    assert m["issue_first_response"] == {}  # no answer from the other side was recorded
    # The reply recorded before the plan counts once linked to it: answered 0.3 h later.
    assert m["email_reply"] == {
        "client": {"count": 1, "median_hours": 0.3, "mean_hours": 0.3, "max_hours": 0.3}
    }
    sams = q.commitments(live, project, person=SPONSOR)
    assert {c["statement"] for c in sams} == {"API docs", "Demo video"}


def test_a_closed_project_has_nothing_open(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project = str(record_tour(ledger, close=True))
    runner.catch_up()
    assert q.open_items(live, project, datetime.now(UTC)) == []
