"""The projection runner across a PostgreSQL restart, in process: it keeps running, says it is
retrying (with the error) while the database is away, and catches up by itself afterwards to
the same rows a rebuild gives."""

from __future__ import annotations

import time

import pytest

from ledger.service.application import Ledger
from projections.asof import LiveViews
from projections.runner import ProjectionRunner
from tests.pgserver import PostgresServer
from tests.projections.helpers import dump
from tests.scenarios import record_tour

pytestmark = pytest.mark.postgres


def test_the_runner_survives_a_database_restart(
    pg_url: str, restartable_postgres: PostgresServer
) -> None:
    ledger = Ledger(pg_url)
    runner = ProjectionRunner(ledger)
    thread = runner.start_in_background(poll_interval=0.05)
    try:
        record_tour(ledger)
        assert runner.wait_for(ledger.recorder.max_notification_id() or 0, timeout=20)
        restartable_postgres.stop()
        deadline = time.monotonic() + 10
        while runner.report.state != "retrying":
            assert time.monotonic() < deadline, "the runner did not notice the database going"
            time.sleep(0.05)
        assert runner.report.last_error
        assert thread.is_alive()
        restartable_postgres.start()
        record_tour(ledger)  # more events once it is back
        head = ledger.recorder.max_notification_id() or 0
        assert runner.wait_for(head, timeout=30), runner.report
        deadline = time.monotonic() + 10
        while runner.report.state != "running":  # the step that applied them is ending
            assert time.monotonic() < deadline, runner.report
            time.sleep(0.05)
        assert runner.report.last_error  # kept for operators
        live = dump(LiveViews(runner), runner)
        states = {v.name: v.state for v in runner.view_health()}
        assert set(states.values()) == {"current"}
    finally:
        runner.close()
        thread.join(timeout=10)
    clean = ProjectionRunner(ledger)
    try:
        for name in clean.projections:
            clean.rebuild(name)
        assert dump(LiveViews(clean), clean) == live
    finally:
        clean.close()
        ledger.close()
