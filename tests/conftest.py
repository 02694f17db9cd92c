"""Fixtures shared by every test tier.

``database_url`` (and ``ledger`` built on it) runs each test that asks for it twice: on a fresh
SQLite file and on a fresh database of a real PostgreSQL 15 server that the session starts itself.
The PostgreSQL runs never skip: if the server cannot start, they fail and say why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.service.application import Ledger
from tests.browser import chromium
from tests.pgserver import PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accord.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    dbname = server.create_database()
    try:
        yield server.url(dbname)
    finally:
        server.drop_database(dbname)


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    app = Ledger(database_url)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole run (tests/browser.py): Playwright's sync API allows
    one at a time per thread, and the web and evidence tests share it."""
    with chromium() as launched:
        yield launched
