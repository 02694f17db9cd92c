"""Safe retries: the answer to a POST sent with an ``Idempotency-Key`` is kept, and a retry with
the same key and the same request gets that answer again without running the command twice.

Keys belong to the person of the token (two people cannot collide) and are kept in the table
``api_idempotency`` beside the events. A request first *claims* its key (one row, inserted or
taken in one transaction); it then runs; a successful (2xx) answer is stored on the row, any
other answer releases the claim — a failed command recorded nothing, so running it again is
safe — except when the write's outcome is unknown (the database went away during the save,
see :mod:`ledger.storage.outcome`): then the claim is kept with the events in doubt
(``api_idempotency_doubts``), and the retry with the same key runs the command against the items
as they were before, so it answers with the first write if that was stored and stores it
otherwise, never twice. While a claim is running, a second request with the same key is told
409 (retry later); a claim whose request died is taken over after ``stale_seconds``. Answers
are replayed for ``ttl_seconds``.

The same key with a different request (method, path or JSON body) is refused (422): a client
that reuses keys by mistake must not get someone else's answer. Creation commands also pass
the key into the ledger (which derives the new item's id from it), so even a retry after the
stored answer expired finds the first item instead of creating a second.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.storage.outcome import PendingWrites
from ledger.storage.resilience import Backoff
from ledger.storage.sql import SqlDatabase

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_idempotency (
        email TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        claimed_at BIGINT NOT NULL,
        status INTEGER,
        headers TEXT,
        body BLOB,
        PRIMARY KEY (email, idempotency_key)
    )""",
    """CREATE TABLE IF NOT EXISTS api_idempotency_doubts (
        email TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        events TEXT NOT NULL,
        PRIMARY KEY (email, idempotency_key)
    )""",
)

MAX_KEY_LENGTH = 255

log = logging.getLogger("accord.api")


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and the JSON body compared as
    data (key order and spacing do not matter)."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        # Not JSON, or nested deeper than orjson writes (the request is refused anyway).
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Outcome:
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    MISMATCH = "mismatch"
    REPLAY = "replay"


@dataclass(frozen=True)
class Claim:
    outcome: str
    answer: StoredAnswer | None = None
    #: For a claim taken over from a request whose write is in doubt: its events.
    doubt: PendingWrites | None = None


class IdempotencyStore:
    def __init__(self, db: SqlDatabase, *, ttl_seconds: int, stale_seconds: int) -> None:
        self.db = db
        self.ttl_ms = ttl_seconds * 1000
        self.stale_ms = stale_seconds * 1000
        self._lock = threading.Lock()
        self._unwritten: list[tuple[str, str, PendingWrites]] = []
        self._abandoned: dict[tuple[str, str], int] = {}
        self._flusher: threading.Thread | None = None

    def claim(self, email: str, key: str, request_fingerprint: str) -> Claim:
        now = _now_ms()
        try:
            return self._claim(email, key, request_fingerprint, now)
        except Exception:
            # The claim may have been committed just before the connection died: this
            # process remembers it, so that the retry of this request may take it over at
            # once rather than hear "still running" from its own dead claim.
            with self._lock:
                self._abandoned[(email, key)] = now
            raise

    def _claim(self, email: str, key: str, request_fingerprint: str, now: int) -> Claim:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO api_idempotency (email, idempotency_key, fingerprint, claimed_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (email, idempotency_key) DO NOTHING",
                (email, key, request_fingerprint, now),
            )
            if tx.rowcount == 1:
                return Claim(Outcome.CLAIMED)
            lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
            tx.execute(
                "SELECT fingerprint, claimed_at, status, headers, body FROM api_idempotency "
                f"WHERE email = ? AND idempotency_key = ?{lock}",
                (email, key),
            )
            row = tx.fetchone()
            assert row is not None
            stored_fingerprint, claimed_at, status, headers, body = row
            expired = claimed_at < now - self.ttl_ms
            stale = status is None and claimed_at < now - self.stale_ms
            with self._lock:
                abandoned = self._abandoned.pop((email, key), None)
            if status is None and abandoned == claimed_at:
                stale = True  # this process's own claim, whose request never ran
            doubt = self._doubt(tx, email, key) if status is None else None
            if doubt is not None and stored_fingerprint != request_fingerprint:
                return Claim(Outcome.MISMATCH)  # a write in doubt is this request's, for ever
            if expired or stale:
                tx.execute(
                    "UPDATE api_idempotency SET fingerprint = ?, claimed_at = ?, status = NULL, "
                    "headers = NULL, body = NULL WHERE email = ? AND idempotency_key = ?",
                    (request_fingerprint, now, email, key),
                )
                return Claim(Outcome.CLAIMED, doubt=doubt)
            if stored_fingerprint != request_fingerprint:
                return Claim(Outcome.MISMATCH)
            if status is None:
                return Claim(Outcome.IN_PROGRESS)
            pairs = [(str(k), str(v)) for k, v in orjson.loads(headers)]
            return Claim(Outcome.REPLAY, StoredAnswer(int(status), pairs, bytes(body)))

    def _doubt(self, tx: Any, email: str, key: str) -> PendingWrites | None:
        tx.execute(
            "SELECT events FROM api_idempotency_doubts WHERE email = ? AND idempotency_key = ?",
            (email, key),
        )
        row = tx.fetchone()
        return PendingWrites.parse(orjson.loads(row[0])) if row is not None else None

    def keep_in_doubt(self, email: str, key: str, pending: PendingWrites) -> None:
        """The request's write may have been stored: keep the key (never released), remember
        the events in doubt, and let a retry take the claim over at once. The database is
        likely away at this moment: what cannot be written now is written by a thread of its
        own as soon as it is back (meanwhile the claim stands, and a retry is told 409 "still
        running"). Never raises."""
        try:
            self._keep_in_doubt(email, key, pending)
        except Exception as e:
            log.warning("Idempotency-Key in doubt kept in memory until the database is back: %s", e)
            with self._lock:
                self._unwritten.append((email, key, pending))
                if self._flusher is None or not self._flusher.is_alive():
                    self._flusher = threading.Thread(
                        target=self._flush, name="accord-idempotency-doubts", daemon=True
                    )
                    self._flusher.start()

    def _flush(self) -> None:
        backoff = Backoff(first=0.2, longest=2.0)
        while True:
            with self._lock:
                if not self._unwritten:
                    self._flusher = None
                    return
                email, key, pending = self._unwritten[0]
            try:
                self._keep_in_doubt(email, key, pending)
            except Exception:
                time.sleep(backoff.next())
                continue
            with self._lock:
                self._unwritten.pop(0)

    def _keep_in_doubt(self, email: str, key: str, pending: PendingWrites) -> None:
        events = orjson.dumps([e.as_list() for e in pending.events]).decode()
        with self.db.transaction() as tx:
            if pending.events:
                tx.execute(
                    "INSERT INTO api_idempotency_doubts (email, idempotency_key, events) "
                    "VALUES (?, ?, ?) ON CONFLICT (email, idempotency_key) "
                    "DO UPDATE SET events = excluded.events",
                    (email, key, events),
                )
            tx.execute(
                "UPDATE api_idempotency SET claimed_at = ? "
                "WHERE email = ? AND idempotency_key = ? AND status IS NULL",
                (_now_ms() - self.stale_ms - 1, email, key),
            )

    def settle(self, email: str, key: str) -> None:
        """The write in doubt under this key is known now (stored, or not): forget the doubt."""
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM api_idempotency_doubts WHERE email = ? AND idempotency_key = ?",
                (email, key),
            )

    def complete(self, email: str, key: str, answer: StoredAnswer) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM api_idempotency_doubts WHERE email = ? AND idempotency_key = ?",
                (email, key),
            )
            tx.execute(
                "UPDATE api_idempotency SET status = ?, headers = ?, body = ? "
                "WHERE email = ? AND idempotency_key = ?",
                (answer.status, orjson.dumps(answer.headers).decode(), answer.body, email, key),
            )

    def release(self, email: str, key: str) -> None:
        """Forget a claim whose request stored nothing — unless a write of this key is in
        doubt: that claim stays (the retry resolves it)."""
        with self.db.transaction() as tx:
            if self._doubt(tx, email, key) is not None:
                return
            tx.execute(
                "DELETE FROM api_idempotency "
                "WHERE email = ? AND idempotency_key = ? AND status IS NULL",
                (email, key),
            )


def _now_ms() -> int:
    return int(time.time() * 1000)
