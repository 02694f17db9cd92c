"""Storage that cannot be used answers at once, in one line saying what is wrong and what to
check (ledger/storage/availability.py): a refused port, an unknown host, a wrong password, a
missing database, a server that wants TLS, a server that never answers, a SQLite folder that
does not exist, a file that is not a database, another program's database. Nothing is created
or changed by a refused open."""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.service.application import Ledger
from ledger.storage.availability import ForeignDatabaseError, StorageUnavailableError
from ledger.storage.sql import SqlDatabase
from tests.pgserver import PostgresServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def refused(url: str) -> StorageUnavailableError:
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError) as caught:
        Ledger(url)
    assert time.monotonic() - started < 8, "a refused open must answer at once"
    message = str(caught.value)
    assert "\n" not in message
    assert " — " in message, "says what to check"
    return caught.value


# ------------------------------------------------------------------------------ SQLite


def test_a_sqlite_url_whose_folder_does_not_exist_is_refused_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/no/such/dir/accord.db"
    error = refused(url)
    assert "the folder" in str(error)
    assert "does not exist" in str(error)
    assert "accord init --create" in str(error)
    assert not (tmp_path / "no").exists()
    with pytest.raises(StorageUnavailableError):
        SqlDatabase(url)
    assert not (tmp_path / "no").exists()


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("meeting notes, not a database\n")
    error = refused(f"sqlite:///{notes}")
    assert isinstance(error, ForeignDatabaseError)
    assert "is not a SQLite database" in str(error)
    assert notes.read_text() == "meeting notes, not a database\n"


def test_another_programs_sqlite_database_is_refused_naming_what_was_found(
    tmp_path: Path,
) -> None:
    other = tmp_path / "shop.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
        conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.close()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    error = refused(f"sqlite:///{other}")
    assert isinstance(error, ForeignDatabaseError)
    assert "another program" in str(error)
    assert "customers, orders" in str(error)
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before


def test_a_ledger_opened_by_the_token_table_first_is_still_the_ledgers(tmp_path: Path) -> None:
    """`accord token create` on a new file makes the API's tables before any event: the
    ledger then opens it (its tables are Accord's)."""
    from api.bootstrap import create_tables

    url = f"sqlite:///{tmp_path / 'accord.db'}"
    db = SqlDatabase(url)
    create_tables(db)
    db.close()
    Ledger(url).close()


# -------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def hba_rules(postgres_server: PostgresServer) -> Iterator[str]:
    """Two roles the test server treats as a real one would: ``accord_pw_<n>`` must give its
    password (scram), ``accord_tls_<n>`` must come over TLS (``hostnossl ... reject``). The
    server's pg_hba.conf is restored afterwards."""
    suffix = uuid.uuid4().hex[:8]
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as conn:
        (hba_file,) = conn.execute("SHOW hba_file").fetchone()  # type: ignore[misc]
        hba = Path(hba_file)
        original = hba.read_text()
        conn.execute(f"CREATE ROLE accord_pw_{suffix} LOGIN PASSWORD 'right'")
        conn.execute(f"CREATE ROLE accord_tls_{suffix} LOGIN")
        hba.write_text(
            f"host all accord_pw_{suffix} 127.0.0.1/32 scram-sha-256\n"
            f"hostnossl all accord_tls_{suffix} 127.0.0.1/32 reject\n" + original
        )
        conn.execute("SELECT pg_reload_conf()")
        try:
            yield suffix
        finally:
            hba.write_text(original)
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(f"DROP ROLE accord_pw_{suffix}")
            conn.execute(f"DROP ROLE accord_tls_{suffix}")


@pytest.mark.postgres
def test_postgres_failures_each_say_what_is_wrong(
    postgres_server: PostgresServer, hba_rules: str
) -> None:
    host = f"{postgres_server.host}:{postgres_server.port}"
    cases = [
        (f"postgresql://u:p@127.0.0.1:{free_port()}/db", "connection refused"),
        ("postgresql://u:p@no-such-host.invalid/db", "unknown host 'no-such-host.invalid'"),
        (f"postgresql://postgres@{host}/no_such_db_{uuid.uuid4().hex[:6]}", "does not exist"),
        (f"postgresql://accord_pw_{hba_rules}:wrong@{host}/postgres", "authentication failed"),
        (f"postgresql://accord_tls_{hba_rules}@{host}/postgres", "encrypted (TLS)"),
        (f"postgresql://nobody_{hba_rules}@{host}/postgres", "there is no user"),
    ]
    for url, expected in cases:
        error = refused(url)
        assert expected in str(error), (url, str(error))
        assert "wrong" not in str(error), "never the password"


@pytest.mark.postgres
def test_a_server_that_never_answers_times_out_after_the_configured_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_CONNECT_TIMEOUT", "2")
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        error = refused(f"postgresql://u@127.0.0.1:{port}/db")
        elapsed = time.monotonic() - started
    assert "no answer within 2 s" in str(error)
    assert "ACCORD_CONNECT_TIMEOUT" in str(error)
    assert 1.5 < elapsed < 6


@pytest.mark.postgres
def test_another_programs_postgres_database_is_refused(postgres_server: PostgresServer) -> None:
    name = postgres_server.create_database()
    try:
        with psycopg.connect(postgres_server.url(name), autocommit=True) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER)")
        error = refused(postgres_server.url(name))
        assert isinstance(error, ForeignDatabaseError)
        assert "invoices" in str(error)
    finally:
        postgres_server.drop_database(name)
