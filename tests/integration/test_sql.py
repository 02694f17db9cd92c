"""The portable SQL layer runs the same statements on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ledger.storage.sql import SqlDatabase


def test_one_dialect_runs_on_both_backends(database_url: str) -> None:
    db = SqlDatabase(database_url)
    try:
        db.execute_script(
            [
                "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, b BLOB)",
                "CREATE INDEX IF NOT EXISTS t_n ON t (n)",
            ]
        )
        with db.transaction() as tx:
            tx.executemany(
                "INSERT INTO t (k, n, b) VALUES (?, ?, ?)", [("a", 1, b"\x00"), ("b", 2, None)]
            )
            tx.execute(
                "INSERT INTO t (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = excluded.n",
                ("a", 10),
            )
        assert db.query("SELECT k, n, b FROM t ORDER BY k") == [("a", 10, b"\x00"), ("b", 2, None)]
    finally:
        db.close()


def test_a_failed_transaction_leaves_nothing(database_url: str) -> None:
    db = SqlDatabase(database_url)
    try:
        db.execute_script(["CREATE TABLE IF NOT EXISTS u (k TEXT PRIMARY KEY)"])

        def crash() -> None:
            with db.transaction() as tx:
                tx.execute("INSERT INTO u (k) VALUES (?)", ("x",))
                raise RuntimeError("crash between the rows and the tracking position")

        with pytest.raises(RuntimeError):
            crash()
        assert db.query("SELECT COUNT(*) FROM u") == [(0,)]
    finally:
        db.close()


def test_a_derived_sqlite_database_checkpoints_in_a_thread_of_its_own(tmp_path: Path) -> None:
    db = SqlDatabase(f"sqlite:///{tmp_path / 'd.db'}", durable=False)
    try:
        db.execute_script(["CREATE TABLE IF NOT EXISTS v (k BIGINT PRIMARY KEY, s TEXT)"])
        with db.transaction() as tx:
            tx.executemany(
                "INSERT INTO v (k, s) VALUES (?, ?)", [(i, "x" * 200) for i in range(5000)]
            )
        # Its own connections never checkpoint (the commit does not pay for it)...
        assert db.query("PRAGMA wal_autocheckpoint") == [(0,)]
        checkpointer = db._checkpointer
        assert checkpointer is not None
        # ... the checkpointer, asked after the commit, does.
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpointer.checkpoints >= 1
    finally:
        db.close()
    assert checkpointer._thread is None  # stopped with the database
    # A closed database can be used again, and checkpoints again.
    with db.transaction() as tx:
        tx.execute("INSERT INTO v (k, s) VALUES (?, ?)", (-1, "again"))
    assert db.query("SELECT s FROM v WHERE k = -1") == [("again",)]
    db.close()


def test_a_durable_database_checkpoints_as_sqlite_does(tmp_path: Path) -> None:
    db = SqlDatabase(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        assert db._checkpointer is None
        assert db.query("PRAGMA wal_autocheckpoint") == [(1000,)]
    finally:
        db.close()
