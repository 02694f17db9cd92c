"""The ``accord`` command line."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from api.cli.errors import EXIT_CODES_HELP, AccordGroup, ExitCode, fail
from api.settings import Settings
from ledger.service.application import Ledger
from ledger.storage.availability import StorageUnavailableError
from ledger.storage.settings import (
    DATABASE_URL_VARIABLE,
    Storage,
    StorageURLError,
    parse_database_url,
)

app = typer.Typer(
    name="accord",
    cls=AccordGroup,
    help="Accord: the communication ledger of who promised what, and when.\n\n"
    + EXIT_CODES_HELP
    + " (docs/cli.md).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)


class EventLoop(StrEnum):
    """``accord serve --loop``: uvicorn's choice of event loop."""

    AUTO = "auto"
    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


class HttpParser(StrEnum):
    """``accord serve --http``: uvicorn's choice of HTTP/1.1 implementation."""

    AUTO = "auto"
    H11 = "h11"
    HTTPTOOLS = "httptools"


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


def project_id_of(value: str, option: str = "--project") -> UUID:
    """The ``--project`` option as an id, or exit with a clear message (usage, status 2)."""
    try:
        return UUID(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a project id", ExitCode.USAGE) from None


def open_ledger(database_url: str | None) -> Ledger:
    """Open the ledger at ``database_url``, or exit with one line: status 2 for a URL that
    cannot be used, 4 when the storage cannot be reached or is not a ledger."""
    try:
        storage = parse_database_url(database_url)
    except StorageURLError as e:
        raise fail(str(e), ExitCode.USAGE) from None
    try:
        return Ledger(storage.url)
    except StorageUnavailableError as e:
        raise fail(str(e), ExitCode.STORAGE_UNAVAILABLE) from None


@app.command()
def demo(
    database_url: DatabaseURL = None,
    base_url: Annotated[
        str, typer.Option(help="Where `accord serve` will answer, for the printed curl line")
    ] = "http://127.0.0.1:8000",
    time_zone: Annotated[
        str, typer.Option("--time-zone", help="The demo team's IANA time zone")
    ] = "Asia/Shanghai",
) -> None:
    """Record the demo project (safe to run again: nothing is duplicated)."""
    from ledger.interchange.demo import record_demo

    ledger = open_ledger(database_url)
    try:
        before = ledger.event_log.head()
        result = record_demo(ledger, time_zone=time_zone)
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
    typer.echo(
        f"\nOnce `accord serve` runs, open {base_url}/ in a browser and sign in with one of "
        "these tokens (the web app; docs/web.md)."
    )
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
    from ledger.interchange.demo import PROJECT_NAME
    from ledger.interchange.mailroom import inbox_address

    typer.echo("\nThe project's inbox (Bcc it; `make run` receives its mail on port 2525):")
    typer.echo(f"  {inbox_address(project_id, PROJECT_NAME)}")


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
    mail_port: Annotated[
        int,
        typer.Option(
            help="Also receive the projects' inbox mail over SMTP on this port (0: off; "
            "see `accord mail serve`)",
            envvar="ACCORD_MAIL_PORT",
        ),
    ] = 0,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes answering HTTP (the projection runner and checkpoints run "
            "once, in the parent process)",
            envvar="ACCORD_WORKERS",
        ),
    ] = 1,
    loop: Annotated[
        EventLoop,
        typer.Option(
            help="Event loop: uvloop when installed (auto), or Python's asyncio",
            envvar="ACCORD_LOOP",
        ),
    ] = EventLoop.AUTO,
    http: Annotated[
        HttpParser,
        typer.Option(
            help="HTTP/1.1 parser: httptools when installed (auto), or the pure-Python h11",
            envvar="ACCORD_HTTP",
        ),
    ] = HttpParser.AUTO,
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
        mail_port=mail_port,
    )
    try:
        storage = parse_database_url(settings.database_url)
    except StorageURLError as e:
        raise fail(str(e), ExitCode.USAGE) from None
    try:
        log_config = uvicorn_log_config()
    except ValueError as e:
        raise fail(str(e), ExitCode.USAGE) from None
    _check_address_free(host, port)
    console.print(f"Accord on http://{host}:{port} — storage {storage.display}")
    if workers > 1:
        from api.workers import serve_workers

        console.print(f"{workers} worker processes; projections and checkpoints in this one")
        serve_workers(
            settings,
            workers,
            log_level="info",
            access_log=access_log,
            log_config=uvicorn_log_config(),
            loop=loop.value,
            http=http.value,
        )
        return
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
        log_config=log_config,
        loop=loop.value,
        http=http.value,
    )


def _check_address_free(host: str, port: int) -> None:
    """Exit with status 6 at once when ``host:port`` cannot be listened on (in use, not an
    address of this machine), before the ledger is opened."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise fail(f"--host {host!r}: {e.strerror}", ExitCode.CANNOT_LISTEN) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            raise fail(
                f"cannot listen on {host}:{port}: {e.strerror} "
                "(choose another with --port, or stop what uses it)",
                ExitCode.CANNOT_LISTEN,
            ) from None


def main() -> None:
    app()
