"""Backups of a SQLite ledger: the database (events, Merkle log, checkpoints, documents, views,
tokens — all in one file) and the log's signing key, in one directory.

:func:`backup` is *online* and *consistent*: it copies the database with SQLite's backup API
(``sqlite3.Connection.backup``), which reads one snapshot (WAL mode lets writers go on
meanwhile), so the copy is the database as it was at one instant — never a torn file, as a
plain ``cp`` of a database being written can be. The key file is copied beside it, and a
``MANIFEST.json`` lists every file with its SHA-256, the last event position and the key's
identity; all of it is flushed to disk before :func:`backup` returns. :func:`restore` checks the
manifest, refuses to overwrite a database that holds events or a different key, and copies both
into place.

The live database is touched only through SQLite, and only by a *read-only* connection. SQLite
coordinates processes with POSIX advisory locks, which belong to a process, not to a
descriptor: a descriptor of our own on the file (``open``, ``shutil.copy``, a checksum read)
would, once closed, drop every lock this process holds on it ("How To Corrupt An SQLite
Database File", section 2.2). And the last connection to close on a WAL database checkpoints it
and deletes the ``-wal`` file — a read-only connection never does, so even a server whose locks
were lost (see ``ledger/storage/availability.py``) cannot have its WAL removed under it by a
backup.

PostgreSQL is backed up with ``pg_dump`` plus the key file and is not handled here (see
``docs/operations.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.storage.settings import Storage

FORMAT = "accord-backup/1"
DATABASE_FILE = "accord.db"
KEY_FILE = "accord-log.key"
MANIFEST_FILE = "MANIFEST.json"

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    events: int
    database_bytes: int
    key: str | None


def backup(
    storage: Storage, key_file: Path, target: Path, *, progress: Progress | None = None
) -> BackupSummary:
    """Copy the SQLite ledger of ``storage`` and its signing key into the new directory
    ``target``."""
    database = _sqlite_file(storage)
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} exists and is not empty: name a new directory")
    target.mkdir(parents=True, exist_ok=True)
    copy = target / DATABASE_FILE
    # Read-only: this connection never checkpoints the live WAL nor deletes it when it closes
    # (the last one to close on a database does, if it may write). ``timeout``: wait for a
    # writer's lock rather than fail after SQLite's default 5 s.
    source = sqlite3.connect(_uri(database, "ro"), uri=True, timeout=30)
    try:
        destination = sqlite3.connect(copy)
        try:
            # One step for all pages: the copy is one snapshot of the database.
            source.backup(
                destination,
                pages=-1,
                progress=(lambda _, remaining, total: progress(total - remaining, total))
                if progress
                else None,
            )
            destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            destination.close()
    finally:
        source.close()
    key = None
    if key_file.exists():
        shutil.copyfile(key_file, target / KEY_FILE)
        os.chmod(target / KEY_FILE, 0o600)
        key = _key_identity((target / KEY_FILE).read_text(encoding="ascii"))
    events = _max_position(copy)  # the copy's: what the snapshot holds
    files = {p.name: _sha256(p) for p in sorted(target.iterdir()) if p.name != MANIFEST_FILE}
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "source": str(database),
        "events": events,
        "key": key,
        "files": files,
    }
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    # "Backed up" must hold after a power cut too (SQLite synced the copy itself).
    for path in (target / KEY_FILE, target / MANIFEST_FILE, target):
        if path.exists():
            _fsync(path)
    return BackupSummary(target, events, copy.stat().st_size, key)


def restore(source: Path, storage: Storage, key_file: Path) -> BackupSummary:
    """Put the backup in ``source`` in place as the SQLite ledger of ``storage``, with its key
    at ``key_file``. Refuses when that database already holds events, or a different key is
    there (a log's checkpoints verify only with the key that signed them)."""
    manifest = read_manifest(source)
    database = _sqlite_file(storage)
    if database.exists() and _max_position(database) > 0:
        raise BackupError(
            f"{database} already holds events: restore into a new location "
            "(or move that database away first)"
        )
    backed_up_key = source / KEY_FILE
    different = (
        backed_up_key.exists()
        and key_file.exists()
        and key_file.read_bytes() != backed_up_key.read_bytes()
    )
    if different:
        raise BackupError(
            f"a different signing key is at {key_file} "
            f"({_key_identity(key_file.read_text(encoding='ascii'))}); the backup's is "
            f"{manifest.get('key')}. Move it away, or set ACCORD_KEY_FILE elsewhere"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.unlink(missing_ok=True)
    origin = sqlite3.connect(source / DATABASE_FILE)
    try:
        destination = sqlite3.connect(database)
        try:
            origin.backup(destination, pages=-1)
            destination.execute("PRAGMA journal_mode=WAL")
        finally:
            destination.close()
    finally:
        origin.close()
    if backed_up_key.exists() and not key_file.exists():
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(backed_up_key, key_file)
        os.chmod(key_file, 0o600)
    return BackupSummary(
        database, int(manifest["events"]), database.stat().st_size, manifest.get("key")
    )


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file it lists against its SHA-256."""
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as e:
        raise BackupError(f"{source} is not an Accord backup ({MANIFEST_FILE}: {e})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest.get("files", {}).items():
        path = source / name
        if not path.exists():
            raise BackupError(f"{source}: {name} is missing")
        if _sha256(path) != expected:
            raise BackupError(f"{source}: {name} was changed since the backup (SHA-256 differs)")
    if DATABASE_FILE not in manifest.get("files", {}):
        raise BackupError(f"{source}: the backup holds no database")
    return dict(manifest)


def _sqlite_file(storage: Storage) -> Path:
    if not storage.is_sqlite:
        raise BackupError(
            "accord backup and restore are for SQLite; back up PostgreSQL with pg_dump and "
            "copy the key file (docs/operations.md, Backup)"
        )
    name = storage.env["SQLITE_DBNAME"]
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"{name}: not a database file")
    return Path(name)


def _max_position(database: Path) -> int:
    # Not read-only: a database left by a crash needs its WAL recovered, which only a
    # connection that may write does.
    conn = sqlite3.connect(_uri(database, "rw"), uri=True, timeout=30)
    try:
        row = conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
    except sqlite3.OperationalError:
        return 0  # no events table yet
    finally:
        conn.close()
    return int(row[0] or 0)


def _uri(database: Path, mode: str) -> str:
    """A SQLite URI for ``database`` (``mode``: ``ro`` or ``rw``; neither creates the file),
    its path percent-encoded (a ``?`` or ``#`` in a folder name must not end the path)."""
    return f"{database.resolve().as_uri()}?mode={mode}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    # Only ever a file of the backup: never the live database (see the module docstring).
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _key_identity(skey: str) -> str | None:
    """``<name>+<key id>`` of a private key file's text (``PRIVATE+KEY+<name>+<id>+...``)."""
    parts = skey.strip().split("+")
    return f"{parts[2]}+{parts[3]}" if len(parts) >= 5 and parts[:2] == ["PRIVATE", "KEY"] else None
