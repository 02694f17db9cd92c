"""Writes whose connection dies at the worst moment — after PostgreSQL committed, before the
client heard it — through a proxy that cuts exactly there (tests/faults/proxy.py).

Before: eventsourcing retried the insert, collided with its own rows, and the API said 409
although the write was stored; the Idempotency-Key was released and a retry stored the step a
second time. Now: the ledger looks at what is stored and answers "stored"; when it cannot look
(the database stays away), the API says 503 "outcome unknown" and keeps the key, and the retry
with that key answers with the first write — stored once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.domain.commitment import Commitment
from ledger.service.application import Ledger
from tests.api.conftest import CLIENT, MEMBERS, TM, build_api, make_settings
from tests.faults.proxy import CuttingProxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxy(pg_url: str) -> Iterator[tuple[CuttingProxy, str]]:
    parts = urlsplit(pg_url)
    assert parts.hostname is not None
    assert parts.port is not None
    cutting = CuttingProxy(parts.hostname, parts.port)
    try:
        # connect_timeout: how long a request waits for a connection while the proxy refuses.
        url = pg_url.replace(f":{parts.port}/", f":{cutting.port}/") + "?connect_timeout=1"
        yield cutting, url
    finally:
        cutting.close()


def fulfilled_events(ledger: Ledger, commitment_id: object) -> int:
    events = ledger.repository.event_store.get(commitment_id)  # type: ignore[arg-type]
    return sum(isinstance(e, Commitment.Fulfilled) for e in events)


def test_a_write_committed_before_the_connection_died_is_reported_stored(
    proxy: tuple[CuttingProxy, str],
) -> None:
    cutting, url = proxy
    ledger = Ledger(url)
    try:
        project = ledger.open_project(TM, name="P", client_org="C", team_org="T").id
        for email, party, role in MEMBERS:
            ledger.add_member(TM, project, email=email, name=email, party=party, role=role)
        made = ledger.make_commitment(TM, project, promisor=TM, promisee=CLIENT, statement="X")
        cutting.cut_after_next_commit()
        result = ledger.fulfil_commitment(TM, project, made.id, note="done")
        assert cutting.cuts == 1
        assert result.version == made.version + 1
        assert result.position > 0
        assert fulfilled_events(ledger, made.id) == 1
    finally:
        ledger.close()


def test_outcome_unknown_is_503_and_the_retry_with_the_key_stores_once(
    proxy: tuple[CuttingProxy, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cutting, url = proxy
    monkeypatch.setenv("ACCORD_WRITE_RESOLVE_SECONDS", "1")
    ledger = Ledger(url)
    try:
        settings = make_settings(url, checkpoint_seconds=0, run_projections=False)
        with TestClient(create_app(settings, ledger=ledger)) as client:
            api = build_api(client, ledger)
            made = api.post(
                api.url("/commitments"),
                {"promisor": TM, "promisee": CLIENT, "statement": "Send the plan"},
            ).json()
            step = api.url(f"/commitments/{made['id']}/fulfil")
            headers = {"Idempotency-Key": "fulfil-1"}
            cutting.cut_after_next_commit(then_refuse=True)
            first = api.post(step, {"note": "sent"}, headers=headers)
            assert first.status_code == 503, first.text
            assert first.json()["type"].endswith("/outcome-unknown")
            assert "same Idempotency-Key" in first.json()["detail"]
            assert first.headers["Retry-After"]
            cutting.refusing.clear()  # the database is reachable again
            deadline = time.monotonic() + 20
            while True:
                retry = api.post(step, {"note": "sent"}, headers=headers)
                if retry.status_code != 409 and retry.status_code < 500:
                    break
                # 409: the first request's claim stands until its doubt is written down.
                assert time.monotonic() < deadline, retry.text
                time.sleep(0.2)
            assert retry.status_code == 200, retry.text
            assert retry.json()["state"] == "fulfilled"
            assert fulfilled_events(ledger, made["id"]) == 1
            again = api.post(step, {"note": "sent"}, headers=headers)
            assert again.status_code == 200
            assert again.headers.get("Idempotent-Replayed") == "true"
            assert fulfilled_events(ledger, made["id"]) == 1
    finally:
        ledger.close()
