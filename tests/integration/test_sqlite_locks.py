"""A process with a SQLite ledger open keeps SQLite's locks on it whatever else of ours opens the
file meanwhile (the storage check, another database handle, another ledger, a backup): one
descriptor of our own closed on it would drop them all, and another process could then delete
the WAL under our writes (see tests/sqlite_locks.py)."""

from __future__ import annotations

from pathlib import Path

from ledger.service.application import Ledger
from ledger.storage.availability import check_storage
from ledger.storage.backup import backup
from ledger.storage.settings import parse_database_url
from ledger.storage.sql import SqlDatabase, prepare_sqlite_file
from tests.api.conftest import TM
from tests.sqlite_locks import locks_held_elsewhere


def test_opening_the_ledger_again_keeps_this_process_s_locks(tmp_path: Path) -> None:
    database = tmp_path / "accord.db"
    url = f"sqlite:///{database}"
    storage = parse_database_url(url)
    ledger = Ledger(url)
    db = SqlDatabase(storage)
    try:
        first = ledger.open_project(TM, name="Locks", client_org="C", team_org="T").id
        db.query("SELECT COUNT(*) FROM stored_events")
        assert locks_held_elsewhere(database) == {"database", "shm"}

        check_storage(storage)
        prepare_sqlite_file(str(database))
        other = SqlDatabase(storage)
        other.query("SELECT COUNT(*) FROM stored_events")
        other.close()
        again = Ledger(url)
        assert again.event_log.head() > 0
        again.close()
        summary = backup(storage, tmp_path / "accord-log.key", tmp_path / "backup")
        assert summary.events > 0
        assert locks_held_elsewhere(database) == {"database", "shm"}

        # ...and goes on writing into the WAL it knows, which is still the file's.
        second = ledger.open_project(TM, name="Locks 2", client_org="C", team_org="T").id
        assert Path(f"{database}-wal").exists()
    finally:
        db.close()
        ledger.close()
    reopened = Ledger(url)
    try:
        assert list(reopened.events.get(first))
        assert list(reopened.events.get(second))
    finally:
        reopened.close()
