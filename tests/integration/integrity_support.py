"""Helpers for the integrity tests: open the log with a throw-away key, append raw events, and
edit the stored rows directly with SQL (the real SQLite file, the real PostgreSQL rows)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from ledger.integrity import Integrity
from ledger.service.application import Ledger


def open_integrity(ledger: Ledger, tmp_path: Path, name: str = "log.key") -> Integrity:
    return Integrity.for_ledger(ledger, key_file=tmp_path / name)


def append_raw(ledger: Ledger, count: int, rng: random.Random) -> None:
    """``count`` stored events of random content (not domain events: the log does not care)."""
    events = [
        StoredEvent(
            originator_id=UUID(int=rng.getrandbits(128), version=4),
            originator_version=rng.randint(1, 9),
            topic=f"tests:Raw{rng.randint(0, 3)}",
            state=rng.randbytes(rng.randint(0, 120)),
        )
        for _ in range(count)
    ]
    if events:
        ledger.recorder.insert_events(events)


class Tamper:
    """Direct SQL on the ledger's database, outside every layer of the application."""

    def __init__(self, ledger: Ledger) -> None:
        self.storage = ledger.storage
        self.table: str = ledger.recorder.events_table_name  # type: ignore[attr-defined]
        self.sqlite = ledger.storage.is_sqlite
        self.position = "rowid" if self.sqlite else "notification_id"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        sql = sql.replace("{events}", self.table).replace("{position}", self.position)
        if self.sqlite:
            conn = sqlite3.connect(self.storage.env["SQLITE_DBNAME"])
            try:
                rows = conn.execute(sql, params).fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()
        env = self.storage.env
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            autocommit=True,
        ) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def positions(self) -> list[int]:
        return [r[0] for r in self.execute("SELECT {position} FROM {events} ORDER BY {position}")]

    def row(self, position: int) -> tuple[Any, ...]:
        (row,) = self.execute(
            "SELECT originator_id, originator_version, topic, state FROM {events} "
            "WHERE {position} = ?",
            (position,),
        )
        return row

    def flip_state_byte(self, position: int, offset: int = 10) -> None:
        state = bytearray(self.row(position)[3])
        state[offset] ^= 0x01
        self.execute("UPDATE {events} SET state = ? WHERE {position} = ?", (bytes(state), position))

    def delete(self, position: int) -> None:
        self.execute("DELETE FROM {events} WHERE {position} = ?", (position,))

    def move(self, position: int, to: int) -> None:
        self.execute("UPDATE {events} SET {position} = ? WHERE {position} = ?", (to, position))

    def skip_positions(self, count: int) -> None:
        """Leave a gap of ``count`` positions before the next event: on PostgreSQL as rolled-back
        inserts do (the sequence moves on); on SQLite by moving the last row up (the next rowid
        is the largest plus one)."""
        if self.sqlite:
            last = self.positions()[-1]
            self.move(last, last + count)
        else:
            self.execute(
                "SELECT setval(pg_get_serial_sequence('{events}', 'notification_id'), "
                "(SELECT MAX(notification_id) FROM {events}) + ?)",
                (count,),
            )

    def insert(self, position: int, row: tuple[Any, ...]) -> None:
        if self.sqlite:
            self.execute(
                "INSERT INTO {events} (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                (position, *row),
            )
        else:
            self.execute(
                "INSERT INTO {events} (notification_id, originator_id, originator_version, topic, "
                "state) VALUES (?, ?, ?, ?, ?)",
                (position, *row),
            )

    def swap(self, a: int, b: int) -> None:
        """Swap the contents of two rows (each keeps its position)."""
        row_a, row_b = self.row(a), self.row(b)
        # Keys are unique: park one row's key while moving the other.
        self.execute(
            "UPDATE {events} SET originator_version = originator_version + 1000000 "
            "WHERE {position} = ?",
            (a,),
        )
        for position, row in ((b, row_a), (a, row_b)):
            self.execute(
                "UPDATE {events} SET originator_id = ?, originator_version = ?, topic = ?, "
                "state = ? WHERE {position} = ?",
                (*row, position),
            )

    def integrity(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Direct SQL on the integrity tables."""
        return self.execute(sql, params)
