"""No answer from views that are behind is silently stale: every query says how far behind
the views are (``Accord-Views-Behind``, ``views``), and beyond the bound says it is stale
(``Accord-Views-Stale``, ``views.stale``); ``/health`` shows a view no runner moves as stalled."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.service.application import Ledger
from tests.api.conftest import TM, Api, build_api, make_settings


@pytest.fixture
def idle_api(database_url: str) -> Iterator[Api]:
    """No projection runner in this process and none elsewhere: the views do not move."""
    ledger = Ledger(database_url)
    try:
        settings = make_settings(
            database_url, run_projections=False, checkpoint_seconds=0, stale_after_seconds=0.2
        )
        with TestClient(create_app(settings, ledger=ledger)) as client:
            yield build_api(client, ledger)
    finally:
        ledger.close()


def test_a_query_from_views_behind_the_bound_says_it_is_stale(idle_api: Api) -> None:
    api = idle_api
    api.post(
        api.url("/interactions"), {"channel": "phone", "summary": "a call", "from_address": TM}
    )
    time.sleep(0.3)  # older than the bound
    for path in ("/open-items", "/expectations/baseline", "/audit", "/timeline", "/metrics"):
        answer = api.get(api.url(path))
        assert answer.status_code == 200, answer.text
        behind = int(answer.headers["Accord-Views-Behind"])
        assert behind > 0
        assert float(answer.headers["Accord-Views-Stale"]) > 0.2
        views = answer.json()["views"]
        assert views["stale"] is True
        assert views["behind"] == behind
        assert views["position"] < views["head"]
    health = api.client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert {v["state"] for v in health.json()["views"]} == {"stalled"}


def test_current_views_are_not_stale(api: Api) -> None:
    head = api.ledger.recorder.max_notification_id()
    answer = api.get(api.url(f"/open-items?wait_for={head}"))
    assert answer.headers["Accord-Views-Behind"] == "0"
    assert "Accord-Views-Stale" not in answer.headers
    assert answer.json()["views"]["stale"] is False
