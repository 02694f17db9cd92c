"""The catch-up runner: feeds the ledger's events, in position order, to every projection's SQL
view, exactly once.

Each view has a row in ``projection_tracking`` per generation: ``(view, generation, position,
active)``. A batch of events is applied to every view behind in ONE transaction: for each view
(in name order), the transaction first moves its tracking position with a compare-and-set
(``UPDATE ... WHERE position = <expected>``), then writes its rows. A view another runner moved
first is left out (the update touches no row, none of its rows is written); a failure anywhere
rolls the whole batch back, every view. So a re-delivered event changes nothing, and a crash
between events loses nothing (the batch is applied again). Several runners (processes,
machines) may run at once against one PostgreSQL database.

The same works on both backends because it polls: SQLite has no subscriptions. Reading, decoding
and dispatch happen once per batch for all views; Python's cyclic collector is paused while a
batch is alive (see :func:`_collector_paused`).

The runner outlives storage errors (a database restart, a dropped connection): a batch that
fails is rolled back and tried again after a growing pause, from the tracking positions the
database holds (:mod:`ledger.storage.resilience`). Each running runner writes a heartbeat row in
``projection_runners`` (its state, its last error) so that ``accord projections status`` and
``/health`` of any node show a stalled or erroring runner; :meth:`ProjectionRunner.freshness`
says how far behind the views are, which the query routes pass on to their callers.

Rebuild (``rebuild(name)``) fills a new generation of the view's tables from position zero while
the live generation keeps serving and keeps up; when the new one has caught up, one transaction
makes it the active one. The previous generation is kept until the next rebuild (a query that was
reading it finishes), older ones are dropped.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.service.application import Ledger
from ledger.storage.resilience import Backoff, LoopHealth, LoopReport, run_resiliently
from ledger.storage.sql import SqlDatabase
from projections.audit import AuditProjection
from projections.commitments import CommitmentsProjection
from projections.expectations import ExpectationsProjection
from projections.framework import Projection, SqlView
from projections.metrics import MetricsProjection
from projections.open_items import OpenItemsProjection
from projections.search import SearchProjection

ALL_PROJECTIONS: tuple[type[Projection], ...] = (
    AuditProjection,
    CommitmentsProjection,
    ExpectationsProjection,
    OpenItemsProjection,
    MetricsProjection,
    SearchProjection,
)

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking ("
    "view TEXT NOT NULL, generation BIGINT NOT NULL, position BIGINT NOT NULL, "
    "active INTEGER NOT NULL, PRIMARY KEY (view, generation))"
)


#: Which table layout each generation of a view was built with: a view whose code now declares
#: other tables (an upgrade) gets a new generation, built from position zero.
LAYOUT_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_layouts ("
    "view TEXT NOT NULL, generation BIGINT NOT NULL, layout TEXT NOT NULL, "
    "PRIMARY KEY (view, generation))"
)

#: One row per running runner (process), written every few seconds: what ``status`` shows.
RUNNERS_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_runners ("
    "runner TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, state TEXT NOT NULL, "
    "failures BIGINT NOT NULL, last_error TEXT, last_error_at TEXT, heartbeat_at BIGINT NOT NULL)"
)
#: Seconds between heartbeats of a healthy runner.
HEARTBEAT_SECONDS = 2.0
#: A runner whose heartbeat is older than this is presumed gone (stopped, killed, cut off).
HEARTBEAT_TIMEOUT_SECONDS = 30.0

log = logging.getLogger("accord.projections")


def layout_of(projection: Projection) -> str:
    """A fingerprint of the tables ``projection`` declares (names, columns, keys, indexes)."""
    ddl = "\n".join(s for t in projection.tables for s in t.ddl(0, "sqlite"))
    return hashlib.sha256(ddl.encode()).hexdigest()[:16]


class UnknownViewError(LookupError):
    pass


@dataclass(frozen=True)
class ViewStatus:
    name: str
    generation: int
    position: int
    head: int
    rebuilding_generation: int | None
    rebuilding_position: int | None

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


Progress = Callable[[int, int], None]  # (position reached, head)


@dataclass(frozen=True)
class RunnerStatus:
    """A runner's last heartbeat (see :data:`RUNNERS_DDL`)."""

    runner: str
    host: str
    pid: int
    state: str
    failures: int
    last_error: str | None
    last_error_at: str | None
    heartbeat_age_seconds: float

    @property
    def alive(self) -> bool:
        return self.heartbeat_age_seconds <= HEARTBEAT_TIMEOUT_SECONDS and self.state != "stopped"


@dataclass(frozen=True)
class ViewHealth:
    """A view as an operator sees it: ``current`` (at the head), ``catching_up`` (behind, a
    runner is on it), ``erroring`` (behind, and the runners on it fail: ``last_error``) or
    ``stalled`` (behind, and no runner has been heard of for
    :data:`HEARTBEAT_TIMEOUT_SECONDS`)."""

    name: str
    position: int
    head: int
    state: str
    last_error: str | None = None

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


@dataclass(frozen=True)
class Freshness:
    """How far the live views are behind the log: ``behind`` events, the oldest of them
    recorded ``seconds`` ago (0 when none is missing). ``stale`` when ``seconds`` exceeds the
    bound the caller gave."""

    position: int
    head: int
    seconds: float
    stale: bool

    @property
    def behind(self) -> int:
        return max(0, self.head - self.position)


class ProjectionRunner:
    """Keeps the SQL views of ``ledger`` up to date (see the module docstring)."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        db: SqlDatabase | None = None,
        projections: Sequence[type[Projection]] = ALL_PROJECTIONS,
        batch_size: int = 10_000,
    ) -> None:
        self.ledger = ledger
        # The views are derived: their commits need atomicity, not an fsync each (see SqlDatabase).
        self.db = db or SqlDatabase(ledger.storage, durable=False)
        self._owns_db = db is None
        self.projections = {p.name: p() for p in projections}
        self.batch_size = batch_size
        self._caught_up = threading.Condition()
        self._stop = threading.Event()
        self.health = LoopHealth("projections")
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._last_heartbeat = 0.0
        self._running = False
        self.setup()

    # ------------------------------------------------------------------------ set-up

    def setup(self) -> None:
        """Create the tracking table, and generation 1 of every view that has none; a view
        whose active generation was built with other tables than the code declares now (or
        with tables of unknown layout, from before layouts were kept) starts a new generation
        from position zero, which the runner then catches up."""
        self.db.ensure_schema([TRACKING_DDL, LAYOUT_DDL, RUNNERS_DDL])
        for name, projection in self.projections.items():
            with self.db.transaction() as tx:
                tx.execute("SELECT COUNT(*) FROM projection_tracking WHERE view = ?", (name,))
                row = tx.fetchone()
                if row is not None and row[0] == 0:
                    tx.execute(
                        "INSERT INTO projection_tracking (view, generation, position, active) "
                        "VALUES (?, 1, 0, 1) ON CONFLICT (view, generation) DO NOTHING",
                        (name,),
                    )
            stale = self._check_layout(name, layout_of(projection))
            self._create_tables(projection, self.active_generation(name))
            if stale is not None:
                self.db.execute_script(
                    [s for t in projection.tables for s in t.drop(stale, self.db.dialect)]
                )

    def _check_layout(self, name: str, layout: str) -> int | None:
        """Make sure the active generation of ``name`` has ``layout``; returns the generation
        replaced, if one was."""
        generations = self._generations(name)
        active, position = next((g, p) for g, p, a in generations if a)
        with self.db.transaction() as tx:
            tx.execute(
                "SELECT layout FROM projection_layouts WHERE view = ? AND generation = ?",
                (name, active),
            )
            row = tx.fetchone()
            if row is not None and row[0] == layout:
                return None
            if row is None and position == 0:  # new: nothing built yet
                tx.execute(
                    "INSERT INTO projection_layouts (view, generation, layout) VALUES (?, ?, ?) "
                    "ON CONFLICT (view, generation) DO NOTHING",
                    (name, active, layout),
                )
                return None
            new = max(g for g, _, _ in generations) + 1
            log.warning(
                "view %s: its tables changed since generation %s was built; "
                "building generation %s from position 0",
                name,
                active,
                new,
            )
            tx.execute(
                "INSERT INTO projection_tracking (view, generation, position, active) "
                "VALUES (?, ?, 0, 1) ON CONFLICT (view, generation) DO NOTHING",
                (name, new),
            )
            tx.execute(
                "UPDATE projection_tracking SET active = 0 WHERE view = ? AND generation <> ?",
                (name, new),
            )
            tx.execute(
                "INSERT INTO projection_layouts (view, generation, layout) VALUES (?, ?, ?) "
                "ON CONFLICT (view, generation) DO NOTHING",
                (name, new, layout),
            )
            return active

    def _create_tables(self, projection: Projection, generation: int) -> None:
        self.db.ensure_schema(
            [s for t in projection.tables for s in t.ddl(generation, self.db.dialect)]
        )

    def close(self) -> None:
        self.stop()
        if self._owns_db:
            self.db.close()

    # --------------------------------------------------------------------- tracking

    def _generations(self, name: str) -> list[tuple[int, int, int]]:
        rows = self.db.query(
            "SELECT generation, position, active FROM projection_tracking WHERE view = ? "
            "ORDER BY generation",
            (name,),
        )
        return [(int(g), int(p), int(a)) for g, p, a in rows]

    def active_generation(self, name: str) -> int:
        for generation, _, active in self._generations(self._known(name)):
            if active:
                return generation
        raise UnknownViewError(name)

    def view(self, name: str) -> SqlView:
        """The active SQL view of ``name``, for queries."""
        projection = self.projections[self._known(name)]
        return SqlView(projection.tables, self.active_generation(name), self.db)

    def _known(self, name: str) -> str:
        if name not in self.projections:
            known = ", ".join(self.projections)
            raise UnknownViewError(f"no view named {name!r} (views: {known})")
        return name

    def head(self) -> int:
        return self.ledger.event_log.head()

    def status(self) -> list[ViewStatus]:
        head = self.head()
        statuses = []
        for name in self.projections:
            generations = self._generations(name)
            active = next((g, p) for g, p, a in generations if a)
            building = [(g, p) for g, p, a in generations if not a and g > active[0]]
            statuses.append(
                ViewStatus(
                    name=name,
                    generation=active[0],
                    position=active[1],
                    head=head,
                    rebuilding_generation=building[-1][0] if building else None,
                    rebuilding_position=building[-1][1] if building else None,
                )
            )
        return statuses

    # -------------------------------------------------------------------- catching up

    def run_once(self) -> int:
        """Apply the next batch to every active view that is behind (a rebuild feeds its own
        generation), all views in one transaction. Returns the number of events read (0 when
        all are caught up)."""
        rows = self.db.query(
            "SELECT view, generation, position FROM projection_tracking WHERE active = 1", ()
        )
        targets = [(str(v), int(g), int(p)) for v, g, p in rows if v in self.projections]
        if not targets:
            return 0
        start = min(position for _, _, position in targets)
        with _collector_paused():
            read = self._read_and_apply(targets, start)
        self._notify_caught_up()
        return read

    def _read_and_apply(self, targets: Sequence[tuple[str, int, int]], start: int) -> int:
        """Read the batch after ``start``, decode it once, apply it to ``targets``; returns the
        number of events read (0: nothing after ``start``)."""
        log = self.ledger.event_log
        notifications = log.after(start, self.batch_size)
        if not notifications:
            return 0
        decode = log.decode_for_views  # an old event's NUL as U+FFFD: see its docstring
        events = [(n.id, decode(n)) for n in notifications]
        self._apply_all(targets, events)
        return len(events)

    def _apply(
        self, name: str, generation: int, expected: int, events: Sequence[tuple[int, Any]]
    ) -> bool:
        """Apply ``events`` to one generation of one view, exactly once. False if another
        runner got there first (nothing written)."""
        return bool(self._apply_all([(name, generation, expected)], events))

    def _apply_all(
        self, targets: Sequence[tuple[str, int, int]], events: Sequence[tuple[int, Any]]
    ) -> list[tuple[str, int]]:
        """Apply ``events`` (in position order) to several views in ONE transaction, each
        exactly once: a view at ``expected`` gets the events after it, and its tracking row moves
        from ``expected`` to the last position by compare-and-set before any of its rows are
        written. A view another runner moved first is skipped (none of its rows written); a
        failure anywhere rolls back every view. Returns the ``(view, generation)`` applied."""
        positions = [p for p, _ in events]
        last = positions[-1]
        applied: list[tuple[str, int, int]] = []
        with self.db.transaction() as tx:
            # Always in the same order, so two runners on PostgreSQL lock the tracking rows in
            # the same order (no deadlock): the second waits, then finds the positions moved.
            for name, generation, expected in sorted(targets):
                if expected >= last:
                    continue
                tx.execute(
                    "UPDATE projection_tracking SET position = ? "
                    "WHERE view = ? AND generation = ? AND position = ?",
                    (last, name, generation, expected),
                )
                if tx.rowcount == 1:
                    applied.append((name, generation, expected))
            for name, generation, expected in applied:
                projection = self.projections[name]
                view = SqlView(projection.tables, generation, self.db)
                handle = projection.handle
                view.begin(tx)
                try:
                    for position, event in events[bisect.bisect_right(positions, expected) :]:
                        handle(view, event, position)
                    view.flush(last=True)
                finally:
                    view.end()
        return [(name, generation) for name, generation, _ in applied]

    def catch_up(self, progress: Progress | None = None) -> int:
        """Run batches until every view has reached the head; returns events read."""
        total = 0
        while True:
            n = self.run_once()
            total += n
            if progress is not None:
                progress(min(s.position for s in self.status()), self.head())
            if n == 0:
                return total

    def run_forever(self, poll_interval: float = 0.2, backoff: Backoff | None = None) -> None:
        """Catch up, then poll for new events until :meth:`stop`. A batch that fails (the
        database restarts, a connection drops) is retried after a growing pause, from the
        positions the database holds; the runner's state and last error are in
        :attr:`health` and in its heartbeat row."""
        self._stop.clear()
        self._running = True

        def step() -> float:
            read = self.run_once()
            self._heartbeat()
            return 0.0 if read else poll_interval

        try:
            run_resiliently(
                step,
                stop=self._stop,
                health=self.health,
                backoff=backoff or Backoff(first=0.2, longest=2.0),
                after_failure=lambda: self._heartbeat(force=True),
            )
        finally:
            self._running = False
            try:
                self._heartbeat(force=True)
            except Exception as e:
                log.debug("last heartbeat not written: %s", e)

    # ---------------------------------------------------------------------- state

    def _heartbeat(self, *, force: bool = False) -> None:
        """Write this runner's state (at most every :data:`HEARTBEAT_SECONDS` unless
        ``force``, or when the state changed)."""
        now = time.monotonic()
        report = self.health.report
        if not force and now - self._last_heartbeat < HEARTBEAT_SECONDS:
            return
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO projection_runners (runner, host, pid, state, failures, last_error, "
                "last_error_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (runner) DO UPDATE SET state = excluded.state, "
                "failures = excluded.failures, last_error = excluded.last_error, "
                "last_error_at = excluded.last_error_at, heartbeat_at = excluded.heartbeat_at",
                (
                    self.runner_id,
                    socket.gethostname(),
                    os.getpid(),
                    report.state,
                    report.failures,
                    report.last_error,
                    report.as_dict()["last_error_at"],
                    int(time.time() * 1000),
                ),
            )
            # Runners gone for a day are forgotten.
            tx.execute(
                "DELETE FROM projection_runners WHERE heartbeat_at < ?",
                (int(time.time() * 1000) - 86_400_000,),
            )
        self._last_heartbeat = now

    def runners(self) -> list[RunnerStatus]:
        """The heartbeats of every runner of this database (this one included, if running)."""
        now = time.time() * 1000
        rows = self.db.query(
            "SELECT runner, host, pid, state, failures, last_error, last_error_at, heartbeat_at "
            "FROM projection_runners ORDER BY runner",
            (),
        )
        return [
            RunnerStatus(
                runner=str(r[0]),
                host=str(r[1]),
                pid=int(r[2]),
                state=str(r[3]),
                failures=int(r[4]),
                last_error=r[5],
                last_error_at=r[6],
                heartbeat_age_seconds=max(0.0, (now - int(r[7])) / 1000),
            )
            for r in rows
        ]

    def view_health(self) -> list[ViewHealth]:
        """Every view's state (see :class:`ViewHealth`), from the tracking rows and the
        heartbeats of every runner of this database, this one's own state included."""
        alive = [r for r in self.runners() if r.alive and r.runner != self.runner_id]
        own = self.health.report
        states = [(r.state, r.last_error) for r in alive]
        if self._running:  # this process runs it: starting counts as working
            state = "running" if own.state == "starting" else own.state
            states.append((state, own.last_error))
        working = any(state == "running" for state, _ in states)
        errors = [error for state, error in states if state == "retrying"]
        views = []
        for s in self.status():
            if s.lag == 0:
                state, error = "current", None
            elif errors and not working:
                state, error = "erroring", errors[0]
            elif not states:
                state, error = "stalled", None
            else:
                state, error = "catching_up", None
            views.append(ViewHealth(s.name, s.position, s.head, state, error))
        return views

    @property
    def report(self) -> LoopReport:
        """This runner's own state (``starting`` until :meth:`run_forever` runs a step)."""
        return self.health.report

    def freshness(self, bound_seconds: float, names: Sequence[str] | None = None) -> Freshness:
        """How far ``names`` (default: all views) are behind the log, measured by the age of
        the oldest event they have not applied (its recorded time)."""
        head = self.head()
        position = self.position(names)
        seconds = 0.0
        if position < head:
            log = self.ledger.event_log
            missing = log.after(position, 1)
            if missing:
                recorded = log.decode(missing[0]).timestamp
                seconds = max(0.0, (datetime.now(UTC) - recorded).total_seconds())
        return Freshness(position, head, round(seconds, 3), seconds > bound_seconds)

    def start_in_background(self, poll_interval: float = 0.2) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever, args=(poll_interval,), name="accord-projections", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    # ---------------------------------------------------------------- read-your-writes

    def position(self, names: Sequence[str] | None = None) -> int:
        """The position every one of ``names`` (default: all views) has reached."""
        wanted = names or list(self.projections)
        rows = self.db.query("SELECT view, position FROM projection_tracking WHERE active = 1", ())
        reached = {str(v): int(p) for v, p in rows}
        return min(reached.get(self._known(n), 0) for n in wanted)

    def wait_for(
        self, position: int, timeout: float = 5.0, names: Sequence[str] | None = None
    ) -> bool:
        """Block until the views have applied ``position`` (a command's ``Recorded.position``)
        or ``timeout`` seconds pass; True if reached. Works across processes (it polls)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.position(names) >= position:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._caught_up:
                self._caught_up.wait(min(remaining, 0.05))

    def _notify_caught_up(self) -> None:
        with self._caught_up:
            self._caught_up.notify_all()

    # ------------------------------------------------------------------------ rebuild

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Rebuild ``name`` from position zero into a new generation, then switch to it.
        The live view serves until the switch. Returns the new generation."""
        projection = self.projections[self._known(name)]
        generations = self._generations(name)
        new = max(g for g, _, _ in generations) + 1
        self._create_tables(projection, new)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO projection_tracking (view, generation, position, active) "
                "VALUES (?, ?, 0, 0)",
                (name, new),
            )
            tx.execute(
                "INSERT INTO projection_layouts (view, generation, layout) VALUES (?, ?, ?) "
                "ON CONFLICT (view, generation) DO NOTHING",
                (name, new, layout_of(projection)),
            )
        position = 0
        while True:
            with _collector_paused():
                read = self._read_and_apply([(name, new, position)], position)
            if not read:
                break
            # Where the new generation is now (another runner may have moved it first).
            position = next(p for g, p, _ in self._generations(name) if g == new)
            if progress is not None:
                progress(position, self.head())
        with self.db.transaction() as tx:
            tx.execute("UPDATE projection_tracking SET active = 0 WHERE view = ?", (name,))
            tx.execute(
                "UPDATE projection_tracking SET active = 1 WHERE view = ? AND generation = ?",
                (name, new),
            )
            for old, _, _ in generations:
                if old < new - 1:
                    for table in ("projection_tracking", "projection_layouts"):
                        tx.execute(
                            f"DELETE FROM {table} WHERE view = ? AND generation = ?", (name, old)
                        )
        for old, _, _ in generations:
            if old < new - 1:
                self.db.execute_script(
                    [s for t in projection.tables for s in t.drop(old, self.db.dialect)]
                )
        return new


_paused_lock = threading.Lock()
_paused_batches = 0
_collector_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is read, decoded and applied.

    A batch keeps thousands of decoded events and rows alive; each of them survives the young
    collections, so full collections (which walk every object of the process) would run again
    and again during the batch — measured at a fifth of the catch-up time. What the batch
    allocates is freed by reference counting when it ends; the collector runs again (if it was
    running) as soon as no batch is being applied, in any thread of the process.
    """
    global _paused_batches, _collector_was_enabled
    with _paused_lock:
        if _paused_batches == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _paused_batches += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused_batches -= 1
            if _paused_batches == 0 and _collector_was_enabled:
                gc.enable()
