"""Two ``accord serve`` nodes on one PostgreSQL, written to by clients that retry with their
Idempotency-Key, through three ``pg_ctl restart -m fast`` and a kill -9 of one node:

* nothing acknowledged is lost, nothing is stored twice, no request is refused with a phantom
  409 (a conflict that was in fact its own stored write);
* once the database is back (a second's grace), no request gets a 5xx (nor a request sent
  more than a second before it went: those in flight may get a 503, never a 500);
* the read models catch up by themselves, and equal a rebuild from position zero."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from uuid import UUID

import httpx
import pytest

from ledger.domain.commitment import Commitment
from ledger.service.application import Ledger
from projections.asof import LiveViews
from projections.runner import ProjectionRunner
from tests.faults.conftest import Server
from tests.faults.load import Load, prepare
from tests.pgserver import PostgresServer
from tests.projections.helpers import dump

GRACE_SECONDS = 1.0

pytestmark = pytest.mark.postgres


def test_two_nodes_through_three_restarts_and_a_kill(
    pg_url: str, restartable_postgres: PostgresServer, serve: Callable[..., Server]
) -> None:
    project, tokens = prepare(pg_url)
    env = {"ACCORD_DATABASE_URL": pg_url, "ACCORD_CHECKPOINT_SECONDS": "1"}
    nodes = [serve(env), serve(env)]
    load = Load([n.url for n in nodes], project, tokens)
    load.start(writers_per_node=2)
    outages: list[tuple[float, float]] = []
    try:
        for round_ in range(3):
            time.sleep(1.5)
            went = time.monotonic()
            restartable_postgres.restart()
            outages.append((went, time.monotonic()))
            if round_ == 1:
                load.dead.add(nodes[1].url)
                nodes[1].kill()  # kill -9 one node of two, under load
        time.sleep(1.5)
    finally:
        load.finish()
    assert not load.errors, load.errors
    assert load.made, load.statuses()
    assert not load.conflicts, load.conflicts[:3]
    late = [
        o
        for o in load.attempts
        if (o.status is None or o.status >= 500)
        and o.node not in load.dead
        and not any(
            went - GRACE_SECONDS <= o.sent_at <= back + GRACE_SECONDS for went, back in outages
        )
    ]
    assert not late, (late[:5], outages, load.statuses())

    survivor = nodes[0].url
    deadline = time.monotonic() + 30
    while True:
        health = httpx.get(f"{survivor}/health", timeout=10)
        views = health.json().get("views", [])
        if health.status_code == 200 and views and all(v["state"] == "current" for v in views):
            break
        assert time.monotonic() < deadline, health.text
        time.sleep(0.2)

    ledger = Ledger(pg_url)
    try:
        stored: Counter[str] = Counter()
        made = set(load.made)
        for item in made:
            events = list(ledger.events.get(UUID(item)))
            assert isinstance(events[0], Commitment.Made)
            stored["fulfilled"] += sum(isinstance(e, Commitment.Fulfilled) for e in events)
            assert sum(isinstance(e, Commitment.Fulfilled) for e in events) <= 1, item
        assert len(made) == len(load.made)  # each acknowledged once
        assert stored["fulfilled"] >= len(set(load.fulfilled))
        everything = ledger.recorder.select_notifications(start=1, limit=1_000_000)
        commitments = {n.originator_id for n in everything if n.topic.endswith("Commitment.Made")}
        assert commitments >= {UUID(i) for i in made}
        runner = ProjectionRunner(ledger)
        try:
            live = dump(LiveViews(runner), runner)
            for name in runner.projections:
                runner.rebuild(name)
            assert dump(LiveViews(runner), runner) == live
        finally:
            runner.close()
    finally:
        ledger.close()
