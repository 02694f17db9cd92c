"""The query routes over HTTP: open items, baseline (now, as of, diff), audit, who promised what,
timeline, metrics, history; read-your-writes with ``wait_for``; non-members get 404."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ledger.interchange.demo import AUDITOR, CLIENT, PM, SPONSOR, record_demo
from ledger.service.application import Ledger


@pytest.fixture
def demo(database_url: str) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    ledger = Ledger(database_url)
    project = str(record_demo(ledger).project_id)
    app = create_app(Settings(database_url=database_url, run_projections=True), ledger=ledger)
    services = app.state.services
    tokens = {
        who: services.tokens.create(email).token
        for who, email in (
            ("pm", PM),
            ("sponsor", SPONSOR),
            ("auditor", AUDITOR),
            ("client", CLIENT),
            ("stranger", "nobody@else.example"),
        )
    }
    try:
        with TestClient(app) as client:
            assert services.runner.wait_for(ledger.recorder.max_notification_id() or 0, 20)
            yield client, project, tokens
    finally:
        ledger.close()


def get(client: TestClient, token: str, path: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_open_items_baseline_and_diff(demo: tuple[TestClient, str, dict[str, str]]) -> None:
    client, project, tokens = demo
    base = f"/v1/projects/{project}"
    items = get(client, tokens["auditor"], f"{base}/open-items")["items"]
    brand = next(i for i in items if i["title"] == "Provide brand guidelines and logo files")
    assert brand["overdue"] is True
    assert brand["ball_in_court"] == {"party": "client", "person": CLIENT}
    assert any(i["kind"] == "missed_cadence" for i in items)

    baseline = get(client, tokens["sponsor"], f"{base}/expectations/baseline")["items"]
    beta = next(e for e in baseline if e["title"] == "Beta release")
    steps = beta["provenance"]
    assert steps[-1]["change_request"]["title"] == "Single sign-on with Azure AD"

    kickoff = steps[0]["occurred_at"]
    diff = get(
        client, tokens["pm"], f"{base}/expectations/diff", **{"from": kickoff}, basis="occurred"
    )
    assert {c["title"] for c in diff["changes"]} == {"Beta release", "Fixed budget"}

    earlier = datetime.fromisoformat(kickoff) + timedelta(days=4)
    then = get(client, tokens["pm"], f"{base}/open-items", as_of=earlier.isoformat())
    titles = {i["title"] for i in then["items"]}
    assert "Provide brand guidelines and logo files" in titles
    assert "Staging server down: acceptance testing blocked" not in titles


def test_audit_promises_timeline_metrics_history(
    demo: tuple[TestClient, str, dict[str, str]],
) -> None:
    client, project, tokens = demo
    base = f"/v1/projects/{project}"
    page = get(client, tokens["auditor"], f"{base}/audit", person=SPONSOR, limit=5)
    assert len(page["items"]) == 5
    assert page["next_cursor"] is not None
    more = get(
        client,
        tokens["auditor"],
        f"{base}/audit",
        person=SPONSOR,
        cursor=page["next_cursor"],
        limit=5,
    )
    assert more["items"][0]["position"] > page["items"][-1]["position"]
    made = get(client, tokens["auditor"], f"{base}/audit", type="Commitment.Made")["items"]
    assert len(made) == 4

    promises = get(client, tokens["auditor"], f"{base}/audit/commitments", person=CLIENT)["items"]
    assert [(p["statement"], p["evidence_grade"]) for p in promises] == [
        ("Provide brand guidelines and logo files", "recorded_by_counterparty")
    ]
    timeline = get(client, tokens["client"], f"{base}/timeline", limit=500)["items"]
    assert timeline[0]["type"] == "Project.Opened"
    assert all(line["narrative"] for line in timeline)
    metrics = get(client, tokens["pm"], f"{base}/metrics")
    weekly = next(c for c in metrics["cadence_adherence"] if c["kind"] == "weekly_report")
    assert weekly["met"] == 2
    history = get(client, tokens["pm"], f"{base}/history", until=datetime.now(UTC).isoformat())
    assert history["timeline"]
    assert history["open_items"]
    assert history["baseline"]


def test_read_your_writes_and_privacy(demo: tuple[TestClient, str, dict[str, str]]) -> None:
    client, project, tokens = demo
    base = f"/v1/projects/{project}"
    response = client.post(
        f"{base}/commitments",
        json={"promisor": PM, "promisee": SPONSOR, "statement": "Send the SSO test plan"},
        headers={"Authorization": f"Bearer {tokens['pm']}"},
    )
    assert response.status_code == 201, response.text
    position = int(response.headers["Accord-Position"])
    items = get(client, tokens["pm"], f"{base}/open-items", wait_for=position)["items"]
    assert any(i["title"] == "Send the SSO test plan" for i in items)

    hidden = client.get(
        f"{base}/open-items", headers={"Authorization": f"Bearer {tokens['stranger']}"}
    )
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    naive = client.get(
        f"{base}/open-items",
        params={"as_of": "2026-03-01T10:00:00"},
        headers={"Authorization": f"Bearer {tokens['pm']}"},
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "as_of"
