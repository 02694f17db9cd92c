"""The one reader of eventsourcing's tables: positions, notifications and raw rows of the event log.

Everything above the storage package that needs an event's position, a page of the log, the head,
or the current version of several aggregates at once asks :class:`EventLog` (the ledger service
has one: ``ledger.event_log``). Only this module and the integrity package's record reader
(:class:`ledger.integrity.records.EventTable`, which must see the rows exactly as stored to
detect tampering that the recorder would silently normalise) name the events table.

What eventsourcing 9.5 stores (pinned by ``tests/integration/test_sql.py`` on both backends):
the events table is ``recorder.events_table_name`` (``stored_events`` on SQLite,
``accord_events`` on PostgreSQL); an event's position (its notification id) is the table's
``rowid`` on SQLite and its ``notification_id`` column on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from ledger.domain.envelope import LedgerAggregate
from ledger.storage.sql import SqlDatabase

#: NUL as the stored JSON writes it (orjson escapes it), preceded by an even number of
#: backslashes: an escaped NUL, not the text ``\\u0000`` (an escaped backslash, then ``u0000``).
_ESCAPED_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(notification: Notification) -> Notification:
    """``notification`` with each NUL of its stored text replaced by U+FFFD (itself when none:
    one search of the bytes)."""
    state = notification.state
    if b"\\u0000" not in state:
        return notification
    return dataclasses.replace(notification, state=_ESCAPED_NUL.sub(rb"\1\\ufffd", state))


def events_table_name(app: Application[UUID]) -> str:
    """The name of ``app``'s events table (eventsourcing's recorder attribute)."""
    name = getattr(app.recorder, "events_table_name", None)
    if not isinstance(name, str):
        raise TypeError(f"{type(app.recorder).__name__} keeps no events table")
    return name


def notifications_at(
    db: SqlDatabase, positions: Sequence[int], events_table: str
) -> list[Notification]:
    """The stored events at ``positions`` (in position order), read straight from the events
    table ``events_table`` by their positions (eventsourcing's recorder has no such query)."""
    if not events_table.replace("_", "").isalnum():
        raise ValueError(f"not a table name: {events_table!r}")
    column = "rowid" if db.dialect == "sqlite" else "notification_id"
    found: list[Notification] = []
    ids: dict[Any, UUID] = {}  # an aggregate's events share its id: parse it once
    with db.transaction(write=False) as tx:
        for start in range(0, len(positions), 500):
            chunk = list(positions[start : start + 500])
            marks = ",".join("?" * len(chunk))
            tx.execute(
                f"SELECT {column}, originator_id, originator_version, topic, state "
                f"FROM {events_table} WHERE {column} IN ({marks})",
                chunk,
            )
            for position, originator_id, version, topic, state in tx.fetchall():
                uuid = ids.get(originator_id)
                if uuid is None:
                    uuid = ids[originator_id] = (
                        originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
                    )
                found.append(
                    Notification(
                        id=position,
                        originator_id=uuid,
                        originator_version=version,
                        topic=topic,
                        state=bytes(state),
                    )
                )
    found.sort(key=lambda n: n.id)
    return found


class EventLog:
    """The event log of ``app``. ``db`` (the same database through our own connections, or a
    function that opens it when first needed) serves only the reads by position (:meth:`at`,
    :meth:`events_at`, :meth:`event_at`)."""

    def __init__(
        self, app: Application[UUID], db: SqlDatabase | Callable[[], SqlDatabase] | None = None
    ) -> None:
        self.app = app
        self._db = db

    # ----------------------------------------------------------------- the recorder's reads

    def head(self) -> int:
        """The position of the latest event (0: none yet)."""
        return self.app.recorder.max_notification_id() or 0

    def after(
        self, position: int, limit: int, *, stop: int | None = None, topics: Sequence[str] = ()
    ) -> Sequence[Notification]:
        """Up to ``limit`` notifications after ``position`` (at most ``stop``), of ``topics``
        (all if empty), in position order."""
        return self.app.recorder.select_notifications(position + 1, limit, stop=stop, topics=topics)

    def decode(self, notification: Notification) -> LedgerAggregate.Event:
        event = self.app.mapper.to_domain_event(notification)
        if not isinstance(event, LedgerAggregate.Event):  # pragma: no cover - the ledger's own
            raise TypeError(f"position {notification.id} holds no ledger event")
        return event

    def decode_for_views(self, notification: Notification) -> LedgerAggregate.Event:
        """The event as the read models take it: each NUL of its text (only events stored
        before the ledger refused NUL hold one) read as U+FFFD. PostgreSQL's text columns
        cannot hold NUL — one such event would stop every view there — and the views answer
        the same on both backends. The ledger's own reads, proofs and bundles keep the stored
        bytes."""
        return self.decode(without_nul(notification))

    # ------------------------------------------------------------------- reads by position

    def at(self, positions: Sequence[int]) -> list[Notification]:
        """The notifications at ``positions`` (those that exist), in position order."""
        db = self._db() if callable(self._db) else self._db
        if db is None:
            raise RuntimeError("reads by position need the EventLog's database")
        return notifications_at(db, positions, events_table_name(self.app))

    def events_at(
        self, positions: Sequence[int], *, for_views: bool = False
    ) -> list[tuple[int, LedgerAggregate.Event]]:
        """The events at ``positions``, decoded (``for_views``: as the read models take them,
        :meth:`decode_for_views`), with their positions, in position order."""
        decode = self.decode_for_views if for_views else self.decode
        return [(n.id, decode(n)) for n in self.at(positions)]

    def event_at(self, position: int) -> LedgerAggregate.Event | None:
        found = self.at([position])
        return self.decode(found[0]) if found else None

    # --------------------------------------------------------------------------- versions

    def current_versions(self, ids: Sequence[UUID]) -> dict[UUID, int]:
        """The current version of each of ``ids`` that is stored, in one query through the
        recorder's own connection (``datastore``: eventsourcing 9.5 internals, pinned by the
        integration tests on both backends); any other recorder is asked id by id."""
        recorder = self.app.recorder
        if not ids:
            return {}
        if isinstance(recorder, SQLiteAggregateRecorder):
            marks = ",".join("?" * len(ids))
            statement = (
                f"SELECT originator_id, MAX(originator_version) AS version "
                f"FROM {recorder.events_table_name} "
                f"WHERE originator_id IN ({marks}) GROUP BY originator_id"
            )
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(statement, [i.hex for i in ids])
                return {UUID(row["originator_id"]): row["version"] for row in c.fetchall()}
        if isinstance(recorder, PostgresAggregateRecorder):
            query = SQL(
                "SELECT originator_id, MAX(originator_version) AS version FROM {schema}.{table} "
                "WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
            with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(query, [list(ids)])
                return {UUID(str(row["originator_id"])): row["version"] for row in curs.fetchall()}
        return {i: v for i in ids if (v := self.version_of(i)) is not None}

    def stored_event(self, aggregate_id: UUID, version: int) -> StoredEvent | None:
        """The stored event ``version`` of ``aggregate_id``, exactly as stored, if any."""
        found = self.app.recorder.select_events(aggregate_id, gt=version - 1, lte=version)
        return found[0] if found else None

    def version_of(self, aggregate_id: UUID) -> int | None:
        """The current version of ``aggregate_id``, or None if nothing is stored for it."""
        events = self.app.recorder.select_events(aggregate_id, desc=True, limit=1)
        return events[0].originator_version if events else None


__all__ = ["EventLog", "events_table_name", "notifications_at"]
