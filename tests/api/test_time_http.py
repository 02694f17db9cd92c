"""Time over HTTP: a project opened in a zone far from UTC, plain-date due dates and date-only
query parameters counted in it, answers that name their basis, typo dates refused with the
field named, the timeline paged in the order things happened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from typer.testing import CliRunner

from api.cli import app as cli
from ledger.domain.time import end_of_day, local_date
from tests.api.conftest import CLIENT, MEMBERS, TM, Api

ZONE = "Pacific/Kiritimati"  # UTC+14


def open_far(api: Api, **extra: Any) -> tuple[str, dict[str, Any]]:
    now = datetime.now(UTC)
    body = {
        "name": "Far east",
        "client_org": "C",
        "team_org": "T",
        "time_zone": ZONE,
        "occurred_at": (now - timedelta(days=30)).isoformat(),
        **extra,
    }
    response = api.post("/v1/projects", body)
    assert response.status_code == 201, response.text
    project = response.json()
    for email, party, role in MEMBERS:
        added = api.post(
            f"/v1/projects/{project['id']}/members",
            {
                "email": email,
                "name": email.split("@")[0].title(),
                "party": party,
                "role": role,
                "occurred_at": (now - timedelta(days=30)).isoformat(),
            },
        )
        assert added.status_code == 200, added.text
    return project["id"], project


def test_a_project_in_a_far_zone_counts_its_days_there(api: Api) -> None:
    project_id, project = open_far(api)
    assert project["time_zone"] == ZONE
    base = f"/v1/projects/{project_id}"

    bad = api.post(
        "/v1/projects", {"name": "X", "client_org": "C", "team_org": "T", "time_zone": "Mars/Base"}
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "time_zone"
    assert "Mars/Base" in bad.json()["detail"]

    # A plain due date is due by the end of that day in the project's zone.
    now = datetime.now(UTC)
    due_day = local_date(now - timedelta(days=3), ZONE)
    made = api.post(
        f"{base}/commitments",
        {
            "promisor": TM,
            "promisee": CLIENT,
            "statement": "Send the plan",
            "due_at": due_day.isoformat(),
            "occurred_at": (now - timedelta(days=20)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    assert datetime.fromisoformat(made.json()["due_at"]) == end_of_day(due_day, ZONE)
    position = made.headers["Accord-Position"]

    # as_of a date: the end of that day, shown with the project's offset; basis named.
    as_of_day = local_date(now - timedelta(days=10), ZONE)
    then = api.get(
        f"{base}/open-items", params={"as_of": as_of_day.isoformat(), "wait_for": position}
    ).json()
    assert then["as_of"] == f"{as_of_day.isoformat()}T23:59:59.999999+14:00"
    assert then["time_zone"] == ZONE
    assert then["basis"] == "occurred"
    assert then["recorded_later"] >= 1  # all of it was recorded after that day
    assert "recorded after" in then["note"]
    assert [i["title"] for i in then["items"]] == ["Send the plan"]
    assert then["items"][0]["overdue"] is False
    on_record = api.get(
        f"{base}/open-items", params={"as_of": as_of_day.isoformat(), "basis": "recorded"}
    ).json()
    assert on_record["items"] == []
    assert on_record["recorded_later"] is None
    # The first instant of the day after the due date, local time: overdue.
    after_due = (end_of_day(due_day, ZONE) + timedelta(microseconds=1)).isoformat()
    now_items = api.get(f"{base}/open-items", params={"now": after_due}).json()["items"]
    assert next(i for i in now_items if i["kind"] == "commitment")["overdue"] is True
    at_due = api.get(f"{base}/open-items", params={"now": end_of_day(due_day, ZONE).isoformat()})
    assert next(i for i in at_due.json()["items"] if i["kind"] == "commitment")["overdue"] is False

    for value in ("2026-09-26T10:00:00", "tomorrow", "2026-02-30"):
        refused = api.get(f"{base}/open-items", params={"as_of": value})
        assert refused.status_code == 422, value
        assert refused.json()["field"] == "as_of"

    # The zone changes by an event; the project says so.
    changed = api.post(f"{base}/time-zone", {"time_zone": "Pacific/Pago_Pago"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == "Pacific/Pago_Pago"


def test_back_dated_baseline_and_diff_answer_by_what_had_happened(api: Api) -> None:
    project_id, _ = open_far(api)
    base = f"/v1/projects/{project_id}"
    now = datetime.now(UTC)
    set_ = api.post(
        f"{base}/expectations",
        {
            "kind": "milestone",
            "title": "Beta",
            "value": {"date": (now + timedelta(days=30)).date().isoformat()},
            "occurred_at": (now - timedelta(days=20)).isoformat(),
        },
    )
    assert set_.status_code == 201, set_.text
    week_ago = local_date(now - timedelta(days=7), ZONE).isoformat()
    wait = {"wait_for": set_.headers["Accord-Position"]}
    baseline = api.get(f"{base}/expectations/baseline", params={"as_of": week_ago, **wait}).json()
    assert [e["title"] for e in baseline["items"]] == ["Beta"]
    assert baseline["basis"] == "occurred"
    assert baseline["recorded_later"] == 1
    recorded = api.get(
        f"{base}/expectations/baseline", params={"as_of": week_ago, "basis": "recorded"}
    ).json()
    assert recorded["items"] == []
    assert recorded["basis"] == "recorded"
    month_ago = local_date(now - timedelta(days=25), ZONE).isoformat()
    diff = api.get(f"{base}/expectations/diff", params={"from": month_ago, "to": week_ago}).json()
    assert [c["change"] for c in diff["changes"]] == ["added"]
    assert diff["recorded_later"] == 1
    assert diff["from"].endswith("+14:00")
    history = api.get(f"{base}/history", params={"until": week_ago}).json()
    assert history["basis"] == "occurred"
    assert [e["title"] for e in history["baseline"]] == ["Beta"]
    assert history["recorded_later"] >= 1


def test_typo_dates_are_refused_naming_field_and_value(api: Api) -> None:
    project_id, _ = open_far(api)
    base = f"/v1/projects/{project_id}"
    for typo in ("0226-09-01T10:00:00Z", "1900-01-01T00:00:00Z"):
        refused = api.post(
            f"{base}/commitments",
            {"promisor": TM, "promisee": CLIENT, "statement": "x", "occurred_at": typo},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "occurred_at"
        assert typo[:10] in refused.json()["detail"]
    refused = api.post(
        f"{base}/commitments",
        {"promisor": TM, "promisee": CLIENT, "statement": "x", "due_at": "2226-09-01"},
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "due_at"


def test_the_timeline_pages_in_the_order_things_happened(api: Api) -> None:
    project_id, _ = open_far(api)
    base = f"/v1/projects/{project_id}"
    now = datetime.now(UTC)
    last = ""
    for days in (2, 9, 5):  # recorded in another order than they happened
        made = api.post(
            f"{base}/commitments",
            {
                "promisor": TM,
                "promisee": CLIENT,
                "statement": f"{days} days ago",
                "occurred_at": (now - timedelta(days=days)).isoformat(),
            },
        )
        assert made.status_code == 201, made.text
        last = made.headers["Accord-Position"]
    everything = api.get(f"{base}/timeline", params={"limit": 500, "wait_for": last}).json()
    lines = everything["items"]
    assert [(r["occurred_at"], r["position"]) for r in lines] == sorted(
        (r["occurred_at"], r["position"]) for r in lines
    )
    statements = [r["narrative"] for r in lines if r["type"] == "Commitment.Made"]
    assert [s.split("“")[1].split("”")[0] for s in statements] == [
        "9 days ago",
        "5 days ago",
        "2 days ago",
    ]
    assert all(r["late_entry"] and not r["imported"] for r in lines)
    paged: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"{base}/timeline", params=params).json()
        paged += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == lines
    assert api.get(f"{base}/timeline", params={"cursor": "12"}).status_code == 422
    audit = api.get(f"{base}/audit", params={"from": date.today().isoformat(), "limit": 500})
    assert audit.status_code == 200


def test_the_cli_opens_a_project_in_a_zone(api: Api) -> None:
    url = api.ledger.storage.url
    result = CliRunner().invoke(
        cli,
        [
            "project",
            "open",
            "--name",
            "From the shell",
            "--client-org",
            "C",
            "--team-org",
            "T",
            "--as",
            TM,
            "--time-zone",
            "Pacific/Pago_Pago",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    project_id = result.stdout.strip().splitlines()[-1]
    assert api.ledger.get_project(UUID(project_id)).time_zone == "Pacific/Pago_Pago"
    bad = CliRunner().invoke(
        cli,
        [
            "project",
            "time-zone",
            "Nowhere/Else",
            "--project",
            project_id,
            "--as",
            TM,
            "--database-url",
            url,
        ],
    )
    assert bad.exit_code == 2
    assert "Nowhere/Else" in bad.output
