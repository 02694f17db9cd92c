"""Opening the ledger from several processes or threads at once (two `accord serve` starting
together, a server and an import), on a new database and on one whose tables exist: on
PostgreSQL, eventsourcing's table creation raced ("tuple concurrently updated", "relation
already exists") in about one start in three; on SQLite, a new file answered "database is
locked" while one opener switched it to WAL (now retried, ``ledger.storage.sql.switch_to_wal``)
(SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger.service.application import Ledger
from tests.pgserver import PostgresServer

ROUNDS = 6


@pytest.fixture
def new_database(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """A factory of new, empty databases of the test's backend."""
    created: list[str] = []
    server: PostgresServer | None = None
    if database_url.startswith("postgresql"):
        server = request.getfixturevalue("postgres_server")

    count = iter(range(1_000))

    def new() -> str:
        if server is None:
            return f"sqlite:///{tmp_path / f'new-{next(count)}.db'}"
        name = server.create_database()
        created.append(name)
        return server.url(name)

    try:
        yield new
    finally:
        for name in created:
            assert server is not None
            server.drop_database(name)


def open_at_once(url: str, threads: int = 3) -> list[BaseException]:
    """Open the ledger at ``url`` from ``threads`` threads at the same moment, each recording a
    project; the errors they met."""
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def open_and_record() -> None:
        try:
            start.wait(timeout=30)
            ledger = Ledger(url)
            try:
                ledger.open_project("pm@team.test", name="P", client_org="C", team_org="T")
            finally:
                ledger.close()
        except BaseException as e:  # reported by the test's thread
            failures.append(e)

    workers = [threading.Thread(target=open_and_record) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not any(w.is_alive() for w in workers)
    return failures


def test_ledgers_opened_at_once_on_new_databases_all_open(
    new_database: Callable[[], str], database_url: str
) -> None:
    for _ in range(ROUNDS):
        url = new_database()
        assert open_at_once(url) == []
        ledger = Ledger(url)
        try:
            # Each project: Project.Opened and the opener becoming its team manager.
            assert ledger.recorder.max_notification_id() == 3 * 2
        finally:
            ledger.close()


def test_ledgers_opened_at_once_on_an_existing_database_all_open(database_url: str) -> None:
    Ledger(database_url).close()
    for _ in range(ROUNDS):
        assert open_at_once(database_url) == []
