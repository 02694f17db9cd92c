"""The ``accord`` command line."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from api.settings import Settings
from ledger.service.application import Ledger
from ledger.storage.settings import (
    DATABASE_URL_VARIABLE,
    Storage,
    StorageURLError,
    parse_database_url,
)

app = typer.Typer(
    name="accord",
    help="Accord: the communication ledger of who promised what, and when.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

DatabaseURL = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar=DATABASE_URL_VARIABLE,
        help="sqlite:///path/to/file.db or postgresql://user:pass@host:port/db",
        show_default="sqlite:///accord-data/accord.db",
    ),
]


ProjectOption = Annotated[str, typer.Option("--project", help="The project's id")]


def project_id_of(value: str) -> UUID:
    """The ``--project`` option as an id, or exit with a clear message (status 2)."""
    try:
        return UUID(value)
    except ValueError:
        err.print(f"[red]error:[/red] --project: {value!r} is not a project id")
        raise typer.Exit(2) from None


def open_ledger(database_url: str | None) -> Ledger:
    """Open the ledger at ``database_url``, or exit with a clear message (status 2)."""
    try:
        storage = parse_database_url(database_url)
    except StorageURLError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    try:
        return Ledger(storage.url)
    except Exception as e:  # connection refused, bad credentials...
        err.print(f"[red]error:[/red] cannot open {storage.display}: {e}")
        raise typer.Exit(2) from None


@app.command()
def demo(
    database_url: DatabaseURL = None,
    base_url: Annotated[
        str, typer.Option(help="Where `accord serve` will answer, for the printed curl line")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Record the demo project (safe to run again: nothing is duplicated)."""
    from ledger.interchange.demo import record_demo

    ledger = open_ledger(database_url)
    try:
        before = ledger.event_log.head()
        result = record_demo(ledger)
        after = ledger.event_log.head()
    finally:
        ledger.close()
    added = after - before
    console.print(
        f"Demo project [bold]{result.project_name}[/bold] ({result.project_id}) "
        f"in {ledger.storage.display}: "
        + (f"{added} events recorded." if added else "already recorded, nothing added.")
    )
    for role, email in result.people.items():
        console.print(f"  {role:<16} {email}")
    _print_demo_tokens(ledger.storage, result.project_id, result.people, base_url)


#: The demo people who get a token printed by ``accord demo``.
DEMO_TOKEN_ROLES = ("project manager", "client sponsor", "auditor")


def _print_demo_tokens(
    storage: Storage, project_id: UUID, people: dict[str, str], base_url: str
) -> None:
    """A fresh bearer token for each of :data:`DEMO_TOKEN_ROLES` (tokens of earlier runs stay
    valid: only digests are stored, so old tokens cannot be shown again), and a curl line."""
    from api.calendar_tokens import calendar_url
    from api.cli.tokens import issue_calendar_token, issue_tokens

    issued = issue_tokens(
        storage, [(role, people[role]) for role in DEMO_TOKEN_ROLES], label="demo"
    )
    typer.echo("\nBearer tokens for the HTTP API (new on each run; earlier ones stay valid):")
    for role, token in issued:
        typer.echo(f"  {role:<16} {token.token}")
    typer.echo("\nTry, once `accord serve` runs:")
    typer.echo(
        f'  curl -H "Authorization: Bearer {issued[0][1].token}" '
        f"{base_url}/v1/projects/{project_id}/commitments"
    )
    calendar = issue_calendar_token(
        storage, project_id, people["client sponsor"], label="demo", created_by="accord demo"
    )
    typer.echo("\nThe client sponsor's calendar (subscribe to it in a calendar app):")
    typer.echo(f"  {calendar_url(base_url, project_id, calendar.token)}")


@app.command()
def serve(
    database_url: DatabaseURL = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    no_projections: Annotated[
        bool,
        typer.Option(
            "--no-projections",
            help="Do not run the projection runner in this process "
            "(run `accord projections run` separately)",
        ),
    ] = False,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request")
    ] = True,
) -> None:
    """Serve the HTTP API."""
    import gc

    import uvicorn

    from api.app import create_app
    from api.logs import uvicorn_log_config

    settings = Settings(
        database_url=database_url or Settings().database_url,
        host=host,
        port=port,
        run_projections=not no_projections,
    )
    try:
        storage = parse_database_url(settings.database_url)
    except StorageURLError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(f"Accord on http://{host}:{port} — storage {storage.display}")
    api = create_app(settings)
    # What the app was built from lives as long as the process: take it out of the garbage
    # collector's generations, so that full collections do not stall every request for tens of
    # milliseconds (see docs/performance.md, HTTP API).
    gc.freeze()
    uvicorn.run(
        api,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        log_config=uvicorn_log_config(),
    )


def main() -> None:
    app()
