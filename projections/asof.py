"""As-of views and replay: the projections' own logic, run into memory over one project's events
up to an instant.

The audit view indexes every event by project with its recorded and occurred times, so the
events of a project up to ``until`` are found without scanning the log; they are read by position
from the events table, decoded, and fed — in position order — to fresh instances of every
projection writing into one :class:`~projections.framework.MemoryView`. The query functions of
:mod:`projections.queries` then answer from it exactly as from the live views.

``basis="occurred"`` (the default) answers "what had happened by T, as we know it now" —
back-dated events are in it; :func:`recorded_later` counts them, so an answer can say how much
it differs from what was on record at T. ``basis="recorded"`` answers "what did the ledger say
at T" — an event recorded after T is not in it, even if it is back-dated to before T.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from ledger.storage.eventlog import EventLog
from projections.audit import AUDIT_EVENTS, project_positions
from projections.framework import MemoryView, Projection, View, Where, iso
from projections.narrative import event_name_of
from projections.runner import ProjectionRunner


class MemoryViews(Mapping[str, View]):
    """Every projection's tables in one memory view (their table names do not overlap)."""

    def __init__(self, names: list[str]) -> None:
        self.memory = MemoryView()
        self._names = names

    def __getitem__(self, name: str) -> View:
        if name not in self._names:
            raise KeyError(name)
        return self.memory

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class LiveViews(Mapping[str, View]):
    """The active SQL view of each projection, looked up when asked (a rebuild may switch it)."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner

    def __getitem__(self, name: str) -> View:
        return self.runner.view(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.runner.projections)

    def __len__(self) -> int:
        return len(self.runner.projections)


def replay(
    runner: ProjectionRunner,
    project_id: str,
    until: datetime | None = None,
    basis: str = "occurred",
    views: list[str] | None = None,
) -> MemoryViews:
    """In-memory views of ``project_id`` fed with its events up to ``until`` (all, if None).
    ``views`` names the projections to run (default: all that replay; the search view answers
    as-of questions from its own rows) — an as-of query needs only its own.
    """
    if basis not in ("recorded", "occurred"):
        raise ValueError("basis is 'recorded' or 'occurred'")
    names = views or [n for n, p in runner.projections.items() if p.replayable]
    memory = MemoryViews(names)
    projections = [type(runner.projections[name])() for name in names]
    positions = project_positions(
        runner.view("audit"),
        project_id,
        until=iso(until),
        basis=basis,
        event_types=_handled_types(projections),
    )
    for position, event in EventLog(runner.ledger, runner.db).events_at(positions, for_views=True):
        for projection in projections:
            projection.handle(memory.memory, event, position)
    return memory


def recorded_later(
    runner: ProjectionRunner,
    project_id: str,
    instants: list[datetime],
    views: list[str] | None = None,
) -> int:
    """How many of the project's events (of the types the named projections act on) had
    occurred by one of ``instants`` but were recorded after it: the entries by which an
    ``occurred`` answer differs from what was on record at that instant."""
    if not instants:
        return 0
    names = views or list(runner.projections)
    types = _handled_types([type(runner.projections[name])() for name in names])
    cutoffs = sorted({iso(t) or "" for t in instants})
    where = Where(
        eq={"project_id": project_id},
        isin={"event_type": sorted(types)} if types is not None else {},
        column="occurred_at",
        le=cutoffs[-1],
    )
    rows = runner.view("audit").select(AUDIT_EVENTS, where, columns=("occurred_at", "recorded_at"))
    return sum(1 for r in rows if any(r["occurred_at"] <= t < r["recorded_at"] for t in cutoffs))


def _handled_types(projections: list[Projection]) -> set[str] | None:
    """The types of the events the projections act on (the audit index names each event's type
    as its class's qualified name), or None if they need every event: the audit projection
    records all, and a projection with a fallback sees the events no handler claims."""
    types: set[str] = set()
    for projection in projections:
        if type(projection).handle is not Projection.handle:
            return None
        if type(projection).fallback is not Projection.fallback:
            return None
        types.update(event_name_of(cls) for cls in projection.handlers)
    return types
