"""``accord init`` (create a ledger where the URL says) and ``accord doctor`` (is this
installation healthy: one table, exit status by the worst row).

``doctor`` checks, in order: the storage (reachable, its version), the schema (every table
the services use), the read models (generation being rebuilt, lag behind the log), the signing
key (present, private, its fingerprint), the last checkpoint (age, events not yet covered) and
the disk space where the data lives. Each row is ``ok``, ``warn`` or ``fail``; the exit status
is 0 when every row is ``ok``, 1 when one warns or fails, 4 when the storage cannot be used.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.errors import ExitCode, fail
from api.cli.integrity import KeyFile
from api.cli.main import DatabaseURL, app, console, open_ledger
from api.settings import Settings
from ledger.service.application import Ledger
from ledger.storage.availability import StorageUnavailableError
from ledger.storage.settings import Storage, StorageURLError, parse_database_url

#: Free space under which the disk row warns, and fails.
DISK_WARN_BYTES = 1 << 30
DISK_FAIL_BYTES = 100 << 20

LEVELS = {"ok": 0, "warn": 1, "fail": 2}


@app.command("init")
def init(
    database_url: DatabaseURL = None,
    create: Annotated[
        bool,
        typer.Option(
            "--create", help="Create the SQLite file's folder if it does not exist (with parents)"
        ),
    ] = False,
) -> None:
    """Create the ledger at the database URL (tables, nothing else): a folder other than the
    default ./accord-data/ is made only with --create."""
    try:
        storage = parse_database_url(database_url)
    except StorageURLError as e:
        raise fail(str(e), ExitCode.USAGE) from None
    if create and storage.is_sqlite and storage.env["SQLITE_DBNAME"] != ":memory:":
        Path(storage.env["SQLITE_DBNAME"]).parent.mkdir(parents=True, exist_ok=True)
    ledger = open_ledger(storage.url)
    try:
        from api.bootstrap import create_tables
        from ledger.storage.sql import SqlDatabase

        db = SqlDatabase(ledger.storage)
        try:
            create_tables(db)
        finally:
            db.close()
        events = ledger.event_log.head()
    finally:
        ledger.close()
    console.print(f"ledger ready in {storage.display} ({events} events)", highlight=False)


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # ok | warn | fail
    detail: str


@app.command("doctor")
def doctor(database_url: DatabaseURL = None, key_file: KeyFile = None) -> None:
    """Check this installation: storage, schema, read models, signing key, last checkpoint,
    disk space. A table; exit status 0 when all is well, 1 when a row warns or fails, 4 when
    the storage cannot be used."""
    try:
        storage = parse_database_url(database_url)
    except StorageURLError as e:
        raise fail(str(e), ExitCode.USAGE) from None
    try:
        ledger = Ledger(storage.url)
    except StorageUnavailableError as e:
        _print([Check("storage", "fail", str(e))])
        raise typer.Exit(int(ExitCode.STORAGE_UNAVAILABLE)) from None
    try:
        storage_check = _storage(ledger)
        read_models = _projections(ledger)  # creates the runner's tables, as `serve` would
        checks = [
            storage_check,
            _schema(ledger),
            *read_models,
            *_key_and_checkpoint(ledger, key_file),
            _disk(ledger.storage),
        ]
    finally:
        ledger.close()
    _print(checks)
    worst = max(LEVELS[c.level] for c in checks)
    if worst:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


def _print(checks: list[Check]) -> None:
    styles = {"ok": "green", "warn": "yellow", "fail": "red"}
    table = Table("check", "state", "detail")
    for check in checks:
        table.add_row(
            check.name, f"[{styles[check.level]}]{check.level}[/]", check.detail.replace("[", r"\[")
        )
    console.print(table, soft_wrap=True)


def _storage(ledger: Ledger) -> Check:
    storage = ledger.storage
    events = ledger.event_log.head()
    if storage.is_sqlite:
        path = Path(storage.env["SQLITE_DBNAME"])
        size = path.stat().st_size if path.exists() else 0
        version = f"SQLite {sqlite3.sqlite_version}, {path} ({size / 1e6:,.1f} MB)"
    else:
        from ledger.storage.sql import SqlDatabase

        db = SqlDatabase(storage)
        try:
            (row,) = db.query("SHOW server_version")
            version = f"PostgreSQL {row[0]} at {storage.env['POSTGRES_HOST']}"
        finally:
            db.close()
    return Check("storage", "ok", f"{version}; {events:,} events")


#: Tables every service expects once `accord serve` (or `accord init`) has run once.
EXPECTED_TABLES = (
    "api_tokens",
    "api_calendar_tokens",
    "api_idempotency",
    "api_items",
    "api_index_tracking",
    "projection_tracking",
    "integrity_leaves",
    "integrity_state",
    "integrity_checkpoints",
)


def _tables(ledger: Ledger) -> set[str]:
    from ledger.storage.sql import SqlDatabase

    db = SqlDatabase(ledger.storage)
    try:
        if db.dialect == "sqlite":
            rows = db.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            rows = db.query(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
    finally:
        db.close()
    return {str(name) for (name,) in rows}


def _schema(ledger: Ledger) -> Check:
    from api.bootstrap import create_tables
    from ledger.integrity.service import Integrity
    from ledger.storage.sql import SqlDatabase

    # The services create their tables when they start; doctor does what they would.
    db = SqlDatabase(ledger.storage)
    try:
        create_tables(db)
    finally:
        db.close()
    Integrity.for_ledger(ledger).close()
    missing = [t for t in EXPECTED_TABLES if t not in _tables(ledger)]
    if missing:
        return Check("schema", "fail", "missing tables: " + ", ".join(missing))
    return Check("schema", "ok", f"{len(EXPECTED_TABLES)} service tables present")


def _projections(ledger: Ledger) -> list[Check]:
    from projections.runner import ProjectionRunner

    runner = ProjectionRunner(ledger)
    try:
        statuses = runner.status()
        health = {v.name: v for v in runner.view_health()}
    finally:
        runner.close()
    rebuilding = [s.name for s in statuses if s.rebuilding_generation]
    lag = max((s.lag for s in statuses), default=0)
    head = max((s.head for s in statuses), default=0)
    checks = [
        Check(
            "read models",
            "warn" if rebuilding else "ok",
            f"{len(statuses)} views"
            + (f"; rebuilding: {', '.join(rebuilding)}" if rebuilding else ", layouts current"),
        )
    ]
    if not lag:
        checks.append(Check("projection lag", "ok", f"every view at the head ({head:,})"))
        return checks
    behind = max(statuses, key=lambda s: s.lag)
    where = f"{lag:,} events behind the log (head {head:,}; {behind.name} at {behind.position:,})"
    states = {v.state for v in health.values()}
    if "erroring" in states:
        error = next(v.last_error for v in health.values() if v.state == "erroring")
        checks.append(Check("projection lag", "fail", f"{where}; the runners fail: {error}"))
    elif states <= {"current", "catching_up"}:
        checks.append(Check("projection lag", "ok", f"{where}; a runner is catching up"))
    else:
        checks.append(
            Check(
                "projection lag",
                "warn",
                f"{where}; no runner is working on them: start `accord serve` or "
                "`accord projections run`",
            )
        )
    return checks


def _key_and_checkpoint(ledger: Ledger, key_file: Path | None) -> list[Check]:
    from ledger.integrity.service import Integrity
    from ledger.integrity.signing import KeyFileError, default_key_file, load_signer

    path = key_file or default_key_file(ledger.storage)
    events = ledger.event_log.head()
    if not path.exists():
        key = Check(
            "signing key",
            "warn" if events else "ok",
            f"none yet at {path} (made by the first `accord checkpoint` or `accord serve`)",
        )
    else:
        try:
            signer = load_signer(path)
            key = Check(
                "signing key", "ok", f"{path}, fingerprint {signer.verifier.fingerprint[:16]}..."
            )
        except KeyFileError as e:
            key = Check("signing key", "fail", str(e))
    integrity = Integrity.for_ledger(ledger, key_file=path)
    try:
        latest = integrity.latest_checkpoint()
    finally:
        integrity.close()
    interval = Settings().checkpoint_seconds
    if latest is None:
        checkpoint = Check(
            "last checkpoint",
            "warn" if events else "ok",
            "none yet" + (f" for {events:,} events: run `accord checkpoint`" if events else ""),
        )
    else:
        age = (
            (datetime.now(UTC) - latest.created_at).total_seconds()
            if latest.created_at is not None
            else None
        )
        uncovered = max(0, events - latest.size)
        stale = age is not None and interval > 0 and age > 2 * interval and uncovered > 0
        checkpoint = Check(
            "last checkpoint",
            "warn" if stale else "ok",
            f"{latest.size:,} events"
            + (f", {_age(age)} ago" if age is not None else "")
            + (f"; {uncovered:,} newer events not yet covered" if uncovered else ""),
        )
    return [key, checkpoint]


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _disk(storage: Storage) -> Check:
    where = (
        Path(storage.env["SQLITE_DBNAME"]).resolve().parent
        if storage.is_sqlite and storage.env["SQLITE_DBNAME"] != ":memory:"
        else Path.cwd()
    )
    usage = shutil.disk_usage(where)
    detail = f"{usage.free / 1e9:,.1f} GB free of {usage.total / 1e9:,.1f} GB at {where}"
    if usage.free < DISK_FAIL_BYTES:
        return Check("disk space", "fail", detail)
    if usage.free < DISK_WARN_BYTES:
        return Check("disk space", "warn", detail)
    return Check("disk space", "ok", detail)


__all__ = ["Check", "doctor", "init"]
