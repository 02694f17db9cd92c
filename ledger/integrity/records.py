"""Stored events as the Merkle log sees them: the leaf byte format and a raw reader.

Every stored event becomes one leaf of the log, in position order. The leaf *data* commits to
every stored field of the record and to its position, in an unambiguous binary form (format 1;
``docs/integrity.md`` has the same table)::

    offset   size  field
    0        1     format version, 0x01
    1        8     position (the notification id), unsigned 64-bit big-endian
    9        16    originator_id: the UUID's 16 bytes (RFC 9562 byte order, ``UUID.bytes``)
    25       8     originator_version, unsigned 64-bit big-endian
    33       4     T = length of the topic in bytes, unsigned 32-bit big-endian
    37       T     topic, UTF-8
    37+T     4     S = length of the state in bytes, unsigned 32-bit big-endian
    41+T     S     state: the stored bytes exactly (eventsourcing's JSON, as written)

Nothing follows the state. The leaf hash is RFC 9162's ``SHA-256(0x00 || leaf data)``.

The reader reads eventsourcing's events table itself, not through the recorder: it gets the
columns as stored (on SQLite the ``originator_id`` is text, on PostgreSQL a ``uuid``), can tell a
hand-edited row that the recorder would silently normalise, and is several times faster than
building :class:`~eventsourcing.persistence.Notification` objects. The position is the table's
``rowid`` on SQLite and its ``notification_id`` column on PostgreSQL (eventsourcing 9.5).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, Final
from uuid import UUID

from eventsourcing.application import Application

from ledger.storage.eventlog import events_table_name
from ledger.storage.sql import SqlDatabase

__all__ = [
    "LEAF_FORMAT_VERSION",
    "EventTable",
    "MalformedRecordError",
    "StoredRecord",
    "leaf_data",
    "leaf_hash_of",
    "parse_leaf_data",
]

LEAF_FORMAT_VERSION: Final = 1

_HEAD = struct.Struct(">BQ16sQI")  # version, position, originator id, version, topic length
_LENGTH = struct.Struct(">I")
_MAX_U32: Final = (1 << 32) - 1
_MAX_U64: Final = (1 << 64) - 1


class MalformedRecordError(ValueError):
    """A stored row (or a leaf file) is not in the form the ledger writes; ``position`` names it
    when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One stored event, exactly as the log commits to it."""

    position: int
    originator_id: bytes  # the UUID's 16 bytes
    originator_version: int
    topic: str
    state: bytes

    @property
    def uuid(self) -> UUID:
        return UUID(bytes=self.originator_id)

    def leaf_data(self) -> bytes:
        return leaf_data(self)

    def leaf_hash(self) -> bytes:
        return leaf_hash_of(self)


def leaf_data(record: StoredRecord) -> bytes:
    """The leaf data of ``record`` (format 1, see the module docstring)."""
    topic = record.topic.encode("utf-8")
    state = record.state
    if not 0 <= record.position <= _MAX_U64 or not 0 <= record.originator_version <= _MAX_U64:
        raise MalformedRecordError("position and version must fit 64 bits", record.position)
    if len(topic) > _MAX_U32 or len(state) > _MAX_U32:
        raise MalformedRecordError("topic and state must be shorter than 4 GiB", record.position)
    return b"".join(
        (
            _HEAD.pack(
                LEAF_FORMAT_VERSION,
                record.position,
                record.originator_id,
                record.originator_version,
                len(topic),
            ),
            topic,
            _LENGTH.pack(len(state)),
            state,
        )
    )


def leaf_hash_of(record: StoredRecord) -> bytes:
    """``SHA-256(0x00 || leaf_data(record))`` without building the leaf data in one piece."""
    topic = record.topic.encode("utf-8")
    state = record.state
    h = sha256(b"\x00")
    h.update(
        _HEAD.pack(
            LEAF_FORMAT_VERSION,
            record.position,
            record.originator_id,
            record.originator_version,
            len(topic),
        )
    )
    h.update(topic)
    h.update(_LENGTH.pack(len(state)))
    h.update(state)
    return h.digest()


def parse_leaf_data(data: bytes) -> StoredRecord:
    """The record a leaf file holds; :class:`MalformedRecordError` unless ``data`` is exactly
    one well-formed format-1 leaf (no trailing bytes, valid UTF-8 topic)."""
    if len(data) < _HEAD.size + _LENGTH.size:
        raise MalformedRecordError(f"leaf data is too short ({len(data)} bytes)")
    version, position, originator_id, originator_version, topic_length = _HEAD.unpack_from(data)
    if version != LEAF_FORMAT_VERSION:
        raise MalformedRecordError(f"unknown leaf format version {version}")
    offset = _HEAD.size
    if offset + topic_length + _LENGTH.size > len(data):
        raise MalformedRecordError("leaf data ends inside the topic", position)
    try:
        topic = data[offset : offset + topic_length].decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRecordError("the topic is not UTF-8", position) from None
    offset += topic_length
    (state_length,) = _LENGTH.unpack_from(data, offset)
    offset += _LENGTH.size
    if offset + state_length != len(data):
        raise MalformedRecordError(
            f"the state should be {state_length} bytes, the leaf holds {len(data) - offset}",
            position,
        )
    return StoredRecord(position, originator_id, originator_version, topic, data[offset:])


# ---------------------------------------------------------------------------------------------
# Reading eventsourcing's events table


class EventTable:
    """Raw, read-only access to eventsourcing's events table in the ledger's database.

    ``table`` is the recorder's ``events_table_name``. Rows come back as :class:`StoredRecord`
    (or raise :class:`MalformedRecordError` naming the position when a row is not in the form
    eventsourcing writes — on SQLite, an ``originator_id`` that is not 32 lower-case hex digits,
    a state that is not a BLOB...). Reads are paged by position, so memory stays flat."""

    def __init__(self, db: SqlDatabase, table: str) -> None:
        if not table.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"not a table name: {table!r}")
        self.db = db
        self.table = table
        if db.dialect == "sqlite":
            self.position = "rowid"
            self._columns = "rowid, originator_id, originator_version, topic, state"
            self._convert = _sqlite_record
            self.leaf_hash = _sqlite_leaf_hash
        else:
            self.position = "notification_id"
            # uuid_send: the uuid's 16 bytes, without building UUID objects.
            self._columns = (
                "notification_id, uuid_send(originator_id), originator_version, topic, state"
            )
            self._convert = _postgres_record
            self.leaf_hash = _postgres_leaf_hash

    @staticmethod
    def name_for(app: Application[UUID]) -> str:
        """The name of ``app``'s events table (from the storage package's one reader)."""
        return events_table_name(app)

    def max_position(self) -> int:
        rows = self.db.query(f"SELECT MAX({self.position}) FROM {self.table}")
        return int(rows[0][0] or 0)

    def count(self, after: int = 0) -> int:
        rows = self.db.query(
            f"SELECT COUNT(*) FROM {self.table} WHERE {self.position} > ?", (after,)
        )
        return int(rows[0][0])

    def page(self, after: int, limit: int) -> list[StoredRecord]:
        """Up to ``limit`` records with positions greater than ``after``, in position order."""
        rows = self.db.query(
            f"SELECT {self._columns} FROM {self.table} "
            f"WHERE {self.position} > ? ORDER BY {self.position} LIMIT ?",
            (after, limit),
        )
        convert = self._convert
        return [convert(row) for row in rows]

    def raw_page(self, after: int, limit: int) -> list[tuple[Any, ...]]:
        """The same rows unconverted (for callers that convert lazily, see :meth:`convert`)."""
        return self.db.query(
            f"SELECT {self._columns} FROM {self.table} "
            f"WHERE {self.position} > ? ORDER BY {self.position} LIMIT ?",
            (after, limit),
        )

    def convert(self, row: tuple[Any, ...]) -> StoredRecord:
        return self._convert(row)

    leaf_hash: Callable[[tuple[Any, ...]], bytes]
    """``leaf_hash(row)``: the leaf hash of a row of :meth:`raw_page`, computed straight from
    the columns (the hot path of sealing and verifying); :class:`MalformedRecordError` as
    :meth:`convert`."""

    def scan(self, after: int = 0, page_size: int = 10_000) -> Iterator[list[StoredRecord]]:
        """Every record after ``after``, page by page."""
        while True:
            page = self.page(after, page_size)
            if not page:
                return
            yield page
            after = page[-1].position

    def of_originators(self, originator_ids: Sequence[UUID]) -> list[StoredRecord]:
        """Every record of these aggregates (an indexed look-up), in position order."""
        ids = list(dict.fromkeys(originator_ids))
        params: list[Any] = [u.hex if self.db.dialect == "sqlite" else u for u in ids]
        rows = self.db.query_in(
            f"SELECT {self._columns} FROM {self.table} WHERE originator_id IN ({{marks}})", params
        )
        return sorted((self._convert(row) for row in rows), key=lambda r: r.position)

    def containing(
        self, needle: bytes, after: int = 0, page_size: int = 10_000
    ) -> Iterator[list[StoredRecord]]:
        """Pages of the records whose state contains ``needle`` (a full scan, filtered by the
        database): the candidates of a search that the caller then confirms on decoded events.
        """
        if self.db.dialect == "sqlite":
            where = "instr(state, ?) > 0"
        else:
            where = "position(?::bytea in state) > 0"
        while True:
            rows = self.db.query(
                f"SELECT {self._columns} FROM {self.table} "
                f"WHERE {self.position} > ? AND {where} ORDER BY {self.position} LIMIT ?",
                (after, needle, page_size),
            )
            if not rows:
                return
            page = [self._convert(row) for row in rows]
            yield page
            after = page[-1].position


def _sqlite_leaf_hash(row: tuple[Any, ...]) -> bytes:
    position, originator_id, version, topic, state = row
    try:
        raw_id = bytes.fromhex(originator_id)
        ok = (
            len(raw_id) == 16
            and raw_id.hex() == originator_id
            and type(version) is int
            and version >= 0
            and type(state) is bytes
        )
        encoded = topic.encode("utf-8")
    except (TypeError, ValueError, AttributeError):
        ok = False
    if not ok:
        return leaf_hash_of(_sqlite_record(row))  # raises, naming what is wrong
    h = sha256(b"\x00")
    h.update(_HEAD.pack(LEAF_FORMAT_VERSION, position, raw_id, version, len(encoded)))
    h.update(encoded)
    h.update(_LENGTH.pack(len(state)))
    h.update(state)
    return h.digest()


def _postgres_leaf_hash(row: tuple[Any, ...]) -> bytes:
    position, raw_id, version, topic, state = row
    if topic is None or state is None or version < 0:
        return leaf_hash_of(_postgres_record(row))  # raises, naming what is wrong
    encoded = topic.encode("utf-8")
    h = sha256(b"\x00")
    h.update(_HEAD.pack(LEAF_FORMAT_VERSION, position, raw_id, version, len(encoded)))
    h.update(encoded)
    h.update(_LENGTH.pack(len(state)))
    h.update(state)
    return h.digest()


def _sqlite_record(row: tuple[Any, ...]) -> StoredRecord:
    position, originator_id, version, topic, state = row
    if type(originator_id) is not str or len(originator_id) != 32:
        raise MalformedRecordError("originator_id is not a 32-digit hex UUID", position)
    try:
        raw_id = bytes.fromhex(originator_id)
    except ValueError:
        raise MalformedRecordError("originator_id is not a hex UUID", position) from None
    if raw_id.hex() != originator_id:
        raise MalformedRecordError("originator_id is not in lower-case hex", position)
    if type(version) is not int or version < 0:
        raise MalformedRecordError("originator_version is not a whole number", position)
    if type(topic) is not str:
        raise MalformedRecordError("topic is not text", position)
    if type(state) is not bytes:
        raise MalformedRecordError("state is not stored as bytes", position)
    return StoredRecord(position, raw_id, version, topic, state)


def _postgres_record(row: tuple[Any, ...]) -> StoredRecord:
    position, raw_id, version, topic, state = row
    if topic is None or state is None:
        raise MalformedRecordError("topic or state is NULL", position)
    if version < 0:
        raise MalformedRecordError("originator_version is negative", position)
    return StoredRecord(position, bytes(raw_id), version, topic, bytes(state))
