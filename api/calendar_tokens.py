"""Calendar tokens: read-only, revocable keys to one person's calendar feed of one project.

Calendar apps subscribe to a URL and cannot send an ``Authorization`` header, so the feed's key
travels in the URL (``/v1/projects/{id}/calendar.ics?token=acal_...``). A calendar token
therefore opens nothing else: it is not a bearer token, it names one person in one project, and
the only thing it reads is that person's feed. Its holder learns the person's due dates and the
project's milestones — what a calendar shows — and can be cut off by revoking the token without
touching the person's bearer tokens.

As with bearer tokens, only the SHA-256 digest of a calendar token is stored. The person must
still be a member of the project each time the feed is read: removing someone from a project
stops their feed whatever tokens they hold.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from api.tokens import TokenNotFoundError, digest
from ledger.domain.validation import normalise_email
from ledger.storage.sql import SqlDatabase

CALENDAR_TOKEN_PREFIX = "acal_"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_calendar_tokens (
        token_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL,
        email TEXT NOT NULL,
        label TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS api_calendar_tokens_person "
    "ON api_calendar_tokens (project_id, email)",
)

_COLUMNS = "token_id, project_id, email, label, created_by, created_at, revoked_at"


@dataclass(frozen=True)
class CalendarToken:
    """What is known of a calendar token (never the token itself, which is shown once)."""

    token_id: str
    project_id: UUID
    email: str
    label: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedCalendarToken:
    token: str  # shown once, never stored
    info: CalendarToken


def calendar_url(base_url: str, project_id: UUID, token: str) -> str:
    """The feed's URL, to subscribe to in a calendar app."""
    return f"{base_url.rstrip('/')}/v1/projects/{project_id}/calendar.ics?token={token}"


class CalendarTokenStore:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(
        self, project_id: UUID, email: str, *, created_by: str, label: str = ""
    ) -> IssuedCalendarToken:
        """Issue a calendar token for ``email``'s feed of ``project_id``."""
        email = normalise_email(email)
        token = CALENDAR_TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "cal_" + secrets.token_hex(6)
        now = datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO api_calendar_tokens (token_hash, token_id, project_id, email, "
                "label, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    digest(token),
                    token_id,
                    str(project_id),
                    email,
                    label[:200],
                    created_by,
                    now.isoformat(),
                ),
            )
        info = CalendarToken(token_id, project_id, email, label[:200], created_by, now, None)
        return IssuedCalendarToken(token, info)

    def authenticate(self, token: str, project_id: UUID) -> CalendarToken | None:
        """The live token ``token`` if it opens ``project_id``'s feed, else ``None``."""
        if not token.startswith(CALENDAR_TOKEN_PREFIX) or len(token) > 200:
            return None
        wanted = digest(token)
        rows = self.db.query(
            f"SELECT token_hash, {_COLUMNS} FROM api_calendar_tokens "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (wanted,),
        )
        if not rows or not hmac.compare_digest(str(rows[0][0]), wanted):
            return None
        found = _info(rows[0][1:])
        return found if found.project_id == project_id else None

    def get(self, token_id: str, project_id: UUID) -> CalendarToken:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM api_calendar_tokens WHERE token_id = ? AND project_id = ?",
            (token_id, str(project_id)),
        )
        if not rows:
            raise TokenNotFoundError(token_id)
        return _info(rows[0])

    def list(self, project_id: UUID, email: str | None = None) -> list[CalendarToken]:
        """The project's calendar tokens (of ``email`` only, when given), oldest first."""
        where, params = "project_id = ?", [str(project_id)]
        if email is not None:
            where += " AND email = ?"
            params.append(normalise_email(email))
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM api_calendar_tokens WHERE {where} "
            "ORDER BY created_at, token_id",
            params,
        )
        return [_info(row) for row in rows]

    def revoke(self, token_id: str, project_id: UUID) -> CalendarToken:
        """Revoke ``token_id`` (revoking a revoked token changes nothing)."""
        self.get(token_id, project_id)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE api_calendar_tokens SET revoked_at = ? "
                "WHERE token_id = ? AND project_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), token_id, str(project_id)),
            )
        return self.get(token_id, project_id)


def _info(row: tuple[object, ...]) -> CalendarToken:
    token_id, project_id, email, label, created_by, created_at, revoked_at = row
    return CalendarToken(
        token_id=str(token_id),
        project_id=UUID(str(project_id)),
        email=str(email),
        label=str(label),
        created_by=str(created_by),
        created_at=datetime.fromisoformat(str(created_at)),
        revoked_at=datetime.fromisoformat(str(revoked_at)) if revoked_at else None,
    )
