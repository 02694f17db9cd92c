"""Bearer tokens: who is calling.

A token is ``acd_`` followed by 43 random URL-safe characters (256 bits). Only its SHA-256
digest is stored (table ``api_tokens``, beside the events, through :class:`SqlDatabase`): a
leaked table does not let anyone in, and because tokens are random a plain digest is enough
(no password stretching is needed for 256-bit secrets). A token belongs to one person (an
email); the person's rights in each project come from the project's membership, never from
the token. ``admin`` tokens may also issue and revoke tokens for other people.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.domain.validation import normalise_email
from ledger.storage.sql import SqlDatabase

TOKEN_PREFIX = "acd_"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_tokens (
        token_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        admin INTEGER NOT NULL,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS api_tokens_email ON api_tokens (email)",
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a person, and whether their token is an admin token."""

    email: str
    admin: bool
    token_id: str


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: str
    email: str
    admin: bool
    label: str
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    email: str
    admin: bool
    label: str
    created_at: datetime
    revoked_at: datetime | None


class TokenNotFoundError(LookupError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self, email: str, *, admin: bool = False, label: str = "") -> IssuedToken:
        """Issue a new token for ``email`` (normalised); the token itself is returned once."""
        email = normalise_email(email)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tok_" + secrets.token_hex(6)
        now = datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO api_tokens (token_hash, token_id, email, admin, label, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (digest(token), token_id, email, int(admin), label[:200], now.isoformat()),
            )
        return IssuedToken(token, token_id, email, admin, label[:200], now)

    def authenticate(self, token: str) -> Principal | None:
        """The person the token belongs to, or ``None`` (unknown, malformed or revoked)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        wanted = digest(token)
        rows = self.db.query(
            "SELECT token_hash, email, admin, token_id FROM api_tokens "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (wanted,),
        )
        if not rows or not hmac.compare_digest(rows[0][0], wanted):
            return None
        _, email, admin, token_id = rows[0]
        return Principal(email=email, admin=bool(admin), token_id=token_id)

    def revoke(self, token_id: str, *, email: str | None = None) -> TokenInfo:
        """Revoke ``token_id`` (only if it belongs to ``email``, when given)."""
        info = self.get(token_id)
        if email is not None and info.email != email:
            raise TokenNotFoundError(token_id)
        if info.revoked_at is None:
            with self.db.transaction() as tx:
                tx.execute(
                    "UPDATE api_tokens SET revoked_at = ? "
                    "WHERE token_id = ? AND revoked_at IS NULL",
                    (datetime.now(UTC).isoformat(), token_id),
                )
        return self.get(token_id)

    def get(self, token_id: str) -> TokenInfo:
        rows = self.db.query(
            "SELECT token_id, email, admin, label, created_at, revoked_at FROM api_tokens "
            "WHERE token_id = ?",
            (token_id,),
        )
        if not rows:
            raise TokenNotFoundError(token_id)
        return _info(rows[0])

    def list(self, email: str | None = None) -> list[TokenInfo]:
        if email is None:
            rows = self.db.query(
                "SELECT token_id, email, admin, label, created_at, revoked_at FROM api_tokens "
                "ORDER BY created_at, token_id"
            )
        else:
            rows = self.db.query(
                "SELECT token_id, email, admin, label, created_at, revoked_at FROM api_tokens "
                "WHERE email = ? ORDER BY created_at, token_id",
                (normalise_email(email),),
            )
        return [_info(row) for row in rows]


def _info(row: tuple[object, ...]) -> TokenInfo:
    token_id, email, admin, label, created_at, revoked_at = row
    return TokenInfo(
        token_id=str(token_id),
        email=str(email),
        admin=bool(admin),
        label=str(label),
        created_at=datetime.fromisoformat(str(created_at)),
        revoked_at=datetime.fromisoformat(str(revoked_at)) if revoked_at else None,
    )
