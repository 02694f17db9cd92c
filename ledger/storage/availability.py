"""Is the storage there, and is it the ledger's? Checked once when storage is opened, so that a
wrong URL, a server that is down or a stranger's database answers at once, in one line saying
what is wrong and what to check — not with a pool's "couldn't get a connection after 30 sec"
and a traceback.

:func:`check_storage` is called by :class:`~ledger.service.base.LedgerService` and
:class:`~ledger.storage.sql.SqlDatabase` before they build their connection pools:

* **PostgreSQL**: one direct connection with a short ``connect_timeout``
  (``ACCORD_CONNECT_TIMEOUT``, 5 s by default); the server's refusal is translated by
  :func:`describe_postgres_error` (connection refused, unknown host, authentication failed,
  database missing, TLS required, timed out).
* **SQLite**: the folder must exist (a mistyped path must not quietly start a new, empty
  ledger); an existing file must be a SQLite database.
* **Both**: a database that holds tables, none of them Accord's, belongs to another program
  and is refused, naming a few of the tables found (:class:`ForeignDatabaseError`).
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from ledger.storage.settings import Storage

CONNECT_TIMEOUT_VARIABLE = "ACCORD_CONNECT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT = 5

#: Tables only Accord creates: a database holding tables but none of these is another program's.
#: (eventsourcing's events tables on SQLite and PostgreSQL, then the API's, the projection
#: runner's and the integrity log's.)
ACCORD_TABLES = frozenset(
    {
        "stored_events",
        "accord_events",
        "api_tokens",
        "api_calendar_tokens",
        "api_idempotency",
        "api_items",
        "api_members",
        "api_index_tracking",
        "projection_tracking",
        "projection_layouts",
        "integrity_leaves",
        "integrity_state",
        "integrity_checkpoints",
        "import_thread_waits",
    }
)


class StorageUnavailableError(Exception):
    """The storage cannot be used. ``str()`` is one line: where, what is wrong, what to check."""

    def __init__(self, where: str, problem: str, hint: str = "") -> None:
        super().__init__(f"{where}: {problem}" + (f" — {hint}" if hint else ""))
        self.where = where
        self.problem = problem
        self.hint = hint


class ForeignDatabaseError(StorageUnavailableError):
    """The database exists and belongs to another program (its tables are not Accord's)."""


def connect_timeout() -> int:
    """Seconds to wait for a PostgreSQL server to answer (``ACCORD_CONNECT_TIMEOUT``, whole
    seconds, at least 1; libpq counts in whole seconds)."""
    raw = os.environ.get(CONNECT_TIMEOUT_VARIABLE, "")
    try:
        return max(1, round(float(raw))) if raw.strip() else DEFAULT_CONNECT_TIMEOUT
    except ValueError:
        return DEFAULT_CONNECT_TIMEOUT


def check_storage(storage: Storage) -> None:
    """Raise :class:`StorageUnavailableError` unless ``storage`` can be opened as a ledger."""
    if storage.is_sqlite:
        check_sqlite(storage)
    else:
        check_postgres(storage)


# ------------------------------------------------------------------------------ SQLite


def check_sqlite(storage: Storage) -> None:
    path = storage.env["SQLITE_DBNAME"]
    if path == ":memory:" or path.startswith("file:"):
        return
    file = Path(path)
    if not file.parent.is_dir():
        raise StorageUnavailableError(
            storage.display,
            f"the folder {str(file.parent)!r} does not exist",
            "check the path, or create it with `accord init --create`",
        )
    if not file.exists() or file.stat().st_size == 0:
        return
    if file.is_dir():
        raise StorageUnavailableError(
            storage.display, f"{path!r} is a folder", "name a file inside it, e.g. .../accord.db"
        )
    # Only through SQLite: a file descriptor of our own on a database this process has open
    # would, once closed, drop every POSIX lock the process holds on it (SQLite's own handles
    # defer that), and other processes could then reset the WAL under our readers.
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        if "not a database" in str(e):
            raise ForeignDatabaseError(
                storage.display,
                f"{path!r} is not a SQLite database",
                "point ACCORD_DATABASE_URL at the ledger's file or at a new one",
            ) from None
        raise StorageUnavailableError(
            storage.display, f"cannot read {path!r}: {e}", "check the file and its permissions"
        ) from None
    except sqlite3.Error as e:
        raise StorageUnavailableError(
            storage.display, f"cannot read {path!r}: {e}", "check the file and its permissions"
        ) from None
    _refuse_foreign(storage, [name for (name,) in rows])


def _refuse_foreign(storage: Storage, tables: list[str]) -> None:
    if not tables or ACCORD_TABLES.intersection(tables):
        return
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    raise ForeignDatabaseError(
        storage.display,
        f"holds another program's data ({len(tables)} tables: {shown}), not an Accord ledger",
        "use a new database for Accord",
    )


# -------------------------------------------------------------------------- PostgreSQL


def postgres_conninfo(env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A libpq connection string and the keyword arguments (password, search path) for the
    settings ``env`` made by :func:`ledger.storage.settings.parse_database_url`."""
    conninfo = (
        f"host={env['POSTGRES_HOST']} port={env['POSTGRES_PORT']} "
        f"dbname={env['POSTGRES_DBNAME']} user={env['POSTGRES_USER']} "
        f"connect_timeout={env.get('POSTGRES_CONNECT_TIMEOUT', DEFAULT_CONNECT_TIMEOUT)}"
    )
    kwargs: dict[str, Any] = {}
    if env.get("POSTGRES_PASSWORD"):
        kwargs["password"] = env["POSTGRES_PASSWORD"]
    if env.get("POSTGRES_SCHEMA"):
        kwargs["options"] = f"-c search_path={env['POSTGRES_SCHEMA']}"
    return conninfo, kwargs


def check_postgres(storage: Storage) -> None:
    import psycopg

    conninfo, kwargs = postgres_conninfo(storage.env)
    try:
        with psycopg.connect(conninfo, autocommit=True, **kwargs) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
    except psycopg.Error as e:
        raise describe_postgres_error(e, storage) from None
    _refuse_foreign(storage, [name for (name,) in rows])


def describe_postgres_error(error: BaseException, storage: Storage) -> StorageUnavailableError:
    """The one-line explanation of a failed PostgreSQL connection, from libpq's message."""
    env = storage.env
    host, port = env["POSTGRES_HOST"], env["POSTGRES_PORT"]
    user, dbname = env["POSTGRES_USER"], env["POSTGRES_DBNAME"]
    where = f"PostgreSQL at {host}:{port}"
    text = str(error)
    lowered = text.lower()

    def unavailable(problem: str, hint: str) -> StorageUnavailableError:
        return StorageUnavailableError(where, problem, hint)

    if "connection refused" in lowered:
        return unavailable(
            "connection refused",
            "is PostgreSQL running there, listening on that address and port?",
        )
    if (
        "could not translate host name" in lowered
        or "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "temporary failure in name resolution" in lowered
    ):
        return unavailable(
            f"unknown host {host!r}", "check the host name in ACCORD_DATABASE_URL and DNS"
        )
    if "timeout expired" in lowered or "timed out" in lowered:
        return unavailable(
            f"no answer within {env.get('POSTGRES_CONNECT_TIMEOUT', '?')} s",
            "check the host, the port and any firewall between "
            f"(wait longer with {CONNECT_TIMEOUT_VARIABLE}=seconds)",
        )
    if "no encryption" in lowered or ("ssl" in lowered and "required" in lowered):
        return unavailable(
            "the server accepts only encrypted (TLS) connections here",
            "set PGSSLMODE=require (and PGSSLROOTCERT to verify the server) and try again",
        )
    if "password authentication failed" in lowered or "authentication failed" in lowered:
        return unavailable(
            f"authentication failed for user {user!r}",
            "check the user name and password in ACCORD_DATABASE_URL",
        )
    if "no password supplied" in lowered:
        return unavailable(
            f"user {user!r} needs a password",
            "put it in the URL: postgresql://user:password@host/dbname",
        )
    if re.search(r'role ".*" does not exist', lowered):
        return unavailable(f"there is no user {user!r}", "check the user name in the URL")
    if re.search(r'database ".*" does not exist', lowered):
        return unavailable(
            f"database {dbname!r} does not exist",
            f"create it (createdb {dbname}) or fix the name in ACCORD_DATABASE_URL",
        )
    if "pg_hba.conf" in lowered:
        return unavailable(
            "the server's pg_hba.conf refuses this user, database or address",
            "ask its administrator to allow it",
        )
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return unavailable(first, "check ACCORD_DATABASE_URL and the server")


__all__ = [
    "ACCORD_TABLES",
    "CONNECT_TIMEOUT_VARIABLE",
    "ForeignDatabaseError",
    "StorageUnavailableError",
    "check_storage",
    "connect_timeout",
    "describe_postgres_error",
    "postgres_conninfo",
]
