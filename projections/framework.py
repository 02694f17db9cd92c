"""Projection machinery: tables, views, and the projection base class.

A projection's logic is written once, as handlers that read and write rows through a
:class:`View`. The same handlers run into two kinds of view:

* :class:`SqlView` — tables in the ledger's own database (SQLite or PostgreSQL). The runner
  feeds it a batch of events inside one transaction, together with the view's tracking position,
  so a re-delivered event changes nothing and a crash loses nothing. Writes are buffered for the
  batch and flushed with ``executemany``; reads see the buffer first.
* :class:`MemoryView` — the same tables as dicts, fed with one project's events up to an
  instant: "open items as of 3 March", replay.

Queries (``projections/queries.py``) also take a view, so they too run on both.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from ledger.domain.envelope import LedgerAggregate
from ledger.storage.sql import Transaction

RowDict = dict[str, Any]
#: A projection's method ``(self, view, event, position)``, the event typed by its classes.
Handler = Callable[[Any, "View", Any, int], None]


@dataclass(frozen=True)
class Table:
    """A view table: columns with their SQL types, a primary key, and secondary indexes."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    _pick: Callable[[RowDict], Any] = field(init=False, repr=False, compare=False)

    def physical(self, generation: int) -> str:
        return f"pv_{self.name}_g{generation}"

    def ddl(self, generation: int, dialect: str = "sqlite") -> list[str]:
        name = self.physical(generation)
        cols = ", ".join(f"{c} {t}" for c, t in self.columns.items())
        # On SQLite the primary key is the table itself: one b-tree to write, not two.
        clustered = " WITHOUT ROWID" if dialect == "sqlite" else ""
        statements = [
            f"CREATE TABLE IF NOT EXISTS {name} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
            + clustered
        ]
        for i, index in enumerate(self.indexes):
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {name}_i{i} ON {name} ({', '.join(index)})"
            )
        return statements

    def drop(self, generation: int, dialect: str = "sqlite") -> list[str]:
        """The statements that remove this table of ``generation`` (and whatever its
        :meth:`ddl` made beside it)."""
        return [f"DROP TABLE IF EXISTS {self.physical(generation)}"]

    def __post_init__(self) -> None:
        # itemgetter of several names gives the key tuple directly; of one name, the value.
        pick = operator.itemgetter(*self.key)
        object.__setattr__(self, "_pick", pick if len(self.key) > 1 else lambda r: (pick(r),))

    def key_of(self, row: RowDict) -> tuple[Any, ...]:
        key: tuple[Any, ...] = self._pick(row)
        return key


@dataclass(frozen=True)
class Where:
    """A selection: equality on some columns, plus optional bounds on one ordered column."""

    eq: dict[str, Any] = field(default_factory=dict)
    column: str | None = None
    gt: Any = None
    ge: Any = None
    lt: Any = None
    le: Any = None
    isin: dict[str, Sequence[Any]] = field(default_factory=dict)

    def matches(self, row: RowDict) -> bool:
        for k, v in self.eq.items():
            if row.get(k) != v:
                return False
        for k, values in self.isin.items():
            if row.get(k) not in values:
                return False
        if self.column is not None:
            value = row.get(self.column)
            if value is None:
                return False
            if self.gt is not None and not value > self.gt:
                return False
            if self.ge is not None and not value >= self.ge:
                return False
            if self.lt is not None and not value < self.lt:
                return False
            if self.le is not None and not value <= self.le:
                return False
        return True

    def sql(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for k, v in self.eq.items():
            if v is None:
                clauses.append(f"{k} IS NULL")
            else:
                clauses.append(f"{k} = ?")
                params.append(v)
        for k, values in self.isin.items():
            clauses.append(f"{k} IN ({','.join('?' * len(values))})" if values else "1 = 0")
            params.extend(values)
        if self.column is not None:
            for op, bound in ((">", self.gt), (">=", self.ge), ("<", self.lt), ("<=", self.le)):
                if bound is not None:
                    clauses.append(f"{self.column} {op} ?")
                    params.append(bound)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


class View(Protocol):
    """What handlers and queries use: rows by key, and selections."""

    def get(self, table: Table, key: tuple[Any, ...]) -> RowDict | None: ...

    def peek(self, table: Table, key: tuple[Any, ...]) -> RowDict | None:
        """As :meth:`get`, without a copy: for reading one or two values; never change it."""
        ...

    def put(self, table: Table, row: RowDict) -> None: ...

    def delete(self, table: Table, key: tuple[Any, ...]) -> None: ...

    def select(
        self,
        table: Table,
        where: Where,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        descending: bool = False,
        columns: Sequence[str] | None = None,
    ) -> list[RowDict]:
        """The rows that match, ordered, at most ``limit``; with only ``columns`` if given."""
        ...


_DELETED: Any = object()


class MemoryView:
    """Tables as dicts: the in-memory view for as-of queries and replay."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple[Any, ...], RowDict]] = {}

    def _rows(self, table: Table) -> dict[tuple[Any, ...], RowDict]:
        return self.tables.setdefault(table.name, {})

    def get(self, table: Table, key: tuple[Any, ...]) -> RowDict | None:
        row = self._rows(table).get(key)
        return dict(row) if row is not None else None

    def peek(self, table: Table, key: tuple[Any, ...]) -> RowDict | None:
        return self._rows(table).get(key)

    def put(self, table: Table, row: RowDict) -> None:
        if row.keys() == table.columns.keys():
            full = dict(row)  # complete, as handlers usually write them: a plain copy
        else:
            full = {c: row.get(c) for c in table.columns}
        self._rows(table)[table.key_of(full)] = full

    def delete(self, table: Table, key: tuple[Any, ...]) -> None:
        self._rows(table).pop(key, None)

    def select(
        self,
        table: Table,
        where: Where,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        descending: bool = False,
        columns: Sequence[str] | None = None,
    ) -> list[RowDict]:
        rows = [r for r in self._rows(table).values() if where.matches(r)]
        if order_by:
            rows.sort(key=lambda r: tuple(_sortable(r[c]) for c in order_by), reverse=descending)
        if limit is not None:
            rows = rows[:limit]
        if columns is not None:
            return [{c: r[c] for c in columns} for r in rows]
        return [dict(r) for r in rows]


def _sortable(value: Any) -> tuple[int, Any]:
    # SQL sorts NULL first; so do we.
    return (0, "") if value is None else (1, value)


class SqlView:
    """One projection's tables in the database, at one generation.

    Outside a batch, reads go straight to the database. Inside :meth:`batch`, writes are buffered
    (the last write of a key wins) and flushed in one ``executemany`` per table at the end, in the
    batch's transaction; reads consult the buffer first, then the rows this batch already wrote
    or read (the batch's transaction holds the write lock, so what it read stays true).
    """

    def __init__(self, tables: Sequence[Table], generation: int, tx_source: Any) -> None:
        self.tables = {t.name: t for t in tables}
        self.generation = generation
        self._db = tx_source
        self._tx: Transaction | None = None
        self._buffer: dict[str, dict[tuple[Any, ...], RowDict]] = {}
        # Per table: rows flushed earlier in the batch, and rows read from the database (members
        # and subjects are read for almost every event).
        self._flushed: dict[str, dict[tuple[Any, ...], RowDict]] = {}
        self._read: dict[str, dict[tuple[Any, ...], RowDict | None]] = {}

    # ---------------------------------------------------------------------- batches

    def begin(self, tx: Transaction) -> None:
        self._tx = tx
        self._buffer = {name: {} for name in self.tables}
        self._flushed = {name: {} for name in self.tables}
        self._read = {name: {} for name in self.tables}

    def flush(self, only: str | None = None, *, last: bool = False) -> None:
        """Write the buffered rows (of every table, or of the table named ``only``); ``last``:
        the batch reads nothing more, so the rows written need not be kept for its reads."""
        tx = self._tx
        assert tx is not None
        for name in self.tables if only is None else (only,):
            rows = self._buffer[name]
            if not rows:
                continue
            table = self.tables[name]
            physical = table.physical(self.generation)
            upserts = [r for r in rows.values() if r is not _DELETED]
            if len(upserts) < len(rows):
                deletes = [k for k, r in rows.items() if r is _DELETED]
                cond = " AND ".join(f"{k} = ?" for k in table.key)
                tx.executemany(f"DELETE FROM {physical} WHERE {cond}", deletes)
            if upserts:
                tx.executemany(_upsert_sql(table, physical), _as_tuples(table, upserts))
            if not last:
                self._flushed[name].update(rows)
            self._buffer[name] = {}

    def end(self) -> None:
        self._tx = None
        self._buffer = {}
        self._flushed = {}
        self._read = {}

    # ------------------------------------------------------------------------ access

    def get(self, table: Table, key: tuple[Any, ...]) -> RowDict | None:
        row = self.peek(table, key)
        return dict(row) if row is not None else None

    def peek(self, table: Table, key: tuple[Any, ...]) -> RowDict | None:
        """The row at ``key`` like :meth:`get`, without a copy: the caller must not change it."""
        if self._tx is None:
            return self._select_key(table, key)
        name = table.name
        row = self._buffer[name].get(key)
        if row is None:
            row = self._flushed[name].get(key)
            if row is None:
                read = self._read[name]
                if key in read:
                    return read[key]
                row = read[key] = self._select_key(table, key)
                return row
        return None if row is _DELETED else row

    def _select_key(self, table: Table, key: tuple[Any, ...]) -> RowDict | None:
        cond = " AND ".join(f"{k} = ?" for k in table.key)
        sql = (
            f"SELECT {', '.join(table.columns)} FROM {table.physical(self.generation)} WHERE {cond}"
        )
        rows = self._fetch(sql, list(key))
        return dict(zip(table.columns, rows[0], strict=True)) if rows else None

    def put(self, table: Table, row: RowDict) -> None:
        if self._tx is None:
            raise RuntimeError("SqlView writes happen inside a runner batch")
        # Kept as given (missing columns are written as NULL at the flush).
        self._buffer[table.name][table.key_of(row)] = row

    def delete(self, table: Table, key: tuple[Any, ...]) -> None:
        if self._tx is None:
            raise RuntimeError("SqlView writes happen inside a runner batch")
        self._buffer[table.name][key] = _DELETED

    def select(
        self,
        table: Table,
        where: Where,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        descending: bool = False,
        columns: Sequence[str] | None = None,
    ) -> list[RowDict]:
        if self._tx is not None and self._buffer[table.name]:
            # Inside a batch with pending writes to this table: flush them so SQL sees them.
            self.flush(table.name)
        clause, params = where.sql()
        names = tuple(table.columns) if columns is None else tuple(columns)
        sql = f"SELECT {', '.join(names)} FROM {table.physical(self.generation)}{clause}"
        if order_by:
            direction = " DESC" if descending else ""
            sql += " ORDER BY " + ", ".join(f"{c}{direction}" for c in order_by)
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [dict(zip(names, r, strict=True)) for r in self._fetch(sql, params)]

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if self._tx is not None:
            self._tx.execute(sql, params)
            return self._tx.fetchall()
        rows: list[tuple[Any, ...]] = self._db.query(sql, params)
        return rows


def _as_tuples(table: Table, rows: list[RowDict]) -> list[tuple[Any, ...]]:
    columns = tuple(table.columns)
    pick = operator.itemgetter(*columns)
    try:
        return [pick(r) for r in rows]  # rows are usually complete: the fast path
    except KeyError:
        return [tuple(map(r.get, columns)) for r in rows]


def _upsert_sql(table: Table, physical: str) -> str:
    cols = list(table.columns)
    updates = [c for c in cols if c not in table.key]
    sql = (
        f"INSERT INTO {physical} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT ({', '.join(table.key)}) "
    )
    if updates:
        return sql + "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates)
    return sql + "DO NOTHING"


# ------------------------------------------------------------------------------ projection


def on(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of ``event_classes``."""

    def mark(method: Handler) -> Handler:
        method.__dict__.setdefault("_handles", []).extend(event_classes)
        return method

    return mark


class Projection:
    """Base of the projections: a name, its tables, and handlers marked with :func:`on`.

    Dispatch is a dict lookup on the event's class; one handler may serve several classes and
    one class may have several handlers (run in declaration order). :meth:`fallback` sees the
    events no handler claims.
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    handlers: ClassVar[dict[type, tuple[Handler, ...]]]
    #: False for a view that answers "as of" questions from its own SQL rows (search): replay
    #: into memory leaves it out.
    replayable: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type, list[Handler]] = {}
        seen: set[str] = set()
        for klass in cls.__mro__:  # most derived first: an override hides its base method
            for attr, value in vars(klass).items():
                if attr in seen:
                    continue
                seen.add(attr)
                for event_class in getattr(value, "_handles", ()):
                    handlers.setdefault(event_class, []).append(value)
        cls.handlers = {k: tuple(v) for k, v in handlers.items()}

    def handle(self, view: View, event: LedgerAggregate.Event, position: int) -> None:
        handlers = self.handlers.get(type(event))
        if handlers is None:
            self.fallback(view, event, position)
            return
        for handler in handlers:
            handler(self, view, event, position)

    def fallback(self, view: View, event: LedgerAggregate.Event, position: int) -> None:
        """Events without a handler: ignored unless a projection says otherwise."""


# Two generations: when the young one is full it becomes the old one, so what was rendered
# recently (the batch's events, rendered again by the next projection) stays remembered.
_ISO: dict[datetime, str] = {}
_ISO_OLD: dict[datetime, str] = {}


def iso(moment: datetime | None) -> str | None:
    """Times are stored as ISO 8601 strings in UTC with microseconds and a ``Z``, so they sort
    as text on both backends (``2026-03-01T10:00:00.000000Z``).

    Remembered: an event's times are rendered by several projections (equal instants in other
    offsets compare equal and render the same)."""
    global _ISO, _ISO_OLD
    if moment is None:
        return None
    text = _ISO.get(moment)
    if text is None:
        text = _ISO_OLD.get(moment)
        if text is None:
            utc = moment.astimezone(UTC) if moment.utcoffset() else moment
            # As isoformat(timespec="microseconds") in UTC, a third faster.
            text = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
                utc.year,
                utc.month,
                utc.day,
                utc.hour,
                utc.minute,
                utc.second,
                utc.microsecond,
            )
        if len(_ISO) >= 100_000:
            _ISO_OLD, _ISO = _ISO, {}
        _ISO[moment] = text
    return text


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)


_IDS: dict[Any, str] = {}
_UUIDS: dict[int, str] = {}


def sid(value: Any) -> str:
    """``str(uuid)``, remembered: the same few project ids are rendered for every event."""
    if type(value) is UUID:
        # Keyed by its integer: hashing a UUID object runs Python code, an int does not.
        key, known = value.int, _UUIDS
    else:
        key, known = value, _IDS
    text = known.get(key)
    if text is None:
        if len(known) > 100_000:
            known.clear()
        text = known[key] = str(value)
    return text


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = [
    "MemoryView",
    "Projection",
    "RowDict",
    "SqlView",
    "Table",
    "View",
    "Where",
    "chunks",
    "iso",
    "on",
    "parse_iso",
    "sid",
]
