from __future__ import annotations

from pathlib import Path

import pytest

from ledger.storage.settings import (
    DEFAULT_DATABASE_URL,
    StorageURLError,
    parse_database_url,
)


def test_default_is_a_sqlite_file_under_accord_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    storage = parse_database_url()
    assert storage.url == DEFAULT_DATABASE_URL
    assert storage.env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert storage.env["SQLITE_DBNAME"] == "accord-data/accord.db"
    assert (tmp_path / "accord-data").is_dir()


def test_absolute_sqlite_path(tmp_path: Path) -> None:
    storage = parse_database_url(f"sqlite:///{tmp_path}/x/ledger.db")
    assert storage.env["SQLITE_DBNAME"] == f"{tmp_path}/x/ledger.db"


def test_postgres_url_becomes_eventsourcing_settings() -> None:
    storage = parse_database_url("postgresql://acc%40rd:s3cr%2Ft@db.local:6543/ledger?schema=acc")
    assert storage.backend == "postgresql"
    env = storage.env
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.local",
        "6543",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("acc@rd", "s3cr/t")
    assert env["POSTGRES_SCHEMA"] == "acc"
    assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "n"
    assert "s3cr" not in storage.display


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x@y/z", "use sqlite"),
        ("sqlite://relative.db", "three slashes"),
        ("sqlite:///", "name a database file"),
        ("postgresql://u@h:5432/", "name the database"),
        ("postgresql://u@h:notaport/db", "port"),
    ],
)
def test_unusable_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(StorageURLError, match=message):
        parse_database_url(url)
