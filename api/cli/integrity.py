"""``accord checkpoint | verify | key show | evidence export | evidence verify``.

Exit codes (docs/cli.md): 0 — done, or intact; 1 — verification found a problem (the first one
is printed with its position and what is wrong); 2 — bad arguments or an unreadable key;
3 — nothing to export for that subject; 4 — the database cannot be reached or used.
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from api.cli.errors import ExitCode, classify, fail
from api.cli.main import DatabaseURL, app, console, err, open_ledger
from ledger.integrity import (
    CheckpointError,
    EvidenceNotFoundError,
    EvidenceScope,
    Integrity,
    KeyFileError,
    LogCorruptError,
    verify_bundle,
)
from ledger.integrity.log import SealError
from ledger.integrity.signing import (
    KEY_FILE_VARIABLE,
    default_key_file,
    load_or_create_signer,
)
from ledger.service.application import Ledger
from ledger.storage.settings import StorageURLError, parse_database_url

KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        envvar=KEY_FILE_VARIABLE,
        help="The log's private signing key (default: accord-log.key beside the SQLite file, "
        "or in ACCORD_DATA_DIR)",
        show_default=False,
    ),
]

key_app = typer.Typer(help="The log's signing key.", no_args_is_help=True)
evidence_app = typer.Typer(
    help="Evidence bundles: export one for a dispute, verify one offline.", no_args_is_help=True
)
app.add_typer(key_app, name="key")
app.add_typer(evidence_app, name="evidence")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _open(database_url: str | None, key_file: Path | None) -> tuple[Ledger, Integrity]:
    ledger = open_ledger(database_url)
    try:
        return ledger, Integrity.for_ledger(ledger, key_file=key_file)
    except Exception as e:
        ledger.close()
        known = classify(e)
        if known is None and not isinstance(e, KeyFileError | ValueError):
            raise
        code, line = known or (ExitCode.USAGE, str(e))
        raise fail(line, code) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


@app.command()
def checkpoint(database_url: DatabaseURL = None, key_file: KeyFile = None) -> None:
    """Seal every new event into the log, then sign and keep a checkpoint; print it."""
    ledger, integrity = _open(database_url, key_file)
    try:
        with _progress() as progress:
            task = progress.add_task("sealing", total=None)
            made = integrity.make_checkpoint(
                progress=lambda done, total: progress.update(task, completed=done, total=total)
            )
    except (CheckpointError, LogCorruptError, SealError, KeyFileError) as e:
        raise _fail(str(e), 1 if not isinstance(e, KeyFileError) else 2) from None
    finally:
        integrity.close()
        ledger.close()
    typer.echo(made.note, nl=False)


@app.command()
def verify(
    database_url: DatabaseURL = None,
    key_file: KeyFile = None,
    key: Annotated[
        list[str] | None,
        typer.Option("--key", help="Another public key whose checkpoints are trusted (repeat)"),
    ] = None,
) -> None:
    """Rescan storage: recompute every leaf and the tree, check every kept checkpoint."""
    ledger, integrity = _open(database_url, key_file)
    try:
        with _progress() as progress:
            task = progress.add_task("verifying", total=None)
            result = integrity.verify(
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                trusted_keys=key or (),
            )
    except (KeyFileError, ValueError) as e:
        raise _fail(str(e)) from None
    finally:
        integrity.close()
        ledger.close()
    if result.ok:
        console.print(
            f"[green]intact:[/green] {result.events:,} events, {result.sealed:,} sealed, "
            f"{result.checkpoints} checkpoint(s) and {result.witnessed} witnessed head(s) "
            f"checked; root {base64.b64encode(result.root).decode()}",
            highlight=False,
            soft_wrap=True,
        )
        return
    first = result.first
    assert first is not None
    err.print(f"[red]NOT INTACT:[/red] {escape(str(first))}", highlight=False, soft_wrap=True)
    if first.position is not None:
        err.print(f"first bad position: {first.position}", highlight=False, soft_wrap=True)
    others = [p for p in result.problems if p is not first]
    for problem in others[:20]:
        err.print(f"  also: {escape(str(problem))}", highlight=False, soft_wrap=True)
    if len(others) > 20:
        err.print(f"  ... and {len(others) - 20} more", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@key_app.command("show")
def key_show(database_url: DatabaseURL = None, key_file: KeyFile = None) -> None:
    """Print the log's public key (created on first use) as <name>+<key id>+<base64 key>."""
    try:
        path = key_file or default_key_file(parse_database_url(database_url))
        created = not path.exists()
        signer = load_or_create_signer(path)
    except (StorageURLError, KeyFileError) as e:
        raise _fail(str(e)) from None
    if created:
        err.print(f"created a new signing key in {path}")
    typer.echo(signer.verifier.vkey)
    err.print(
        f"fingerprint (SHA-256 of the public key): {signer.verifier.fingerprint}", soft_wrap=True
    )


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"{name}: not a date/time such as 2026-03-01 or 2026-03-01T10:00:00Z") from None
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment


@evidence_app.command("export")
def evidence_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The ZIP file to write")],
    subject: Annotated[
        str | None,
        typer.Option(
            help="The id of one item — a commitment, change request, expectation, decision, "
            "issue, risk, meeting, interaction or acknowledgement request: its events and "
            "everything they rest on (sources, revised expectations, acknowledgements)",
        ),
    ] = None,
    project: Annotated[str | None, typer.Option(help="A project's id")] = None,
    person: Annotated[str | None, typer.Option(help="A person's email")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Events that occurred from (ISO date/time)")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="... until before (ISO)")] = None,
    consistency_from: Annotated[
        list[int] | None,
        typer.Option(
            "--consistency-from",
            help="Include a consistency proof from this older tree size (repeat)",
        ),
    ] = None,
    database_url: DatabaseURL = None,
    key_file: KeyFile = None,
) -> None:
    """Write a self-contained evidence bundle (ZIP) that anyone can verify offline."""
    chosen = [x for x in (subject, project, person) if x]
    if len(chosen) != 1 and not (person and project and not subject):
        raise _fail("name one of --subject, --project or --person (--person may add --project)")
    bounds = {"start": _moment(start, "--from"), "end": _moment(end, "--to")}
    try:
        if subject:
            scope = EvidenceScope.subject(UUID(subject), **bounds)
        elif person:
            scope = EvidenceScope.for_person(
                person, project_id=UUID(project) if project else None, **bounds
            )
        else:
            scope = EvidenceScope.project(UUID(str(project)), **bounds)
    except ValueError as e:
        raise _fail(f"{e}") from None
    ledger, integrity = _open(database_url, key_file)
    try:
        size = integrity.export_evidence_file(
            scope, output, consistency_from=tuple(consistency_from or ())
        )
        made = integrity.latest_checkpoint()
    except EvidenceNotFoundError as e:
        raise _fail(str(e), ExitCode.NOT_FOUND) from None
    except (CheckpointError, LogCorruptError, SealError, KeyFileError, OSError) as e:
        raise _fail(str(e)) from None
    finally:
        integrity.close()
        ledger.close()
    console.print(f"wrote {output} ({size:,} bytes)", highlight=False, soft_wrap=True)
    if made is not None:
        console.print(f"checkpoint: {made.size:,} events, root {made.root_base64}", soft_wrap=True)


@evidence_app.command("verify")
def evidence_verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle (ZIP)", exists=True, dir_okay=False)],
    key: Annotated[
        str | None,
        typer.Option(
            help="The public key you trust (<name>+<id>+<key>, or a file holding it)",
        ),
    ] = None,
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="An older checkpoint you kept (signed note file)", exists=True
        ),
    ] = None,
) -> None:
    """Check a bundle offline (no database): manifest, signature, every proof."""
    trusted = key
    if key is not None and Path(key).is_file():
        trusted = Path(key).read_text(encoding="utf-8").strip()
    older = checkpoint_file.read_text(encoding="utf-8") if checkpoint_file else None
    result = verify_bundle(bundle, key=trusted, older_checkpoint=older)
    for fact in result.facts:
        console.print(f"  ok: {fact}", highlight=False, soft_wrap=True, markup=False)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, soft_wrap=True)
    if result.ok:
        console.print(
            f"[green]VERIFIED:[/green] {escape(str(bundle))}", highlight=False, soft_wrap=True
        )
        return
    for failure in result.failures:
        err.print(f"[red]FAILED:[/red] {escape(failure)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
