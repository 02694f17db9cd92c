"""``accord import mbox | eml | minutes``, ``accord export`` and ``accord calendar``.

Every import is recorded by the member named with ``--as`` (the person doing the import; they
must be a member of the project who may record — not an auditor). Exit status (docs/cli.md): 0
when every message was imported or already there; 1 when the import finished but some messages
(listed) were rejected, or the minutes have errors (each naming its line); 2 bad arguments or a
file that is not an mbox; 3 no such project or file; 5 not a member who may record.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.errors import ExitCode, classify, fail
from api.cli.main import (
    DatabaseURL,
    ProjectOption,
    app,
    console,
    err,
    open_ledger,
    project_id_of,
)
from ledger.domain.errors import DomainError
from ledger.interchange.exports import VIEWS, ExportFormat, export
from ledger.interchange.importing import (
    EmailImportSummary,
    EmlFiles,
    Mbox,
    MessageSource,
    import_emails,
)
from ledger.interchange.importing.minutes import MinutesParseError, import_minutes
from ledger.interchange.importing.sources import SourceError
from ledger.service.application import Ledger
from projections import exports as _projection_exports  # noqa: F401  (open-items, audit)

import_app = typer.Typer(
    help="Bring existing communication into a project: email (mbox, .eml) and minutes.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

ActorOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Who is importing: the email of a member of the project who may record",
    ),
]
#: How many rejected messages and notes are listed in full.
SHOWN = 50


@contextmanager
def _ledger(database_url: str | None) -> Iterator[Ledger]:
    ledger = open_ledger(database_url)
    try:
        yield ledger
    except DomainError as e:
        code, line = classify(e) or (ExitCode.REFUSED, str(e))
        raise fail(line, code) from None
    finally:
        ledger.close()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


# ----------------------------------------------------------------------------- email


@import_app.command("mbox")
def import_mbox(
    file: Annotated[Path, typer.Argument(help="The mbox file")],
    project: ProjectOption,
    actor: ActorOption,
    database_url: DatabaseURL = None,
) -> None:
    """Import every message of an mbox file as an email interaction."""
    _import_email(lambda: Mbox(file), project, actor, database_url)


@import_app.command("eml")
def import_eml(
    paths: Annotated[
        list[Path], typer.Argument(help=".eml files, or folders (their *.eml, recursively)")
    ],
    project: ProjectOption,
    actor: ActorOption,
    database_url: DatabaseURL = None,
) -> None:
    """Import .eml files (or the .eml files of folders) as email interactions."""
    _import_email(lambda: EmlFiles(paths), project, actor, database_url)


def _import_email(
    source_of: Callable[[], MessageSource], project: str, actor: str, database_url: str | None
) -> None:
    project_id = project_id_of(project)
    try:
        source = source_of()
    except SourceError as e:
        raise fail(str(e), _source_code(e)) from None
    with _ledger(database_url) as ledger:
        try:
            with _progress() as progress:
                task = progress.add_task("importing", total=None)
                summary = import_emails(
                    ledger,
                    project_id,
                    actor,
                    source,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
        except SourceError as e:
            raise fail(str(e), _source_code(e)) from None
    _print_summary(summary)
    if summary.rejected:
        raise typer.Exit(1)


def _source_code(error: SourceError) -> ExitCode:
    """A missing file is "not found" (3); a file that is not what it should be, usage (2)."""
    return ExitCode.NOT_FOUND if "no such file" in str(error) else ExitCode.USAGE


def _print_summary(summary: EmailImportSummary) -> None:
    table = Table(title="Import", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("messages read", str(summary.messages))
    table.add_row("imported", f"[green]{summary.imported}[/green]")
    table.add_row("duplicates (already in the ledger)", str(summary.duplicates))
    rejected = summary.rejected
    table.add_row("rejected", f"[red]{len(rejected)}[/red]" if rejected else "0")
    table.add_row("attachments kept", str(summary.attachments))
    table.add_row("replies linked to their thread", str(summary.replies_linked))
    table.add_row("replies whose thread is not in the ledger", str(summary.replies_unlinked))
    table.add_row("earlier replies linked to this import", str(summary.replies_relinked))
    table.add_row("members on the messages", str(len(summary.members)))
    table.add_row("external addresses", str(len(summary.external_addresses)))
    console.print(table)
    if rejected:
        console.print("[bold red]Rejected[/bold red] (nothing of them was recorded):")
        for result in rejected[:SHOWN]:
            console.print(f"  {result.where}: {result.reason}", soft_wrap=True)
        if len(rejected) > SHOWN:
            console.print(f"  ... and {len(rejected) - SHOWN} more")
    different = [r for r in summary.results if r.reason and r.outcome == "duplicate"]
    for result in different[:SHOWN]:
        console.print(f"[yellow]duplicate[/yellow] {result.where}: {result.reason}", soft_wrap=True)
    if summary.notes:
        console.print(f"[bold]Notes[/bold] ({len(summary.notes)}; the originals are kept whole):")
        for where, note in summary.notes[:SHOWN]:
            console.print(f"  {where}: {note}", soft_wrap=True)
        if len(summary.notes) > SHOWN:
            console.print(f"  ... and {len(summary.notes) - SHOWN} more")


# --------------------------------------------------------------------------- minutes


@import_app.command("minutes")
def import_minutes_file(
    file: Annotated[Path, typer.Argument(help="The minutes, in the Markdown form")],
    project: ProjectOption,
    actor: ActorOption,
    database_url: DatabaseURL = None,
) -> None:
    """Import Markdown minutes as a meeting with its minutes, decisions and commitments."""
    project_id = project_id_of(project)
    try:
        data = file.read_bytes()
    except OSError as e:
        code = ExitCode.NOT_FOUND if isinstance(e, FileNotFoundError) else ExitCode.USAGE
        raise fail(f"{file}: {e.strerror or e}", code) from None
    with _ledger(database_url) as ledger:
        try:
            result = import_minutes(ledger, project_id, actor, data, filename=file.name)
        except MinutesParseError as e:
            for error in e.errors:
                err.print(f"{file}:{error.line}: {error.message}")
            raise typer.Exit(1) from None
    if result.already_imported:
        console.print(
            f"{file.name}: already imported as meeting {result.meeting_id}; nothing added."
        )
        return
    console.print(
        f"{file.name}: meeting {result.meeting_id} with its minutes, "
        f"{len(result.commitment_ids)} commitment(s), {len(result.decision_ids)} decision(s); "
        f"original kept as {result.document_sha256}.",
        soft_wrap=True,
    )


# ---------------------------------------------------------------------------- export


@app.command("export")
def export_command(
    project: ProjectOption,
    format: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")],
    view: Annotated[
        str, typer.Option("--view", help="events, commitments (and the read models' views)")
    ] = "events",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The file to write (default: stdout)")
    ] = None,
    database_url: DatabaseURL = None,
) -> None:
    """Export a project's events or commitments as JSON Lines or CSV (UTF-8 with BOM)."""
    project_id = project_id_of(project)
    if view not in VIEWS:
        raise fail(f"--view: {view!r} is not one of: {', '.join(sorted(VIEWS))}", ExitCode.USAGE)
    with _ledger(database_url) as ledger:
        if output is None:
            count = export(ledger, project_id, sys.stdout.buffer, view=view, format=format)
            sys.stdout.buffer.flush()
        else:
            partial = output.with_name(f".{output.name}.partial")
            try:
                with partial.open("wb") as out:
                    count = export(ledger, project_id, out, view=view, format=format)
                partial.replace(output)  # a reader never sees half a file
            finally:
                partial.unlink(missing_ok=True)
    err.print(f"{count} {view} row(s) written to {output or 'stdout'}")


@app.command("calendar")
def calendar_command(
    project: ProjectOption,
    person: Annotated[str, typer.Option("--person", help="Whose calendar: a member's email")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The .ics file (default: stdout)")
    ] = None,
    database_url: DatabaseURL = None,
) -> None:
    """Write a member's iCalendar feed of the project (due dates, milestones, cadence)."""
    from ledger.interchange.calendar_feed import calendar_feed

    project_id = project_id_of(project)
    with _ledger(database_url) as ledger:
        feed = calendar_feed(ledger, project_id, person)
    if output is None:
        sys.stdout.buffer.write(feed)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(feed)
        err.print(f"calendar of {person} written to {output}")
