"""``accord backup PATH`` and ``accord restore PATH`` (SQLite; see ledger/storage/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.main import DatabaseURL, app, console, err
from ledger.integrity.signing import default_key_file
from ledger.storage.backup import BackupError, backup, restore
from ledger.storage.settings import StorageURLError, parse_database_url

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file", envvar="ACCORD_KEY_FILE", help="The log's signing key (default: beside it)"
    ),
]


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="A new directory to write the backup into")],
    database_url: DatabaseURL = None,
    key_file: KeyFileOption = None,
) -> None:
    """Back up a SQLite ledger while it runs: the database (events, log, checkpoints,
    documents) as one consistent snapshot, and its signing key, with a manifest of digests."""
    try:
        storage = parse_database_url(database_url)
        summary = backup(storage, key_file or default_key_file(storage), path)
    except (BackupError, StorageURLError) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    key = summary.key or "none (no checkpoint was signed yet)"
    console.print(
        f"Backed up {summary.events} events ({summary.database_bytes:,} bytes) to {path}; "
        f"signing key: {key}."
    )
    if summary.key is None:
        err.print("[yellow]warning:[/yellow] no signing key found: only the database is in it")


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A directory written by `accord backup`")],
    database_url: DatabaseURL = None,
    key_file: KeyFileOption = None,
) -> None:
    """Restore a backup as the SQLite ledger (never over a database that holds events, never
    over another signing key), then run `accord verify`."""
    try:
        storage = parse_database_url(database_url)
        summary = restore(path, storage, key_file or default_key_file(storage))
    except (BackupError, StorageURLError) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(
        f"Restored {summary.events} events into {summary.path} (signing key: {summary.key}). "
        "Check it with: accord verify"
    )
