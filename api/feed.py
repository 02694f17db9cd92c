"""The event feed: the notification log in position order, as JSON, restricted to the projects
the caller may read.

A page scans at most ``scan_limit`` notifications after ``after`` and returns the readable
events among them (up to ``limit``), with ``next_after`` — the last position it looked at —
so a caller of a small project in a busy ledger gets short pages quickly instead of one slow
one, and never misses or repeats an event by passing ``next_after`` back as ``after``.

Two ways to turn a stored event into JSON give the same document (a test compares them on an
event of every type): :func:`event_json` from the decoded domain event (the reference), and
:class:`StoredEventJson` straight from the stored tagged JSON (the feed's path: it reads the
project id before decoding anything, and builds no event objects). The direct path hands an
event to the reference one whenever it cannot vouch for the result: a stored class version
that differs from the code's (an upcast is due) or a type it does not know.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel

from ledger.domain.catalogue import ENVELOPE
from ledger.storage.eventlog import EventLog
from ledger.storage.transcoding import EnumTranscoding, ModelTranscoding

_READ_BATCH = 500


@dataclass(frozen=True)
class FeedEvent:
    """One event of the feed, its document already encoded (events never change, so neither
    does the document of a position: it is kept in a bounded cache)."""

    position: int
    type: str
    document: bytes


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    next_after: int
    at_end: bool

    def json(self) -> bytes:
        """The page as the JSON of ``GET /v1/events``, from the encoded documents."""
        end = b"true" if self.at_end else b"false"
        return (
            b'{"events":['
            + b",".join(e.document for e in self.events)
            + b'],"next_after":%d,"at_end":%s}' % (self.next_after, end)
        )


def iso(moment: datetime) -> str:
    """ISO 8601 with the offset kept, UTC written ``Z`` (as the API's models write it)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def jsonable(value: Any) -> Any:
    """An event payload value as JSON data: models as objects, tuples as arrays, decimals as
    strings (exact), UUIDs as strings, times in ISO 8601 with their offset."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return str(value)


def event_json(notification: Notification, event: Any) -> dict[str, Any]:
    """The feed's document for a decoded domain event."""
    payload = {k: v for k, v in vars(event).items() if k not in ENVELOPE}
    return {
        "position": notification.id,
        "type": type(event).__qualname__,
        "item_id": str(event.originator_id),
        "item_version": event.originator_version,
        "project_id": str(event.project_id),
        "actor": event.actor,
        "attributed_to": event.attributed_to,
        "occurred_at": iso(event.occurred_at),
        "recorded_at": iso(event.timestamp),
        "data": jsonable(payload),
    }


class _NeedsDecoding(Exception):
    """The direct path cannot vouch for this stored event."""


class StoredEventJson:
    """The feed's document straight from a stored event's tagged JSON (see the module doc)."""

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        self.names: dict[str, Any] = dict(getattr(mapper.transcoder, "names", {}))
        self._versions: dict[str, int] = {}

    def project_of(self, state: dict[str, Any]) -> UUID | None:
        tagged = state.get("project_id")
        if isinstance(tagged, dict) and tagged.get("_type_") == "uuid_hex":
            return UUID(tagged["_data_"])
        return None

    def load(self, notification: Notification) -> dict[str, Any] | None:
        """The stored state, or ``None`` when it is not plain tagged JSON (compressed...)."""
        try:
            state = orjson.loads(notification.state)
        except orjson.JSONDecodeError:
            return None
        return state if isinstance(state, dict) else None

    def document(self, notification: Notification, state: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._document(notification, state)
        except (_NeedsDecoding, KeyError, TypeError, ValueError):
            return event_json(notification, self.mapper.to_domain_event(notification))

    def _document(self, notification: Notification, state: dict[str, Any]) -> dict[str, Any]:
        topic = notification.topic
        if state.get("class_version", 1) != self._class_version(topic):
            raise _NeedsDecoding
        payload = {
            k: self._walk(v) for k, v in state.items() if k not in ENVELOPE and k != "class_version"
        }
        return {
            "position": notification.id,
            "type": topic.partition(":")[2],
            "item_id": str(notification.originator_id),
            "item_version": notification.originator_version,
            "project_id": self._walk(state["project_id"]),
            "actor": state["actor"],
            "attributed_to": state["attributed_to"],
            "occurred_at": self._walk(state["occurred_at"]),
            "recorded_at": self._walk(state["timestamp"]),
            "data": payload,
        }

    def _class_version(self, topic: str) -> int:
        version = self._versions.get(topic)
        if version is None:
            version = int(getattr(resolve_topic(topic), "class_version", 1))
            self._versions[topic] = version
        return version

    def _walk(self, value: Any) -> Any:
        kind = type(value)
        if kind is list:
            return [self._walk(v) for v in value]
        if kind is not dict:
            return value
        if len(value) != 2 or "_type_" not in value or "_data_" not in value:
            return {k: self._walk(v) for k, v in value.items()}
        name, data = value["_type_"], value["_data_"]
        if name == "uuid_hex":
            return str(UUID(data))
        if name == "datetime_iso":
            return data[:-6] + "Z" if data.endswith("+00:00") else data
        if name in ("date_iso", "decimal_str"):
            return data
        transcoding = self.names.get(name)
        if isinstance(transcoding, EnumTranscoding):
            return data
        if isinstance(transcoding, ModelTranscoding):
            # Models are stored without their defaults: validate to get them back.
            return transcoding.model.model_validate(self._walk(data)).model_dump(mode="json")
        raise _NeedsDecoding


class _Cached:
    __slots__ = ("document", "project_id", "type")

    def __init__(self, project_id: UUID, type: str) -> None:
        self.project_id = project_id
        self.type = type
        self.document: bytes | None = None


class EventFeed:
    def __init__(
        self,
        log: EventLog,
        mapper: Mapper[UUID],
        *,
        scan_limit: int,
        cache_size: int = 10_000,
    ) -> None:
        self.log = log
        self.mapper = mapper
        self.scan_limit = scan_limit
        self.documents = StoredEventJson(mapper)
        self._cache: OrderedDict[int, _Cached] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def top(self) -> int:
        return self.log.head()

    def read(self, readable: Container[UUID], *, after: int, limit: int) -> FeedPage:
        """Up to ``limit`` events of the ``readable`` projects after position ``after``."""
        top = self.top()
        events: list[FeedEvent] = []
        position = after
        scanned = 0
        while position < top and scanned < self.scan_limit and len(events) < limit:
            # Enough rows for the events still wanted if they are all readable (the usual
            # case: a member of the one project in view), a bounded batch otherwise.
            wanted = max(2 * (limit - len(events)), 20)
            batch = self.log.after(
                position, min(_READ_BATCH, wanted, self.scan_limit - scanned), stop=top
            )
            if not batch:
                position = top
                break
            for notification in batch:
                position = notification.id
                scanned += 1
                event = self._readable(notification, readable)
                if event is not None:
                    events.append(event)
                    if len(events) >= limit:
                        break
        return FeedPage(events, position, position >= top)

    def _readable(self, notification: Notification, readable: Container[UUID]) -> FeedEvent | None:
        position = notification.id
        with self._lock:
            cached = self._cache.get(position)
            if cached is not None:
                self._cache.move_to_end(position)
        state: dict[str, Any] | None = None
        if cached is None:
            state = self.documents.load(notification)
            project = self.documents.project_of(state) if state is not None else None
            if state is None or project is None:  # not plain tagged JSON: the long way
                event = self.mapper.to_domain_event(notification)
                cached = _Cached(event.project_id, type(event).__qualname__)  # type: ignore[attr-defined]
                cached.document = orjson.dumps(event_json(notification, event))
            else:
                cached = _Cached(project, notification.topic.partition(":")[2])
            self._remember(position, cached)
        if cached.project_id not in readable:
            return None
        if cached.document is None:
            if state is None:
                state = self.documents.load(notification)
                assert state is not None
            cached.document = orjson.dumps(self.documents.document(notification, state))
        return FeedEvent(position, cached.type, cached.document)

    def _remember(self, position: int, cached: _Cached) -> None:
        with self._lock:
            self._cache[position] = cached
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
