"""Opening the ledger from several processes or threads at once (two `accord serve` starting
together, a server and an import): on PostgreSQL, eventsourcing's table creation raced ("tuple
concurrently updated") in about one start in three (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from ledger.application import Ledger


def test_ledgers_opened_at_the_same_moment_all_open(database_url: str) -> None:
    failures: list[BaseException] = []
    for _ in range(8):
        start = threading.Barrier(3)

        def open_and_record(start: threading.Barrier = start) -> None:
            try:
                start.wait(timeout=30)
                ledger = Ledger(database_url)
                try:
                    ledger.open_project("pm@team.test", name="P", client_org="C", team_org="T")
                finally:
                    ledger.close()
            except BaseException as e:  # reported by the test's thread
                failures.append(e)

        threads = [threading.Thread(target=open_and_record) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(t.is_alive() for t in threads)
    assert failures == []
    ledger = Ledger(database_url)
    try:
        # Each project: Project.Opened and the opener becoming its team manager.
        assert ledger.recorder.max_notification_id() == 8 * 3 * 2
    finally:
        ledger.close()
