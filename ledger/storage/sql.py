"""A small portable SQL layer over the ledger's own database, for the tables that live beside
the events: projection views, the Merkle log, checkpoints, documents, tokens.

One dialect of SQL is written (``?`` placeholders, ``ON CONFLICT ... DO UPDATE``, ``BIGINT``,
``TEXT``); :class:`SqlDatabase` runs it on SQLite (the same file as the events, WAL mode) or on
PostgreSQL (the same database, through a psycopg connection pool), translating placeholders and
the few types that differ (``BLOB``/``BYTEA``).

Every unit of work is a transaction: ``with db.transaction() as tx: tx.execute(...)`` commits on
success and rolls back on error, so rows and their tracking position are written together.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from ledger.storage.availability import check_storage, connect_timeout, postgres_conninfo
from ledger.storage.pools import install_sweeping_check
from ledger.storage.settings import Storage, parse_database_url

Row = tuple[Any, ...]


class Transaction(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> list[Row]: ...

    @property
    def rowcount(self) -> int: ...


class _SqliteTransaction:
    dialect = "sqlite"

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_sqlite(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(_sqlite(sql), rows)

    def fetchone(self) -> Row | None:
        row: Row | None = self._cursor.fetchone()
        return row

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class _PostgresTransaction:
    dialect = "postgresql"

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_postgres(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(_postgres(sql), rows)

    def fetchone(self) -> Row | None:
        row: Row | None = self._cursor.fetchone()
        return row

    def fetchall(self) -> list[Row]:
        rows: list[Row] = self._cursor.fetchall()
        return rows

    @property
    def rowcount(self) -> int:
        count: int = self._cursor.rowcount
        return count


_TYPES_SQLITE = {"BYTEA": "BLOB"}
_TYPES_POSTGRES = {"BLOB": "BYTEA"}


def _sqlite(sql: str) -> str:
    return _translate_types(sql, _TYPES_SQLITE)


def _postgres(sql: str) -> str:
    # Placeholders: ? -> %s (our SQL never has a literal '?' or '%').
    return _translate_types(sql, _TYPES_POSTGRES).replace("?", "%s")


def _translate_types(sql: str, table: dict[str, str]) -> str:
    for a, b in table.items():
        sql = re.sub(rf"\b{a}\b", b, sql)
    return sql


class SqlDatabase:
    """The ledger's database, for our own tables. Thread-safe: SQLite gets one connection per
    thread (WAL lets readers run beside the writer); PostgreSQL a small pool."""

    def __init__(self, storage: Storage | str | None = None, *, durable: bool = True) -> None:
        """``durable=False`` is for derived tables only (projection views): on SQLite each commit
        is then atomic but not fsynced (WAL, ``synchronous=NORMAL``) — after a power cut the last
        batches are re-applied from the log; nothing that is not derivable may use it. Its
        commits also leave the WAL checkpoint (copying the WAL into the database file, with its
        fsyncs) to a thread of its own, so the next batch is computed meanwhile."""
        self.durable = durable
        self.storage = storage if isinstance(storage, Storage) else parse_database_url(storage)
        check_storage(self.storage)  # StorageUnavailableError: one line, at once
        self.dialect = "sqlite" if self.storage.is_sqlite else "postgresql"
        self._local = threading.local()
        self._sqlite_connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool: Any = None
        self._checkpointer: _Checkpointer | None = None
        if self.dialect == "sqlite" and not durable:
            self._checkpointer = _Checkpointer(self.storage.env["SQLITE_DBNAME"])
        if self.dialect == "postgresql":
            from psycopg_pool import ConnectionPool

            conninfo, kwargs = postgres_conninfo(self.storage.env)
            # ``check``: a connection is tested (one round trip) before it is handed out, so
            # that after a database restart no request gets a dead one; ``timeout``: how long
            # a request waits for a connection while the database is away.
            self._pool = ConnectionPool(
                conninfo,
                kwargs=kwargs,
                min_size=1,
                max_size=8,
                open=True,
                name="accord-sql",
                check=ConnectionPool.check_connection,
                timeout=float(self.storage.env.get("POSTGRES_CONNECT_TIMEOUT", connect_timeout())),
            )
            install_sweeping_check(self._pool)  # see ledger.storage.pools

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """A transaction: committed when the block ends, rolled back if it raises.
        ``write=True`` on SQLite takes the write lock at the start (``BEGIN IMMEDIATE``), so
        read-then-write blocks cannot deadlock against another writer."""
        if self.dialect == "sqlite":
            conn = self._sqlite_connection()
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SqliteTransaction(cursor)
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
                if write and self._checkpointer is not None:
                    self._checkpointer.request()
            finally:
                cursor.close()
        else:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                yield _PostgresTransaction(cursor)

    def _sqlite_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            path = self.storage.env["SQLITE_DBNAME"]
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA busy_timeout=30000")
            switch_to_wal(conn)
            # Views and the Merkle log are indexed by random UUIDs: keep their b-trees in memory
            # (64 MiB per connection) rather than SQLite's 2 MiB default.
            conn.execute("PRAGMA cache_size=-65536")
            if not self.durable:
                conn.execute("PRAGMA synchronous=NORMAL")
                # Checkpoints are the checkpointer's (the ledger's own connections still
                # checkpoint at SQLite's default of 1,000 pages when they commit).
                conn.execute("PRAGMA wal_autocheckpoint=0")
            self._local.conn = conn
            with self._lock:
                self._sqlite_connections.append(conn)
        return conn

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            # A closed database may be used again (connections are opened when needed).
            self._checkpointer = _Checkpointer(self.storage.env["SQLITE_DBNAME"])
        with self._lock:
            for conn in self._sqlite_connections:
                conn.close()
            self._sqlite_connections.clear()
        self._local = threading.local()
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # ------------------------------------------------------------------------ helpers

    def execute_script(self, statements: Sequence[str]) -> None:
        """Run DDL statements (``CREATE ... IF NOT EXISTS``) in one transaction."""
        with self.transaction() as tx:
            for statement in statements:
                tx.execute(statement)

    def ensure_schema(self, statements: Sequence[str], attempts: int = 5) -> None:
        """Create tables and indexes if missing. Several processes starting at once against one
        PostgreSQL can collide even on ``IF NOT EXISTS`` (a race on the catalogue): retry."""
        for attempt in range(attempts):
            try:
                self.execute_script(statements)
                return
            except Exception:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction(write=False) as tx:
            tx.execute(sql, params)
            return tx.fetchall()

    def query_in(self, sql: str, values: Sequence[Any], *, chunk: int = 500) -> list[Row]:
        """The rows of ``sql`` for every one of ``values``: ``sql`` holds ``IN ({marks})``,
        asked ``chunk`` values at a time (engines bound the parameters of one statement), in
        one read transaction."""
        rows: list[Row] = []
        with self.transaction(write=False) as tx:
            for start in range(0, len(values), chunk):
                part = list(values[start : start + chunk])
                tx.execute(sql.replace("{marks}", ",".join("?" * len(part))), part)
                rows.extend(tx.fetchall())
        return rows


#: Attempts at switching a new SQLite file to WAL while others open it too.
WAL_ATTEMPTS = 50


def switch_to_wal(conn: sqlite3.Connection) -> None:
    """Put the connection's database in WAL mode (kept in the file: later opens find it so).

    A brand-new file opened by several processes at once: the switch needs the file to itself
    and SQLite answers "database is locked" at once, without waiting for its busy timeout, while
    another connection has it open or is switching it. Retried with a growing pause (about 6 s
    in all); once the file is in WAL mode the switch is a no-op that every opener gets."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            (mode,) = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            mode = None
        if mode is not None and str(mode).lower() in ("wal", "memory"):
            return
        if attempt == WAL_ATTEMPTS - 1:
            raise sqlite3.OperationalError("database is locked: could not switch it to WAL")
        time.sleep(min(0.01 * (attempt + 1), 0.2))


def prepare_sqlite_file(path: str) -> None:
    """Switch a SQLite file to WAL before eventsourcing opens it (its datastore switches without
    retrying; see :func:`switch_to_wal`)."""
    if path == ":memory:" or "mode=memory" in path:
        return
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        switch_to_wal(conn)
    finally:
        conn.close()


class _Checkpointer:
    """Checkpoints a SQLite file's WAL in a thread of its own, when asked after a commit.

    ``PRAGMA wal_checkpoint(PASSIVE)`` copies the committed WAL frames into the database file
    without blocking readers or the writer; it is one call into SQLite, which does not hold
    Python's global lock meanwhile. If a checkpoint fails it is simply asked for again after the
    next commit (and any connection with SQLite's default ``wal_autocheckpoint`` also
    checkpoints when it commits)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.checkpoints = 0  # completed, for tests and curiosity

    def request(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="accord-wal-checkpoint", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._closed:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error:
                    time.sleep(0.1)  # asked again after the next commit
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None:
            thread.join()


__all__ = [
    "Row",
    "SqlDatabase",
    "Transaction",
    "prepare_sqlite_file",
    "switch_to_wal",
]
