"""``accord token create | list | revoke``: bearer tokens for the HTTP API; ``accord token
calendar | calendar-list | calendar-revoke``: calendar tokens, the keys of calendar feed URLs.

``create`` prints the token alone on standard output (so ``TOKEN=$(accord token create ...)``
works) and what it is on standard error. Only the token's digest is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Column, Table

from api.bootstrap import create_tables
from api.calendar_tokens import CalendarTokenStore, IssuedCalendarToken, calendar_url
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
from api.tokens import IssuedToken, TokenNotFoundError, TokenStore
from ledger.domain.errors import DomainError, InvalidInputError
from ledger.domain.validation import normalise_email
from ledger.storage.availability import StorageUnavailableError
from ledger.storage.settings import Storage, StorageURLError, parse_database_url
from ledger.storage.sql import SqlDatabase

token_app = typer.Typer(help="Bearer tokens for the HTTP API.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@contextmanager
def token_store(database_url: str | Storage | None) -> Iterator[TokenStore]:
    """The token table of the ledger at ``database_url``, or exit with a clear message."""
    try:
        storage = (
            database_url if isinstance(database_url, Storage) else parse_database_url(database_url)
        )
    except StorageURLError as e:
        raise fail(str(e), ExitCode.USAGE) from None
    try:
        db = SqlDatabase(storage)
    except StorageUnavailableError as e:
        raise fail(str(e), ExitCode.STORAGE_UNAVAILABLE) from None
    try:
        create_tables(db)
    except Exception:
        db.close()
        raise
    try:
        yield TokenStore(db)
    finally:
        db.close()


def issue_tokens(
    storage: Storage, people: Iterable[tuple[str, str]], *, label: str
) -> list[tuple[str, IssuedToken]]:
    """A new token for each ``(role, email)``; earlier tokens stay valid."""
    with token_store(storage) as store:
        return [(role, store.create(email, label=label)) for role, email in people]


def issue_calendar_token(
    storage: Storage, project_id: UUID, email: str, *, label: str, created_by: str
) -> IssuedCalendarToken:
    """A new calendar token for ``email``'s feed of the project (a member: not checked here)."""
    with token_store(storage) as store:
        return CalendarTokenStore(store.db).create(
            project_id, email, created_by=created_by, label=label
        )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""


@token_app.command("create")
def create(
    email: Annotated[str, typer.Option(help="The person the token is for")],
    admin: Annotated[
        bool, typer.Option("--admin", help="May also issue and revoke others' tokens")
    ] = False,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
    database_url: DatabaseURL = None,
) -> None:
    """Issue a token and print it (once: only its digest is kept)."""
    with token_store(database_url) as store:
        try:
            issued = store.create(email, admin=admin, label=label)
        except InvalidInputError as e:
            raise fail(str(e), ExitCode.USAGE) from None
    typer.echo(issued.token)
    kind = "admin token" if issued.admin else "token"
    err.print(f"{kind} {issued.token_id} for {issued.email}")


@token_app.command("list")
def list_tokens(
    email: Annotated[str | None, typer.Option(help="Only this person's tokens")] = None,
    database_url: DatabaseURL = None,
) -> None:
    """The tokens issued (ids, people, labels; never the tokens themselves)."""
    with token_store(database_url) as store:
        tokens = store.list(email)
    table = Table("id", "email", "admin", "label", "created", "revoked")
    for t in tokens:
        table.add_row(
            t.token_id,
            t.email,
            "yes" if t.admin else "",
            t.label,
            _when(t.created_at),
            _when(t.revoked_at),
        )
    console.print(table)


@token_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (tok_...)")],
    database_url: DatabaseURL = None,
) -> None:
    """Revoke a token: it no longer authenticates anyone."""
    with token_store(database_url) as store:
        try:
            info = store.revoke(token_id)
        except TokenNotFoundError:
            raise fail(f"no token {token_id}", ExitCode.NOT_FOUND) from None
    console.print(f"revoked {info.token_id} of {info.email}")


# --------------------------------------------------------------------------- calendar


@token_app.command("calendar")
def create_calendar_token(
    project: ProjectOption,
    person: Annotated[str, typer.Option(help="Whose feed: a member of the project")],
    base_url: Annotated[
        str, typer.Option(help="The server's address, for the printed URL")
    ] = "http://127.0.0.1:8000",
    label: Annotated[str, typer.Option(help="Where the feed is used")] = "",
    database_url: DatabaseURL = None,
) -> None:
    """Issue a calendar token for a member and print the feed's URL to subscribe to (once:
    only the token's digest is kept). The token opens that feed and nothing else."""
    project_id = project_id_of(project)
    ledger = open_ledger(database_url)
    try:
        try:
            email = normalise_email(person, "person")
            ledger.get_project(project_id).require_member(email, "person")
        except DomainError as e:
            code, line = classify(e) or (ExitCode.REFUSED, str(e))
            raise fail(line, code) from None
        issued = issue_calendar_token(
            ledger.storage,
            project_id,
            email,
            label=label,
            created_by="accord token calendar",
        )
    finally:
        ledger.close()
    typer.echo(calendar_url(base_url, project_id, issued.token))
    err.print(f"calendar token {issued.info.token_id} for {email}'s feed of {project_id}")


@token_app.command("calendar-list")
def list_calendar_tokens(project: ProjectOption, database_url: DatabaseURL = None) -> None:
    """The calendar tokens of a project (never the tokens themselves)."""
    project_id = project_id_of(project)
    with token_store(database_url) as store:
        tokens = CalendarTokenStore(store.db).list(project_id)
    table = Table(
        Column("id", no_wrap=True),
        Column("person", no_wrap=True),
        "label",
        "issued by",
        "created",
        "revoked",
    )
    for t in tokens:
        table.add_row(
            t.token_id,
            t.email,
            t.label,
            t.created_by,
            _when(t.created_at),
            _when(t.revoked_at),
        )
    console.print(table)


@token_app.command("calendar-revoke")
def revoke_calendar_token(
    token_id: Annotated[str, typer.Argument(help="The calendar token's id (cal_...)")],
    project: ProjectOption,
    database_url: DatabaseURL = None,
) -> None:
    """Revoke a calendar token: its URL stops working at once."""
    project_id = project_id_of(project)
    with token_store(database_url) as store:
        try:
            info = CalendarTokenStore(store.db).revoke(token_id, project_id)
        except TokenNotFoundError:
            raise fail(
                f"no calendar token {token_id} in project {project_id}", ExitCode.NOT_FOUND
            ) from None
    console.print(f"revoked {info.token_id} of {info.email}")
