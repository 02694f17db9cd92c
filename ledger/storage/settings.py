"""Where the ledger keeps its events: chosen by one URL.

``ACCORD_DATABASE_URL`` is either ``sqlite:///path/to/file.db`` (relative paths are relative to
the working directory; the default is ``sqlite:///accord-data/accord.db``) or
``postgresql://user:password@host:port/dbname[?schema=name][&connect_timeout=seconds]``.
:func:`storage_env` turns it into the settings eventsourcing reads.
Whether the storage is there and is Accord's is checked when it is opened
(:mod:`ledger.storage.availability`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///accord-data/accord.db"
DATABASE_URL_VARIABLE = "ACCORD_DATABASE_URL"


class StorageURLError(ValueError):
    """The database URL cannot be used; the message says why and what is accepted."""


@dataclass(frozen=True)
class Storage:
    """A parsed database URL."""

    url: str
    backend: str  # "sqlite" or "postgresql"
    env: dict[str, str]

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def display(self) -> str:
        """The URL without its password, fit for logs."""
        parts = urlsplit(self.url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.url


def database_url_from_environment() -> str:
    return os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def parse_database_url(url: str | None = None) -> Storage:
    url = url or database_url_from_environment()
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        return Storage(url=url, backend="sqlite", env=_sqlite_env(url))
    if scheme in ("postgresql", "postgres"):
        return Storage(url=url, backend="postgresql", env=_postgres_env(url))
    raise StorageURLError(
        f"{DATABASE_URL_VARIABLE}={url!r}: use sqlite:///path/to/file.db or "
        "postgresql://user:password@host:port/dbname"
    )


def _sqlite_env(url: str) -> dict[str, str]:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise StorageURLError(f"{url!r}: a SQLite URL has three slashes: sqlite:///path/to/file.db")
    path = url[len(prefix) :]
    if not path:
        raise StorageURLError(
            f"{url!r}: name a database file, e.g. sqlite:///accord-data/accord.db"
        )
    if path != ":memory:":
        file = Path(path)
        if url == DEFAULT_DATABASE_URL:
            # Only the default folder is made without asking: a mistyped path must not quietly
            # start a new, empty ledger (``accord init --create`` makes any other folder).
            file.parent.mkdir(parents=True, exist_ok=True)
        path = str(file)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def _connect_timeout() -> int:
    from ledger.storage.availability import connect_timeout

    return connect_timeout()


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise StorageURLError(
            f"{url!r}: name the database, e.g. postgresql://accord@localhost/accord"
        )
    try:
        port = parts.port or 5432
    except ValueError as e:
        raise StorageURLError(f"{url!r}: {e}") from None
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        # eventsourcing's recorder, with large saves sent outside pipeline mode (see there).
        "APPLICATION_RECORDER_TOPIC": (
            "ledger.storage.postgres_recorder:AccordPostgresApplicationRecorder"
        ),
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        # How long to wait for the server (and for a pooled connection): ACCORD_CONNECT_TIMEOUT.
        "POSTGRES_CONNECT_TIMEOUT": str(_connect_timeout()),
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        # Test each pooled connection before use: after a database restart, none is dead.
        "POSTGRES_PRE_PING": "y",
        # Never POSTGRES_ENABLE_DB_FUNCTIONS: with it, tracking rows are silently not written.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    query = parse_qs(parts.query)
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    if "connect_timeout" in query:
        # Seconds to connect, and to wait for a pooled connection while the database is away.
        timeout = query["connect_timeout"][0]
        if not timeout.isdigit() or int(timeout) < 1:
            raise StorageURLError(f"{url!r}: connect_timeout is a whole number of seconds")
        env["POSTGRES_CONNECT_TIMEOUT"] = timeout
    return env
