"""Mail as it happens: the project's inbox address, recording what reaches it, pulling a mailbox
over IMAP, and sending circulations through a relay. See docs/mail.md.

Everything received goes through the same pipeline as an mbox import
(:func:`ledger.interchange.importing.import_emails`): originals kept byte for byte, threads,
duplicates and variants. The protocol servers (SMTP, the IMAP client loop) live in ``api``;
this module holds the rules they follow.

* :func:`inbox_address` — ``<project-slug>+<short id>@<ACCORD_MAIL_DOMAIN>``; the short id is the
  first 12 hex digits of the project's id, so an address names one project.
* :class:`Inbox` — who may send to a project (a member's address, or a sender a manager allowed),
  and recording with a spool: a message is written to disk (fsync) before the SMTP server says
  250, recorded, then deleted; a crash between the two leaves it in the spool, recorded at the
  next start. Recording twice is harmless (the import dedupes by Message-ID and bytes).
* :class:`PullState` — per mailbox and folder, the UIDVALIDITY and the last UID recorded, so a
  restarted pull neither records twice nor skips.
* :class:`Outbox` — sends a circulation (minutes, a report, a decision) to each recipient with
  their acknowledgement instructions, and records every message sent as an interaction.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit
from uuid import UUID

from ledger.domain.errors import DomainError
from ledger.domain.project import Project
from ledger.domain.validation import normalise_email
from ledger.interchange.importing import EmailImportSummary, Messages, import_emails
from ledger.storage.documents import DocumentStore
from ledger.storage.sql import SqlDatabase

if TYPE_CHECKING:
    from ledger.service.application import Ledger

MAIL_DOMAIN_VARIABLE = "ACCORD_MAIL_DOMAIN"
DEFAULT_MAIL_DOMAIN = "accord.localhost"
SMTP_URL_VARIABLE = "ACCORD_SMTP_URL"
#: Characters of the project id's hex in an inbox address.
SHORT_ID_LENGTH = 12

_LOCAL_PART = re.compile(rf"^(?P<slug>[a-z0-9-]*)\+(?P<short>[0-9a-f]{{{SHORT_ID_LENGTH}}})$")


def mail_domain() -> str:
    return os.environ.get(MAIL_DOMAIN_VARIABLE, "").strip().lower() or DEFAULT_MAIL_DOMAIN


def slug(name: str) -> str:
    """``"Website Redesign 2027"`` -> ``"website-redesign-2027"`` (ASCII, at most 40 chars)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return text[:40].rstrip("-") or "project"


def inbox_address(project_id: UUID, name: str, domain: str | None = None) -> str:
    """The address that records mail in this project (Bcc it, or send to it)."""
    return f"{slug(name)}+{project_id.hex[:SHORT_ID_LENGTH]}@{domain or mail_domain()}"


def short_id_of(address: str, domain: str | None = None) -> str | None:
    """The short project id an inbox address names, or ``None`` when it is not one of ours."""
    local, _, host = address.strip().strip("<>").lower().rpartition("@")
    if host != (domain or mail_domain()):
        return None
    found = _LOCAL_PART.match(local)
    return found["short"] if found else None


class MailRefused(Exception):
    """A message that will not be recorded; ``code`` is the SMTP reply code to give."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------------------ inbound


class Inbox:
    """Receives mail for every project of one ledger."""

    def __init__(
        self,
        ledger: Ledger,
        spool: Path,
        *,
        domain: str | None = None,
        documents: DocumentStore | None = None,
    ) -> None:
        self.ledger = ledger
        self.domain = domain or mail_domain()
        self.spool = spool
        self.spool.mkdir(parents=True, exist_ok=True)
        self._own_documents = documents is None
        self.documents = documents or DocumentStore(ledger.storage)
        self._projects: dict[str, UUID] = {}

    def close(self) -> None:
        if self._own_documents:
            self.documents.close()

    # -- who may send

    def project_for(self, recipient: str) -> UUID:
        """The project an inbox address belongs to, or :class:`MailRefused` (550)."""
        short = short_id_of(recipient, self.domain)
        if short is None:
            raise MailRefused(550, f"5.1.1 <{recipient}>: not a project inbox of this ledger")
        project_id = self._projects.get(short)
        if project_id is None:
            self._projects = {p.hex[:SHORT_ID_LENGTH]: p for p in self.ledger.project_ids()}
            project_id = self._projects.get(short)
        if project_id is None:
            raise MailRefused(550, f"5.1.1 <{recipient}>: no such project inbox")
        return project_id

    def recorder_for(self, project_id: UUID, sender: str) -> str:
        """Who records mail from ``sender`` in the project: the sender when a member who may
        record; for a sender a manager allowed, the manager who allowed them (the event of
        their choice is on record). Otherwise :class:`MailRefused` (550)."""
        try:
            email = normalise_email(sender, "sender")
        except DomainError:
            raise MailRefused(550, f"5.1.7 <{sender}>: not a usable sender address") from None
        project = self.ledger.get_project(project_id)
        if project.closed:
            raise MailRefused(550, "5.7.1 this project is closed: nothing more is recorded")
        member = project.members.get(email)
        if member is not None and member.role.may_record:
            return email
        if email in project.allowed_mail_senders:
            allowed_by = self.ledger.mail_sender_allowed_by(project_id, email)
            if allowed_by is not None and allowed_by in project.members:
                return allowed_by
        raise MailRefused(
            550,
            f"5.7.1 <{email}> may not record in this project: only its members and senders a "
            "manager allowed",
        )

    # -- recording, spool first

    def accept(self, project_id: UUID, recorder: str, raw: bytes) -> Path:
        """Write the message to the spool (durably) before it is acknowledged."""
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}"
        final = self.spool / f"{name}.{project_id.hex}.{_safe(recorder)}.eml"
        partial = self.spool / f".{name}.tmp"
        with partial.open("wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        partial.rename(final)
        _fsync_dir(self.spool)
        return final

    def record(self, spooled: Path) -> EmailImportSummary:
        """Record one spooled message, then remove it from the spool. Storage errors leave it
        where it is (the next :meth:`record_spooled` tries again)."""
        project_hex, recorder = spooled.name.split(".")[1:3]
        summary = import_emails(
            self.ledger,
            UUID(project_hex),
            unquote(recorder),
            Messages([(f"smtp:{spooled.name}", spooled.read_bytes())]),
            documents=self.documents,
        )
        spooled.unlink()
        return summary

    def record_spooled(self) -> list[EmailImportSummary]:
        """Record what a previous run accepted but did not record (oldest first)."""
        return [self.record(p) for p in sorted(self.spool.glob("*.eml"))]


def _safe(email: str) -> str:
    return email.replace("%", "%25").replace(".", "%2E").replace("/", "%2F")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------ IMAP state

PULL_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS mail_pull_state (
        mailbox TEXT NOT NULL,
        project_id TEXT NOT NULL,
        uidvalidity BIGINT NOT NULL,
        last_uid BIGINT NOT NULL,
        PRIMARY KEY (mailbox, project_id)
    )""",
)


@dataclass(frozen=True)
class Mailbox:
    """``imap://user@host:port/Folder`` or ``imaps://...``; the password comes from elsewhere."""

    secure: bool
    host: str
    port: int
    user: str
    folder: str

    @classmethod
    def parse(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError(f"{url!r}: give imap://user@host/Folder or imaps://user@host/Folder")
        if not parts.hostname or not parts.username:
            raise ValueError(f"{url!r}: the user and the host are both needed")
        if parts.password:
            raise ValueError(
                "do not put the password in the URL (it would show in process lists and logs): "
                "use --password-file or ACCORD_IMAP_PASSWORD"
            )
        secure = parts.scheme == "imaps"
        return cls(
            secure=secure,
            host=parts.hostname,
            port=parts.port or (993 if secure else 143),
            user=unquote(parts.username),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )

    @property
    def key(self) -> str:
        """The mailbox's name in the pull state (no password, ever)."""
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


class PullState:
    """Where a pull of one mailbox into one project stands."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        db.ensure_schema(PULL_SCHEMA)

    def get(self, mailbox: str, project_id: UUID) -> tuple[int, int] | None:
        rows = self.db.query(
            "SELECT uidvalidity, last_uid FROM mail_pull_state "
            "WHERE mailbox = ? AND project_id = ?",
            (mailbox, str(project_id)),
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def set(self, mailbox: str, project_id: UUID, uidvalidity: int, last_uid: int) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO mail_pull_state (mailbox, project_id, uidvalidity, last_uid) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (mailbox, project_id) DO UPDATE SET "
                "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
                (mailbox, str(project_id), uidvalidity, last_uid),
            )


# ------------------------------------------------------------------------------ outbound


@dataclass(frozen=True)
class Relay:
    """``smtp://user:password@host:port`` (STARTTLS when offered) or ``smtps://...``."""

    secure: bool
    host: str
    port: int
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> Relay:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"{SMTP_URL_VARIABLE}: give smtp://host:port or smtps://host:port")
        if not parts.hostname:
            raise ValueError(f"{SMTP_URL_VARIABLE}: the host is missing")
        secure = parts.scheme == "smtps"
        return cls(
            secure=secure,
            host=parts.hostname,
            port=parts.port or (465 if secure else 25),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @classmethod
    def from_environment(cls) -> Relay | None:
        url = os.environ.get(SMTP_URL_VARIABLE, "").strip()
        return cls.parse(url) if url else None

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.secure:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=30)
        with client:
            if not self.secure:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
            if self.user and self.password:
                client.login(self.user, self.password)
            client.send_message(message)


@dataclass
class Sent:
    """One message sent and its record in the ledger."""

    to: str
    message_id: str
    interaction_id: UUID | None


@dataclass
class Circulation:
    """What to send: one document to several people, each with their own instructions."""

    project_id: UUID
    subject: str
    text: str
    #: recipient email -> what they should do (their acknowledgement link or the API call)
    instructions: dict[str, str] = field(default_factory=dict)


class Outbox:
    """Sends through the relay and records each message sent as an interaction of the sender
    (the person who circulated), with its Message-ID, so replies thread back to it."""

    def __init__(self, ledger: Ledger, relay: Relay, *, domain: str | None = None) -> None:
        self.ledger = ledger
        self.relay = relay
        self.domain = domain or mail_domain()

    def circulate(self, actor: str, circulation: Circulation) -> list[Sent]:
        project = self.ledger.get_project(circulation.project_id)
        sender = project.require_member(normalise_email(actor))
        inbox = inbox_address(project.id, project.name, self.domain)
        sent: list[Sent] = []
        for email, instructions in circulation.instructions.items():
            person = project.members.get(email)
            message = EmailMessage()
            message["From"] = f"{sender.name} <{sender.email}>"
            message["To"] = f"{person.name} <{email}>" if person else email
            message["Bcc"] = inbox  # the project's own copy
            message["Reply-To"] = f"{sender.name} <{sender.email}>"
            message["Subject"] = circulation.subject
            message["Date"] = format_datetime(datetime.now(UTC))
            message_id = make_msgid(domain=self.domain)
            message["Message-ID"] = message_id
            message.set_content(f"{circulation.text}\n\n{instructions}\n")
            self.relay.send(message)
            recorded = self._record(actor, project, message)
            sent.append(Sent(to=email, message_id=message_id, interaction_id=recorded))
        return sent

    def _record(self, actor: str, project: Project, message: EmailMessage) -> UUID | None:
        """Record what was sent as an email interaction (the original kept)."""
        del message["Bcc"]
        summary = import_emails(
            self.ledger,
            project.id,
            actor,
            Messages([("sent", bytes(message))]),
        )
        result = summary.results[0] if summary.results else None
        return result.interaction_id if result else None


def sender_of(header_value: str) -> str:
    return parseaddr(header_value)[1].lower()


# ------------------------------------------------------------------------------ IMAP pull


@dataclass
class PullResult:
    """One pass over a mailbox folder."""

    fetched: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    last_uid: int = 0
    uidvalidity: int = 0
    reset: bool = False  # the folder's UIDVALIDITY changed: read again from the start


def pull_once(
    ledger: Ledger,
    mailbox: Mailbox,
    password: str,
    project_id: UUID,
    actor: str,
    state: PullState,
    *,
    batch: int = 100,
    timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
) -> PullResult:
    """Record the messages of ``mailbox`` that arrived since the last pass, in UID order.

    The state moves after each batch is recorded, so a kill between the two re-reads at most
    one batch, which the import recognises (same Message-ID and bytes: a duplicate)."""
    import imaplib

    client: imaplib.IMAP4
    if mailbox.secure:
        client = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl_context, timeout=timeout
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
    result = PullResult()
    try:
        client.login(mailbox.user, password)
        typ, data = client.select(_quote(mailbox.folder), readonly=True)
        if typ != "OK":
            raise ValueError(f"{mailbox.key}: cannot open the folder ({_text(data)})")
        uidvalidity = int(_response(client, "UIDVALIDITY") or 0)
        known = state.get(mailbox.key, project_id)
        last_uid = 0
        if known is not None:
            if known[0] == uidvalidity:
                last_uid = known[1]
            else:
                result.reset = True
        result.uidvalidity = uidvalidity
        typ, data = client.uid("SEARCH", f"UID {last_uid + 1}:*")
        uids = sorted(int(u) for u in _text(data).split() if int(u) > last_uid)
        documents = DocumentStore(ledger.storage)
        try:
            for start in range(0, len(uids), batch):
                chunk = uids[start : start + batch]
                messages = []
                for uid in chunk:
                    typ, fetched = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
                    raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
                    if typ == "OK" and raw is not None:
                        messages.append((f"{mailbox.key};UID={uid}", bytes(raw)))
                summary = import_emails(
                    ledger, project_id, actor, Messages(messages), documents=documents
                )
                result.fetched += len(messages)
                result.imported += summary.imported
                result.duplicates += summary.duplicates
                result.rejected += len(summary.rejected)
                state.set(mailbox.key, project_id, uidvalidity, chunk[-1])
                result.last_uid = chunk[-1]
        finally:
            documents.close()
        if not uids:
            result.last_uid = last_uid
            if known is None or result.reset:
                state.set(mailbox.key, project_id, uidvalidity, last_uid)
    finally:
        with contextlib.suppress(Exception):  # the connection is gone already
            client.logout()
    return result


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: object) -> str:
    if isinstance(data, list):
        return " ".join(_text(d) for d in data if d is not None)
    if isinstance(data, bytes):
        return data.decode("ascii", "replace")
    return str(data)


def _response(client: object, code: str) -> str | None:
    _typ, data = client.response(code)  # type: ignore[attr-defined]
    return _text(data) if data and data[0] is not None else None


# ------------------------------------------------------------------------------ circulations

#: How a recipient acknowledges when no personal link is given: the HTTP API with their token.
API_INSTRUCTIONS = (
    "To acknowledge these minutes, or to dispute them with your correction, use Accord with your "
    "own token (the acknowledgement must be yours):\n"
    "  POST {base}/v1/projects/{project}/acknowledgement-requests/{request}/acknowledge\n"
    "  POST {base}/v1/projects/{project}/acknowledgement-requests/{request}/dispute\n"
    "Request id: {request}"
)


def minutes_circulation(
    ledger: Ledger,
    project_id: UUID,
    meeting_id: UUID,
    *,
    base_url: str = "http://127.0.0.1:8000",
    link_for: Callable[[UUID, str], str] | None = None,
) -> Circulation:
    """The mail of the meeting's current minutes to everyone they were circulated to: the
    minutes as text, and for each recipient their personal link (``link_for(request_id,
    email)``) or, without one, how to acknowledge through the API."""
    from ledger.domain.acknowledgement import acknowledgement_request_id

    meeting = ledger.get_meeting(project_id, meeting_id)
    if meeting.minutes_version is None or not meeting.circulated_to:
        raise ValueError("these minutes have not been circulated yet")
    lines = [f"Minutes: {meeting.title}", ""]
    for heading, items in (
        ("Attendees", meeting.attendees),
        ("Discussion", meeting.discussion_points),
        ("Decisions", meeting.decisions),
    ):
        if items:
            lines += [f"{heading}:", *(f"  - {item}" for item in items), ""]
    if meeting.action_items:
        lines.append("Action items:")
        for item in meeting.action_items:
            due = f" (due {item.due_at:%Y-%m-%d})" if item.due_at else ""
            lines.append(f"  - {item.owner}: {item.description}{due}")
    instructions = {}
    for email in meeting.circulated_to:
        request = acknowledgement_request_id(meeting.id, meeting.minutes_version, email)
        instructions[email] = (
            f"Your personal link to acknowledge or dispute: {link_for(request, email)}"
            if link_for is not None
            else API_INSTRUCTIONS.format(
                base=base_url.rstrip("/"), project=project_id, request=request
            )
        )
    return Circulation(
        project_id=project_id,
        subject=f"Please confirm: minutes of {meeting.title}",
        text="\n".join(lines),
        instructions=instructions,
    )
