"""Acknowledgement links: one person's key to answer one acknowledgement request, by a link.

A link is ``/ack/<token>``, the token ``<link id>.<signature>``: the signature is an HMAC-SHA256,
under a secret kept in the database (table ``web_secrets``, made on first use), of the link id,
the project, the request, the person and the expiry. So a token cannot be forged or altered,
and the row of ``web_ack_links`` says whether it was revoked. The link opens the subject and lets
its person — and nobody else, it names one — acknowledge or dispute it without an account: the
link is their credential, and the event's actor is that person.

A link expires (default: :data:`DEFAULT_DAYS` days after it was made) and can be revoked by a
team manager from the subject's page. The signature being computable from the row, a manager can
copy a link again later; it is never stored nor logged by us.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from ledger.storage.sql import SqlDatabase

DEFAULT_DAYS = 30
SECRET_NAME = "ack_links"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS web_secrets (
        name TEXT PRIMARY KEY,
        secret TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS web_ack_links (
        link_id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        email TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS web_ack_links_request ON web_ack_links (project_id, request_id)",
)

_COLUMNS = "link_id, project_id, request_id, email, created_by, created_at, expires_at, revoked_at"


@dataclass(frozen=True)
class AckLink:
    link_id: str
    project_id: UUID
    request_id: UUID
    email: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None and self.expires_at > datetime.now(UTC)


class AckLinkStore:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        self._secret: bytes | None = None

    # -------------------------------------------------------------------- the secret

    def _key(self) -> bytes:
        if self._secret is None:
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO web_secrets (name, secret) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (SECRET_NAME, secrets.token_urlsafe(48)),
                )
            rows = self.db.query("SELECT secret FROM web_secrets WHERE name = ?", (SECRET_NAME,))
            self._secret = str(rows[0][0]).encode()
        return self._secret

    def _signature(self, link: AckLink) -> str:
        message = "|".join(
            (
                link.link_id,
                str(link.project_id),
                str(link.request_id),
                link.email,
                link.expires_at.isoformat(),
            )
        ).encode()
        mac = hmac.new(self._key(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def token(self, link: AckLink) -> str:
        """The link's token, for its URL ``/ack/<token>``."""
        return f"{link.link_id}.{self._signature(link)}"

    def form_key(self, link: AckLink) -> str:
        """The anti-forgery value of the link's form (bound to the link, not the token)."""
        mac = hmac.new(self._key(), f"form|{link.link_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    # ------------------------------------------------------------------------ links

    def create(
        self,
        project_id: UUID,
        request_id: UUID,
        email: str,
        *,
        created_by: str,
        expires_at: datetime | None = None,
    ) -> AckLink:
        now = datetime.now(UTC).replace(microsecond=0)
        link = AckLink(
            link_id="ack_" + secrets.token_hex(8),
            project_id=project_id,
            request_id=request_id,
            email=email,
            created_by=created_by,
            created_at=now,
            expires_at=(expires_at or now + timedelta(days=DEFAULT_DAYS)).astimezone(UTC),
            revoked_at=None,
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO web_ack_links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    link.link_id,
                    str(project_id),
                    str(request_id),
                    email,
                    created_by,
                    now.isoformat(),
                    link.expires_at.isoformat(),
                ),
            )
        return link

    def open(self, token: str) -> AckLink | None:
        """The live link whose token this is, else ``None`` (forged, altered, revoked,
        expired or unknown: the page does not say which)."""
        link_id, _, signature = token.partition(".")
        if not link_id.startswith("ack_") or len(token) > 200 or not signature:
            return None
        link = self.get(link_id)
        if link is None or not hmac.compare_digest(signature, self._signature(link)):
            return None
        return link if link.live else None

    def get(self, link_id: str) -> AckLink | None:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM web_ack_links WHERE link_id = ?", (link_id,))
        return _link(rows[0]) if rows else None

    def for_requests(self, project_id: UUID, request_ids: list[UUID]) -> dict[UUID, AckLink]:
        """The newest live link of each request."""
        if not request_ids:
            return {}
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM web_ack_links WHERE project_id = ? "
            "AND revoked_at IS NULL ORDER BY created_at",
            (str(project_id),),
        )
        wanted = set(request_ids)
        found: dict[UUID, AckLink] = {}
        for row in rows:
            link = _link(row)
            if link.request_id in wanted and link.live:
                found[link.request_id] = link
        return found

    def revoke(self, project_id: UUID, link_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE web_ack_links SET revoked_at = ? "
                "WHERE link_id = ? AND project_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), link_id, str(project_id)),
            )


def _link(row: tuple[object, ...]) -> AckLink:
    link_id, project_id, request_id, email, created_by, created_at, expires_at, revoked_at = row
    return AckLink(
        link_id=str(link_id),
        project_id=UUID(str(project_id)),
        request_id=UUID(str(request_id)),
        email=str(email),
        created_by=str(created_by),
        created_at=datetime.fromisoformat(str(created_at)),
        expires_at=datetime.fromisoformat(str(expires_at)),
        revoked_at=datetime.fromisoformat(str(revoked_at)) if revoked_at else None,
    )
