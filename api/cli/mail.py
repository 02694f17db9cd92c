"""``accord mail``: receive mail as it happens (an SMTP inbox, an IMAP pull) and manage who may
send to a project's inbox. See docs/mail.md."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli.errors import ExitCode, classify, fail
from api.cli.main import DatabaseURL, ProjectOption, app, console, err, open_ledger, project_id_of
from ledger.domain.errors import DomainError
from ledger.domain.wording import Language
from ledger.interchange.mailroom import (
    Inbox,
    Mailbox,
    PullState,
    inbox_address,
    mail_domain,
    pull_once,
)
from ledger.storage.sql import SqlDatabase

mail = typer.Typer(
    name="mail",
    help="Mail as it happens: the project inbox (SMTP), pulling a mailbox (IMAP), allowed senders.",
    no_args_is_help=True,
)
app.add_typer(mail)

PASSWORD_VARIABLE = "ACCORD_IMAP_PASSWORD"
DEFAULT_SPOOL = Path("accord-data/mail-spool")


@mail.command("serve")
def serve(
    database_url: DatabaseURL = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port to listen on")] = 2525,
    spool: Annotated[
        Path, typer.Option(help="Folder where accepted messages wait until recorded")
    ] = DEFAULT_SPOOL,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: offer STARTTLS with it")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    max_message_mb: Annotated[int, typer.Option(help="Largest message accepted, in MiB")] = 32,
) -> None:
    """Receive mail for every project's inbox address (Bcc it, or forward to it)."""
    from api.mail.smtp import MailServer
    from api.tokens import TokenStore

    ledger = open_ledger(database_url)
    db = SqlDatabase(ledger.storage)
    tokens = TokenStore(db)
    inbox = Inbox(ledger, spool)
    server = MailServer(
        inbox,
        host=host,
        port=port,
        tokens=tokens,
        tls_cert=tls_cert,
        tls_key=tls_key,
        max_message_bytes=max_message_mb * 1024 * 1024,
    )
    try:
        server.start()
    except OSError as e:
        err.print(f"[red]error:[/red] cannot listen on {host}:{port}: {e.strerror or e}")
        raise typer.Exit(ExitCode.CANNOT_LISTEN) from None
    console.print(f"Accord mail on smtp://{host}:{server.port} — addresses @{inbox.domain}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    inbox.close()
    db.close()
    ledger.close()


@mail.command("address")
def address(project: ProjectOption, database_url: DatabaseURL = None) -> None:
    """Print the project's inbox address (set ACCORD_MAIL_DOMAIN to your mail domain)."""
    ledger = open_ledger(database_url)
    try:
        found = ledger.get_project(project_id_of(project))
        console.print(inbox_address(found.id, found.name, mail_domain()))
    except DomainError as e:
        code, line = classify(e) or (ExitCode.REFUSED, str(e))
        raise fail(line, code) from None
    finally:
        ledger.close()


@mail.command("allow")
def allow(
    project: ProjectOption,
    email: Annotated[str, typer.Argument(help="The sender's address")],
    by: Annotated[str, typer.Option("--as", help="You: a team manager of the project")],
    name: Annotated[str, typer.Option(help="The sender's name")] = "",
    database_url: DatabaseURL = None,
) -> None:
    """Let mail from a non-member (an assistant, a supplier) to the inbox be recorded."""
    ledger = open_ledger(database_url)
    try:
        ledger.allow_mail_sender(by, project_id_of(project), email=email, name=name)
        console.print(f"Mail from {email} to the project's inbox is now recorded.")
    except DomainError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        ledger.close()


@mail.command("disallow")
def disallow(
    project: ProjectOption,
    email: Annotated[str, typer.Argument(help="The sender's address")],
    by: Annotated[str, typer.Option("--as", help="You: a team manager of the project")],
    database_url: DatabaseURL = None,
) -> None:
    """Stop recording mail from a sender allowed before."""
    ledger = open_ledger(database_url)
    try:
        ledger.disallow_mail_sender(by, project_id_of(project), email=email)
        console.print(f"Mail from {email} is no longer recorded.")
    except DomainError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        ledger.close()


@mail.command("pull")
def pull(
    imap: Annotated[
        str, typer.Option(help="imap://user@host/Folder or imaps://user@host/Folder (no password)")
    ],
    project: ProjectOption,
    by: Annotated[str, typer.Option("--as", help="You: the member who records what is pulled")],
    password_file: Annotated[
        Path | None,
        typer.Option(help=f"A file holding the password (else ${PASSWORD_VARIABLE})"),
    ] = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between passes; 0 pulls once and stops")
    ] = 0.0,
    database_url: DatabaseURL = None,
) -> None:
    """Record the messages of an IMAP folder, each once, across restarts."""
    try:
        mailbox = Mailbox.parse(imap)
    except ValueError as e:
        err.print(f"[red]error:[/red] --imap: {e}")
        raise typer.Exit(2) from None
    if password_file is not None:
        try:
            password = password_file.read_text().strip()
        except OSError as e:
            err.print(f"[red]error:[/red] --password-file: {e.strerror or e}")
            raise typer.Exit(2) from None
    else:
        password = os.environ.get(PASSWORD_VARIABLE, "")
    if not password:
        err.print(f"[red]error:[/red] no password: give --password-file or set {PASSWORD_VARIABLE}")
        raise typer.Exit(2)
    project_id = project_id_of(project)
    ledger = open_ledger(database_url)
    db = SqlDatabase(ledger.storage)
    state = PullState(db)
    try:
        while True:
            try:
                result = pull_once(ledger, mailbox, password, project_id, by, state)
            except DomainError as e:
                err.print(f"[red]error:[/red] {e}")
                raise typer.Exit(2) from None
            except OSError as e:
                err.print(f"[red]error:[/red] {mailbox.key}: {e.strerror or e}")
                if not interval:
                    raise typer.Exit(4) from None
            except Exception as e:  # imaplib's errors: a refused login, a missing folder
                err.print(f"[red]error:[/red] {mailbox.key}: {e}")
                if not interval:
                    raise typer.Exit(4) from None
            else:
                note = (
                    " (the folder was renumbered: read again from the start)"
                    if (result.reset)
                    else ""
                )
                console.print(
                    f"{mailbox.key}: {result.fetched} fetched, {result.imported} recorded, "
                    f"{result.duplicates} already on record, {result.rejected} refused{note}"
                )
            if not interval:
                break
            time.sleep(interval)
    finally:
        db.close()
        ledger.close()


@mail.command("circulate")
def circulate(
    project: ProjectOption,
    meeting: Annotated[str, typer.Option(help="The meeting whose minutes were circulated")],
    by: Annotated[str, typer.Option("--as", help="You: the member who circulated them")],
    base_url: Annotated[
        str, typer.Option(help="The Accord URL recipients reach (for their instructions)")
    ] = "http://127.0.0.1:8000",
    database_url: DatabaseURL = None,
) -> None:
    """E-mail circulated minutes to each recipient with how to acknowledge them (through the
    relay in ACCORD_SMTP_URL); every message sent is recorded as an interaction."""
    from uuid import UUID

    from ledger.interchange.mailroom import Outbox, Relay, minutes_circulation

    try:
        relay = Relay.from_environment()
    except ValueError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    if relay is None:
        err.print("[red]error:[/red] set ACCORD_SMTP_URL (smtp://host:port) to send mail")
        raise typer.Exit(2)
    try:
        meeting_id = UUID(meeting)
    except ValueError:
        err.print(f"[red]error:[/red] --meeting: {meeting!r} is not a meeting id")
        raise typer.Exit(2) from None
    ledger = open_ledger(database_url)
    try:
        circulation = minutes_circulation(
            ledger, project_id_of(project), meeting_id, base_url=base_url
        )
        for sent in Outbox(ledger, relay).circulate(by, circulation):
            console.print(f"sent to {sent.to} ({sent.message_id}), recorded {sent.interaction_id}")
    except (DomainError, ValueError) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    except OSError as e:
        err.print(f"[red]error:[/red] the relay in ACCORD_SMTP_URL: {e.strerror or e}")
        raise typer.Exit(4) from None
    finally:
        ledger.close()


@mail.command("digest")
def digest(
    project: ProjectOption,
    by: Annotated[str, typer.Option("--as", help="The member the digests are sent from")],
    language: Annotated[
        str, typer.Option(help="en or zh-Hans: the language of the messages")
    ] = "en",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the digests instead of sending them")
    ] = False,
    database_url: DatabaseURL = None,
) -> None:
    """Send each member their daily digest: overdue commitments, acknowledgements asked of
    them, reports they owe (run it daily, e.g. from cron, after the project's morning)."""
    from datetime import UTC, datetime

    from api.mail.digest import compose, digests, send_digests
    from ledger.domain.wording import LANGUAGES
    from ledger.interchange.mailroom import Relay
    from projections.asof import LiveViews
    from projections.runner import ProjectionRunner

    if language not in LANGUAGES:
        err.print(f"[red]error:[/red] --language: give one of {', '.join(LANGUAGES)}")
        raise typer.Exit(2)
    lang: Language = "zh-Hans" if language == "zh-Hans" else "en"
    relay = None
    if not dry_run:
        try:
            relay = Relay.from_environment()
        except ValueError as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from None
        if relay is None:
            err.print("[red]error:[/red] set ACCORD_SMTP_URL to send, or use --dry-run")
            raise typer.Exit(2)
    project_id = project_id_of(project)
    ledger = open_ledger(database_url)
    runner = ProjectionRunner(ledger)
    try:
        runner.catch_up()
        views = LiveViews(runner)
        now = datetime.now(UTC)
        if relay is None:
            found = ledger.get_project(project_id)
            zone = getattr(found, "time_zone", "UTC") or "UTC"
            for d in digests(ledger, views, project_id, now, lang):
                console.print(f"[bold]{d.email}[/bold] ({d.count})")
                console.print(compose(d, found.name, zone, lang))
            return
        for sent in send_digests(ledger, views, project_id, by, relay, now, lang):
            console.print(f"sent to {sent.to}, recorded {sent.interaction_id}")
    except DomainError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    except OSError as e:
        err.print(f"[red]error:[/red] the relay in ACCORD_SMTP_URL: {e.strerror or e}")
        raise typer.Exit(4) from None
    finally:
        runner.close()
        ledger.close()
