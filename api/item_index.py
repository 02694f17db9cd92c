"""A small index of the ledger for the API's lists: which items each project has, of which
kind, in the order they were created; who is a member of which project; which documents the
project's items reference.

The lists and the event feed need "the items of kind K in project P" and "the projects of
person X", which the event store cannot answer (it is keyed by item). Rather than make the
API write a second record beside each command (which would miss items created as a side effect —
commitments from minutes, issues from risks — and could drift), the index is *derived from the
notification log*: it reads, in position order, only the creation events and the membership
events, and writes its rows and its tracking position in one transaction. Replaying the same
notifications changes nothing (rows are keyed by item id; the tracking row only moves forward,
compare-and-set under a lock), so it is exactly-once, and it can be rebuilt from position zero
at any time by deleting its tables. It also knows which documents (by digest) each project's
items reference, so that a member may download exactly those originals.

It is brought up to date on demand (:meth:`ItemIndex.catch_up`, called by the list endpoints
before they read), so a client reads its own writes without a background worker. The richer
read models (open items, audit trail...) are the projections' job, not this index's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from ledger.domain.catalogue import AGGREGATES, event_classes_of
from ledger.domain.envelope import LedgerAggregate
from ledger.domain.interaction import Interaction
from ledger.domain.project import Project
from ledger.storage.documents import HOLDERS
from ledger.storage.eventlog import EventLog
from ledger.storage.sql import SqlDatabase, Transaction

#: The tracking row's name; a new name (a new layout of the index) re-reads the log from zero,
#: which rewrites the same rows and fills the new tables.
TRACKING_NAME = "api_item_index:3"
BATCH = 1_000

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_items (
        item_id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        position BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS api_items_list ON api_items (project_id, kind, position)",
    """CREATE TABLE IF NOT EXISTS api_members (
        project_id TEXT NOT NULL,
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (project_id, email)
    )""",
    "CREATE INDEX IF NOT EXISTS api_members_email ON api_members (email)",
    """CREATE TABLE IF NOT EXISTS api_documents (
        project_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        item_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (project_id, sha256)
    )""",
    """CREATE TABLE IF NOT EXISTS api_index_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL
    )""",
    f"INSERT INTO api_index_tracking (name, position) VALUES ('{TRACKING_NAME}', 0) "
    "ON CONFLICT (name) DO NOTHING",
)


def kind_of(aggregate: type[LedgerAggregate]) -> str:
    """``ChangeRequest`` → ``change_request``."""
    name = aggregate.__name__
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


#: The topic of each aggregate's creation event → the kind of item it creates.
CREATED_TOPICS: dict[str, str] = {
    get_topic(event): kind_of(aggregate)
    for aggregate in AGGREGATES
    for event in event_classes_of(aggregate)
    if issubclass(event, LedgerAggregate.Created)
}
#: Events that add a document to an item after its creation: another copy of an email.
DOCUMENT_TOPICS = {get_topic(Interaction.VariantRecorded)}
MEMBER_TOPICS = {
    get_topic(Project.MemberAdded): "added",
    get_topic(Project.MemberRoleChanged): "role",
    get_topic(Project.MemberRemoved): "removed",
}
KINDS = frozenset(CREATED_TOPICS.values())


def documents_of(event: Any) -> list[str]:
    """The digests of the documents a creation event references: an interaction's body and
    attachments (imported emails, minutes), an item's source."""
    found = [getattr(event, "body_sha256", None)]
    found += [a.sha256 for a in getattr(event, "attachments", ())]
    source = getattr(event, "source", None)
    found.append(getattr(source, "sha256", None))
    return [d for d in dict.fromkeys(found) if isinstance(d, str)]


@dataclass(frozen=True)
class IndexedItem:
    item_id: UUID
    position: int


class ItemIndex:
    def __init__(self, db: SqlDatabase, log: EventLog, mapper: Mapper[UUID]):
        self.db = db
        self.log = log
        self.mapper = mapper
        self.topics = (*CREATED_TOPICS, *MEMBER_TOPICS, *DOCUMENT_TOPICS)
        self._lock = threading.Lock()
        self._known = -1  # the position this process last saw the index reach

    # ------------------------------------------------------------------------ catching up

    def catch_up(self) -> int:
        """Bring the index up to the latest notification; returns the position reached."""
        top = self.log.head()
        if top <= self._known:
            return self._known
        with self._lock:
            while True:
                reached = self._step()
                self._known = max(self._known, reached)
                if reached >= top:
                    return reached

    def _step(self) -> int:
        with self.db.transaction() as tx:
            lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
            tx.execute(
                f"SELECT position FROM api_index_tracking WHERE name = ?{lock}", (TRACKING_NAME,)
            )
            row = tx.fetchone()
            position = int(row[0]) if row else 0
            # Read the top first: every notification at or below it is committed (the
            # recorders number notifications in commit order), so once the batch below has
            # been read the index may claim everything up to it.
            top = self.log.head()
            if top <= position:
                return position
            batch = self.log.after(position, BATCH, stop=top, topics=self.topics)
            for notification in batch:
                self._apply(tx, notification)
            reached = top if len(batch) < BATCH else batch[-1].id
            tx.execute(
                "UPDATE api_index_tracking SET position = ? WHERE name = ? AND position = ?",
                (reached, TRACKING_NAME, position),
            )
            if tx.rowcount != 1:  # pragma: no cover - the row lock makes this impossible
                raise RuntimeError("the item index was advanced concurrently")
            return reached

    def _apply(self, tx: Transaction, notification: Any) -> None:
        kind = CREATED_TOPICS.get(notification.topic)
        event = self.mapper.to_domain_event(notification)
        project_id = str(event.project_id)  # type: ignore[attr-defined]
        if kind is not None:
            item_id = str(notification.originator_id)
            tx.execute(
                "INSERT INTO api_items (item_id, project_id, kind, position) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (item_id) DO NOTHING",
                (item_id, project_id, kind, notification.id),
            )
            for sha256 in documents_of(event):
                tx.execute(
                    "INSERT INTO api_documents (project_id, sha256, item_id, position) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (project_id, sha256) DO NOTHING",
                    (project_id, sha256, item_id, notification.id),
                )
                # A document stored before holders were kept (it has none): held by the
                # project that referenced it first. Documents stored since have their holders
                # from the start, so referencing one later grants nothing.
                tx.execute(
                    f"INSERT INTO {HOLDERS} (sha256, project_id, stored_by, stored_at) "
                    "SELECT ?, ?, NULL, stored_at FROM documents WHERE sha256 = ? "
                    f"AND NOT EXISTS (SELECT 1 FROM {HOLDERS} WHERE sha256 = ?)",
                    (sha256, project_id, sha256, sha256),
                )
            return
        if notification.topic in DOCUMENT_TOPICS:
            sha256 = event.sha256  # type: ignore[attr-defined]
            tx.execute(
                "INSERT INTO api_documents (project_id, sha256, item_id, position) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (project_id, sha256) DO NOTHING",
                (project_id, sha256, str(notification.originator_id), notification.id),
            )
            return
        change = MEMBER_TOPICS[notification.topic]
        if change == "added":
            member = event.member  # type: ignore[attr-defined]
            tx.execute(
                "INSERT INTO api_members (project_id, email, role) VALUES (?, ?, ?) "
                "ON CONFLICT (project_id, email) DO UPDATE SET role = excluded.role",
                (project_id, member.email, str(member.role)),
            )
        elif change == "role":
            tx.execute(
                "UPDATE api_members SET role = ? WHERE project_id = ? AND email = ?",
                (str(event.role), project_id, event.email),  # type: ignore[attr-defined]
            )
        else:
            tx.execute(
                "DELETE FROM api_members WHERE project_id = ? AND email = ?",
                (project_id, event.email),  # type: ignore[attr-defined]
            )

    # ----------------------------------------------------------------------------- reading

    def items(
        self, project_id: UUID, kind: str, *, after: int, limit: int
    ) -> Sequence[IndexedItem]:
        """The project's items of ``kind`` created after position ``after``, oldest first."""
        self.catch_up()
        rows = self.db.query(
            "SELECT item_id, position FROM api_items "
            "WHERE project_id = ? AND kind = ? AND position > ? ORDER BY position LIMIT ?",
            (str(project_id), kind, after, limit),
        )
        return [IndexedItem(UUID(row[0]), int(row[1])) for row in rows]

    def projects_of(self, email: str, *, after: int, limit: int) -> Sequence[IndexedItem]:
        """The projects ``email`` is a member of, opened after position ``after``."""
        self.catch_up()
        rows = self.db.query(
            "SELECT i.item_id, i.position FROM api_items i "
            "JOIN api_members m ON m.project_id = i.item_id "
            "WHERE m.email = ? AND i.kind = 'project' AND i.position > ? "
            "ORDER BY i.position LIMIT ?",
            (email, after, limit),
        )
        return [IndexedItem(UUID(row[0]), int(row[1])) for row in rows]

    def document_item(self, project_id: UUID, sha256: str) -> UUID | None:
        """The first item of the project that references the document ``sha256``, if the
        project also holds it (see :mod:`ledger.storage.documents`): naming a digest in an
        item grants nothing."""
        self.catch_up()
        rows = self.db.query(
            "SELECT d.item_id FROM api_documents d "
            f"JOIN {HOLDERS} h ON h.sha256 = d.sha256 AND h.project_id = d.project_id "
            "WHERE d.project_id = ? AND d.sha256 = ?",
            (str(project_id), sha256),
        )
        return UUID(rows[0][0]) if rows else None

    def member_projects(self, email: str) -> frozenset[UUID]:
        """Every project ``email`` is a member of now."""
        self.catch_up()
        rows = self.db.query("SELECT project_id FROM api_members WHERE email = ?", (email,))
        return frozenset(UUID(row[0]) for row in rows)
