"""Web sessions: a person signs in once with an API token and gets a session cookie.

The cookie holds a random session key (256 bits); only its SHA-256 digest is stored (table
``web_sessions``), with the person's email, the id of the token they signed in with (a revoked
token ends its sessions) and the session's CSRF token, which every form sends back. Sessions
last :data:`SESSION_HOURS` hours; signing out deletes the row.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.tokens import digest
from ledger.storage.sql import SqlDatabase

SESSION_COOKIE = "accord_session"
SESSION_HOURS = 12

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS web_sessions (
        session_hash TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        token_id TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
)


@dataclass(frozen=True)
class Session:
    email: str
    token_id: str
    csrf: str


class SessionStore:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self, email: str, token_id: str) -> tuple[str, Session]:
        """A new session for ``email``: the cookie's value (shown once) and the session."""
        key = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM web_sessions WHERE expires_at < ?", (now.isoformat(),)
            )  # expired sessions of anyone, while we are here
            tx.execute(
                "INSERT INTO web_sessions (session_hash, email, token_id, csrf, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    digest(key),
                    email,
                    token_id,
                    csrf,
                    now.isoformat(),
                    (now + timedelta(hours=SESSION_HOURS)).isoformat(),
                ),
            )
        return key, Session(email, token_id, csrf)

    def get(self, key: str | None) -> Session | None:
        """The live session of the cookie ``key`` (``None``: unknown, expired or its token
        revoked)."""
        if not key or len(key) > 100:
            return None
        wanted = digest(key)
        rows = self.db.query(
            "SELECT s.session_hash, s.email, s.token_id, s.csrf FROM web_sessions s "
            "JOIN api_tokens t ON t.token_id = s.token_id "
            "WHERE s.session_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL",
            (wanted, datetime.now(UTC).isoformat()),
        )
        if not rows or not hmac.compare_digest(str(rows[0][0]), wanted):
            return None
        _, email, token_id, csrf = rows[0]
        return Session(str(email), str(token_id), str(csrf))

    def delete(self, key: str | None) -> None:
        if not key:
            return
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM web_sessions WHERE session_hash = ?", (digest(key),))
