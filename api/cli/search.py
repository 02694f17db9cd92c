"""``accord search QUERY --project ID``: full-text search of a project's record, as a table."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from api.cli.main import DatabaseURL, ProjectOption, app, console, err, open_ledger, project_id_of
from api.cli.projections import _progress
from projections.asof import LiveViews
from projections.runner import ProjectionRunner
from projections.search import KINDS, SearchFilter, SearchQueryError, search


def _instant(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/red] {option}: {value!r} is not an ISO 8601 time")
        raise typer.Exit(2) from None
    if moment.utcoffset() is None:
        err.print(f"[red]error:[/red] {option}: give a time zone, e.g. 2026-03-01T10:00:00Z")
        raise typer.Exit(2)
    return moment


def highlighted(snippet: str, marks: list[tuple[int, int]]) -> Text:
    text = Text(snippet)
    for start, end in marks:
        text.stylize("bold black on yellow", start, end)
    return text


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Words, "phrases", prefix*, AND/OR/NOT, -word.')],
    project: ProjectOption,
    person: Annotated[str | None, typer.Option(help="Only events involving them")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Occurred at or after")] = None,
    to: Annotated[str | None, typer.Option(help="Occurred at or before")] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help=f"Only these kinds: {', '.join(KINDS)}")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="What was on record then (ISO 8601, with a zone)")
    ] = None,
    basis: Annotated[str, typer.Option(help="recorded or occurred (for --as-of)")] = "recorded",
    newest: Annotated[bool, typer.Option("--newest", help="Latest first, not best")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Hits to show")] = 20,
    database_url: DatabaseURL = None,
) -> None:
    """Search a project's emails, call notes, minutes, commitments, change requests, issues,
    decisions, risks and reports (the search view is brought up to date first)."""
    project_id = project_id_of(project)
    where = SearchFilter(
        person=person,
        occurred_from=_instant(from_, "--from"),
        occurred_to=_instant(to, "--to"),
        kinds=tuple(kind or ()),
        as_of=_instant(as_of, "--as-of"),
        basis=basis,
    )
    ledger = open_ledger(database_url)
    runner = ProjectionRunner(ledger)
    try:
        with _progress() as progress:
            task = progress.add_task("catching up", total=max(runner.head(), 1))
            runner.catch_up(
                lambda position, head: progress.update(task, completed=position, total=max(head, 1))
            )
        try:
            page = search(
                LiveViews(runner),
                str(project_id),
                query,
                where,
                order="newest" if newest else "relevance",
                limit=limit,
            )
        except SearchQueryError as e:
            err.print(f"[red]error:[/red] {'query' if e.field == 'q' else e.field}: {e}")
            raise typer.Exit(2) from None
        if not page.hits:
            console.print("No match.")
            return
        table = Table("occurred", "kind", "title", "snippet", "people", "position")
        for hit in page.hits:
            title = hit["title"] or ""
            if hit["retracted"]:
                title += " (retracted)"
            table.add_row(
                hit["occurred_at"][:16].replace("T", " "),
                hit["kind"],
                title,
                highlighted(hit["snippet"], hit["highlights"]),
                ", ".join(hit["people"]),
                str(hit["position"]),
            )
        console.print(table)
        if page.next_cursor:
            console.print(f"More than {limit} hits: narrow the query or raise --limit.")
    finally:
        runner.close()
        ledger.close()
