"""The portable SQL layer runs the same statements on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ledger.sql import SqlDatabase


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
        with pytest.raises(RuntimeError), db.transaction() as tx:
            tx.execute("INSERT INTO u (k) VALUES (?)", ("x",))
            raise RuntimeError("crash between the rows and the tracking position")
        assert db.query("SELECT COUNT(*) FROM u") == [(0,)]
    finally:
        db.close()
