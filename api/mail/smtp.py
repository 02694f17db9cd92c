"""``accord mail serve``: an SMTP server (aiosmtpd) that records mail sent or Bcc'd to a project's
inbox address. The rules are :class:`ledger.interchange.mailroom.Inbox`'s; this module speaks SMTP.

Replies a sending server understands:

* ``550 5.1.1`` at RCPT for an address that is no project inbox of this ledger;
* ``550 5.7.1`` at RCPT (envelope sender) or at DATA (the ``From:`` header) for a sender who is
  neither a member who may record nor a sender a manager allowed — nothing is stored;
* ``451 4.3.0`` when storage cannot be reached to check: the sender's server retries later;
* ``552`` for a message over the size limit (aiosmtpd's own check);
* ``250`` once the message is in the spool (fsync'd): from then on it cannot be lost; it is
  recorded at once, and a message whose recording failed is retried from the spool.

AUTH (PLAIN/LOGIN, only over TLS unless ``allow_plain_auth``) takes the member's e-mail address
and an Accord API token as the password: a mail client can submit through it, and the
authenticated member is then the one who records.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from api.tokens import TokenStore

if TYPE_CHECKING:
    from api.bootstrap import Services
from ledger.interchange.mailroom import Inbox, MailRefused, sender_of

log = logging.getLogger("accord.mail")

#: The largest message accepted (bytes); larger ones get 552 before they are stored.
DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024
#: How often the spool is swept for messages whose recording failed.
RETRY_SECONDS = 30.0


@dataclass
class _Delivery:
    project_id: UUID
    recorder: str


class InboxHandler:
    """aiosmtpd handler: checks at RCPT, spools and records at DATA."""

    def __init__(self, inbox: Inbox, tokens: TokenStore | None = None) -> None:
        self.inbox = inbox
        self.tokens = tokens
        self._lock = threading.Lock()  # one recording at a time: the importer is not re-entrant

    # -- authentication (optional)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if self.tokens is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace").strip().lower()
        principal = self.tokens.authenticate(auth_data.password.decode("utf-8", "replace"))
        if principal is None or principal.email != login:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=principal.email)

    # -- the envelope

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        sender = _authenticated(session) or envelope.mail_from or ""
        try:
            project_id, recorder = await asyncio.to_thread(self._check, address, sender)
        except MailRefused as refused:
            return f"{refused.code} {refused.message}"
        except Exception:
            log.exception("checking a recipient failed")
            return "451 4.3.0 the ledger's storage cannot be reached now; try again later"
        deliveries: dict[str, _Delivery] = getattr(envelope, "accord_deliveries", {})
        deliveries[address] = _Delivery(project_id, recorder)
        envelope.accord_deliveries = deliveries  # type: ignore[attr-defined]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _check(self, address: str, sender: str) -> tuple[UUID, str]:
        project_id = self.inbox.project_for(address)
        if not sender:
            raise MailRefused(550, "5.7.1 mail with an empty sender is not recorded here")
        return project_id, self.inbox.recorder_for(project_id, sender)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        deliveries: dict[str, _Delivery] = getattr(envelope, "accord_deliveries", {})
        authenticated = _authenticated(session)
        # Like every mail server, note the hop: it also dates a message that has no Date:.
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        trace = (
            f"Received: from {session.host_name or 'unknown'} ([{peer}])\r\n"
            f"\tby accord with {'ESMTPA' if authenticated else 'ESMTP'};"
            f" {format_datetime(datetime.now(UTC))}\r\n"
        )
        raw = trace.encode("ascii", "replace") + raw
        try:
            spooled = await asyncio.to_thread(self._spool, raw, deliveries, authenticated)
        except MailRefused as refused:
            return f"{refused.code} {refused.message}"
        except Exception:
            log.exception("spooling a message failed")
            return "451 4.3.0 the message could not be stored now; try again later"
        for path in spooled:
            try:
                await asyncio.to_thread(self._record, path)
            except Exception:
                log.exception("recording %s failed; it stays in the spool and is retried", path)
        return "250 2.0.0 recorded"

    def _spool(
        self, raw: bytes, deliveries: dict[str, _Delivery], authenticated: str | None
    ) -> list[Path]:
        # The From: header must be allowed too (unless a member authenticated): the envelope
        # sender alone is easy to set to a member's address.
        header_from = sender_of(str(message_from_bytes(raw, policy=policy.compat32)["From"] or ""))
        checked: list[_Delivery] = []
        for address, delivery in deliveries.items():
            if authenticated is None and header_from:
                self.inbox.recorder_for(delivery.project_id, header_from)
            elif authenticated is None:
                raise MailRefused(550, f"5.7.1 <{address}>: the message has no From: address")
            checked.append(delivery)
        seen: set[UUID] = set()
        paths = []
        for delivery in checked:
            if delivery.project_id in seen:
                continue
            seen.add(delivery.project_id)
            paths.append(self.inbox.accept(delivery.project_id, delivery.recorder, raw))
        return paths

    def _record(self, path: Path) -> None:
        with self._lock:
            summary = self.inbox.record(path)
        for result in summary.rejected:
            log.warning("%s was not recorded: %s", path.name, result.reason)

    def retry_spooled(self) -> int:
        with self._lock:
            return len(self.inbox.record_spooled())


def _authenticated(session: Session) -> str | None:
    data = getattr(session, "auth_data", None)
    return data if isinstance(data, str) and getattr(session, "authenticated", False) else None


class MailServer:
    """The SMTP server in a thread of its own (inside ``accord serve`` or alone)."""

    def __init__(
        self,
        inbox: Inbox,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        tokens: TokenStore | None = None,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        allow_plain_auth: bool = False,
    ) -> None:
        self.handler = InboxHandler(inbox, tokens)
        tls_context = None
        if tls_cert is not None:
            tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls_context.load_cert_chain(tls_cert, tls_key)
        self.controller = Controller(
            self.handler,
            hostname=host,
            port=port,
            server_hostname="accord",
            data_size_limit=max_message_bytes,
            tls_context=tls_context,
            require_starttls=False,
            authenticator=self.handler.authenticate if tokens is not None else None,
            auth_required=False,
            auth_require_tls=not allow_plain_auth,
            decode_data=False,
        )
        self._stop = threading.Event()
        self._retry = threading.Thread(target=self._retry_loop, name="mail-spool", daemon=True)

    def start(self) -> None:
        # A message accepted but not recorded before a crash is recorded now.
        self.handler.retry_spooled()
        self.controller.start()
        self._retry.start()

    def stop(self) -> None:
        self._stop.set()
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def _retry_loop(self) -> None:
        while not self._stop.wait(RETRY_SECONDS):
            try:
                self.handler.retry_spooled()
            except Exception:
                log.exception("the spool could not be recorded yet; retrying")


def start_mail_server(services: Services) -> MailServer:
    """The inbox inside ``accord serve`` (``--mail-port``): same ledger, same token store."""
    from pathlib import Path

    settings = services.settings
    inbox = Inbox(services.ledger, Path(settings.mail_spool), documents=services.documents)
    server = MailServer(inbox, host=settings.host, port=settings.mail_port, tokens=services.tokens)
    server.start()
    log.info("the project inbox listens on smtp://%s:%s", settings.host, server.port)
    return server
