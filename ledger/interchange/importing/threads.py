"""Replies recorded before the message they answer, waiting for it across import runs.

An email names its thread in its headers (``In-Reply-To``, ``References``); the interaction it
becomes names only the one link that could be made when it was recorded (``in_reply_to``: the
parent, an earlier ancestor, or none). When a later import brings the parent, the importer must
find the replies that named it without reading every original again. This table remembers, for
each reply recorded without its parent, the interactions its headers name — the thread chain,
nearest first — and how far each is from it (0: the parent, 1: the grandparent...):

    import_thread_waits(ancestor_id, reply_id, distance, project_id)

keyed by ``(ancestor_id, reply_id)`` and indexed by ``reply_id``. Ids are those the ancestors
will have (:func:`~ledger.domain.interaction.interaction_id_for_source` of their Message-IDs), so a
batch of new messages asks one ``IN (...)`` query which stored replies wait for any of them.

The rows are the importer's memory, not the ledger's: events are the truth, and a row only
says where to look. What a reply is linked to is always read from the reply itself, so a stale
row (left by an interrupted import, or a message imported twice) can never make a link worse.
The rows are written *before* the events of their batch, like the documents, and durably (an
fsync per batch that has any): a reply in the ledger whose row was lost would never be linked.
Rows of a reply linked to its parent are deleted; the others stay until a nearer ancestor
comes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

from ledger.storage.sql import SqlDatabase

TABLE = "import_thread_waits"

#: Ancestors kept per reply, nearest first (a References header can be very long; a link to an
#: ancestor further up than this is not improved on).
MAX_CHAIN = 100

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " ancestor_id TEXT NOT NULL,"
    " reply_id TEXT NOT NULL,"
    " distance BIGINT NOT NULL,"
    " project_id TEXT NOT NULL,"
    " PRIMARY KEY (ancestor_id, reply_id)"
    ")",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_reply ON {TABLE} (reply_id)",
)

_INSERT = (
    f"INSERT INTO {TABLE} (ancestor_id, reply_id, distance, project_id) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (ancestor_id, reply_id) DO NOTHING"
)

#: How many ids one ``IN (...)`` query asks about.
_CHUNK = 500


class ThreadWaits:
    """The waiting replies, in the ledger's database (SQLite or PostgreSQL)."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        db.ensure_schema(_SCHEMA)

    def wait(self, project_id: UUID, chains: Iterable[tuple[UUID, Sequence[UUID]]]) -> None:
        """Remember each ``(reply, ancestors nearest first)``; what is already known stays."""
        rows = [
            (str(ancestor), str(reply), distance, str(project_id))
            for reply, ancestors in chains
            for distance, ancestor in enumerate(ancestors[:MAX_CHAIN])
        ]
        if rows:
            with self.db.transaction() as tx:
                tx.executemany(_INSERT, rows)

    def waiting_for(self, ancestors: Sequence[UUID]) -> list[tuple[UUID, UUID, int]]:
        """``(ancestor, reply, distance)`` for every reply waiting for one of ``ancestors``."""
        return self._select("ancestor_id", ancestors)

    def chains(self, replies: Sequence[UUID]) -> dict[UUID, dict[UUID, int]]:
        """The remembered ancestors of each of ``replies``, with their distances."""
        found: dict[UUID, dict[UUID, int]] = {}
        for ancestor, reply, distance in self._select("reply_id", replies):
            found.setdefault(reply, {})[ancestor] = distance
        return found

    def forget(self, replies: Sequence[UUID]) -> None:
        """Delete the rows of ``replies`` (linked to their parent: nothing left to wait for)."""
        with self.db.transaction() as tx:
            for start in range(0, len(replies), _CHUNK):
                chunk = [str(r) for r in replies[start : start + _CHUNK]]
                tx.execute(
                    f"DELETE FROM {TABLE} WHERE reply_id IN ({','.join('?' * len(chunk))})", chunk
                )

    def _select(self, key: str, ids: Sequence[UUID]) -> list[tuple[UUID, UUID, int]]:
        """``(ancestor, reply, distance)`` of the rows whose ``key`` is one of ``ids``."""
        rows = self.db.query_in(
            f"SELECT ancestor_id, reply_id, distance FROM {TABLE} WHERE {key} IN ({{marks}})",
            [str(i) for i in ids],
            chunk=_CHUNK,
        )
        return [(UUID(a), UUID(r), int(d)) for a, r, d in rows]


__all__ = ["MAX_CHAIN", "TABLE", "ThreadWaits"]
