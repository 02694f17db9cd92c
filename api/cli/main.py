"""The ``accord`` command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.settings import Settings
from ledger.application import Ledger
from ledger.storage import DATABASE_URL_VARIABLE, StorageURLError, parse_database_url

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
def demo(database_url: DatabaseURL = None) -> None:
    """Record the demo project (safe to run again: nothing is duplicated)."""
    from ledger.demo import record_demo

    ledger = open_ledger(database_url)
    try:
        before = ledger.recorder.max_notification_id() or 0
        result = record_demo(ledger)
        after = ledger.recorder.max_notification_id() or 0
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


@app.command()
def serve(
    database_url: DatabaseURL = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from api.app import create_app

    settings = Settings(database_url=database_url or Settings().database_url, host=host, port=port)
    try:
        storage = parse_database_url(settings.database_url)
    except StorageURLError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(f"Accord on http://{host}:{port} — storage {storage.display}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def main() -> None:
    app()
