"""Operators' expectations: ``GET /metrics`` in the Prometheus text format (requests and
latencies by route template, events, projection lag, checkpoints — api/metrics.py), and logs as
JSON lines with ``ACCORD_LOG_FORMAT=json`` (api/logs.py)."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.logs import uvicorn_log_config
from ledger.service.application import Ledger
from tests.api.conftest import CLIENT, TM, Api, build_api, make_settings


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path_factory.mktemp('metrics') / 'accord.db'}"
    ledger = Ledger(url)
    try:
        settings = make_settings(url, run_projections=False, checkpoint_seconds=0)
        with TestClient(create_app(settings, ledger=ledger)) as client:
            yield build_api(client, ledger)
    finally:
        ledger.close()


def scrape(api: Api) -> dict[str, list[tuple[dict[str, str], float]]]:
    answer = api.client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_requests_are_counted_and_timed_by_route_template(api: Api) -> None:
    for _ in range(3):
        made = api.post(
            api.url("/commitments"), {"promisor": TM, "promisee": CLIENT, "statement": "Ship it"}
        )
        assert made.status_code == 201
        assert api.get(api.url(f"/commitments/{made.json()['id']}")).status_code == 200
    api.client.post(api.url("/commitments"), content=b"x", headers=api.headers())  # 415
    api.client.get("/no/such/page")
    metrics = scrape(api)
    requests = {
        (labels["method"], labels["route"], labels["status"]): value
        for labels, value in metrics["accord_http_requests_total"]
    }
    assert requests[("POST", "/v1/projects/{project_id}/commitments", "201")] == 3
    assert requests[("GET", "/v1/projects/{project_id}/commitments/{commitment_id}", "200")] == 3
    assert requests[("POST", "unmatched", "415")] == 1
    assert not any(str(api.project_id) in route for _, route, _ in requests), "no ids as labels"
    counts = {
        labels["route"]: value
        for labels, value in metrics["accord_http_request_duration_seconds_count"]
        if labels["method"] == "POST"
    }
    assert counts["/v1/projects/{project_id}/commitments"] == 3


def test_the_ledger_the_read_models_and_checkpoints_are_reported(api: Api) -> None:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    head = api.ledger.recorder.max_notification_id()
    metrics = scrape(api)
    assert metrics["accord_events"] == [({}, head)]
    lags = {labels["view"]: value for labels, value in metrics["accord_projection_lag"]}
    assert set(lags) >= {"audit", "open_items"} or len(lags) >= 3
    assert all(value > 0 for value in lags.values())  # the runner is off in this test
    assert metrics["accord_checkpoint_size"] == [({}, 0)]
    services.runner.catch_up()
    services.integrity.make_checkpoint()
    metrics = scrape(api)
    assert all(value == 0 for _, value in metrics["accord_projection_lag"])
    assert metrics["accord_checkpoint_size"] == [({}, head)]
    ((_, age),) = metrics["accord_checkpoint_age_seconds"]
    assert 0 <= age < 60


def test_logs_are_json_lines_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    loggers = ("uvicorn", "uvicorn.error", "uvicorn.access", "accord")
    saved = {name: logging.getLogger(name).handlers[:] for name in loggers}
    try:
        logging.config.dictConfig(uvicorn_log_config("json"))
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/v1/projects/x/calendar.ics?token=acal_secret",
            "1.1",
            200,
        )
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("accord.api").exception("unexpected error %s", "E-12345678")
        captured = capsys.readouterr()  # uvicorn: access lines on stdout, the others on stderr
        lines = [
            json.loads(line)
            for line in (captured.out + captured.err).splitlines()
            if line.startswith("{")
        ]
    finally:
        for name, handlers in saved.items():
            logging.getLogger(name).handlers = handlers
    access, error = lines[-2], lines[-1]
    assert access["logger"] == "uvicorn.access"
    assert access["method"] == "GET"
    assert access["status"] == 200
    assert access["path"] == "/v1/projects/x/calendar.ics?token=[redacted]"
    assert access["time"].endswith("+00:00")
    assert error["level"] == "error"
    assert error["message"] == "unexpected error E-12345678"
    assert "RuntimeError: boom" in error["exception"]
    with pytest.raises(ValueError, match="use text or json"):
        uvicorn_log_config("xml")
