"""The base of the service layer: storage, serialisation, and the steps every command shares.

Commands live in ``ledger/service/commands/`` (one module per area) as mixins of
:class:`LedgerService`; :class:`ledger.service.application.Ledger` combines them into the one
``Application`` subclass the rest of the system talks to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, Recording, Transcoder

from ledger.domain.catalogue import not_found_error
from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import ConflictError
from ledger.domain.ids import derive_id
from ledger.domain.project import Member, Project, ProjectNotFoundError
from ledger.domain.time import due_at_for, require_plausible_due
from ledger.integrity.checkpoints import CheckpointHead, CheckpointStore
from ledger.storage import outcome
from ledger.storage.availability import check_storage
from ledger.storage.eventlog import EventLog
from ledger.storage.pools import install_sweeping_check
from ledger.storage.settings import Storage, parse_database_url
from ledger.storage.sql import SqlDatabase, prepare_sqlite_file
from ledger.storage.transcoding import OrjsonTranscoder, StrictMapper

A = TypeVar("A", bound=LedgerAggregate)

#: A project the current request has just read (see :meth:`LedgerService.remember_project`).
_CHECKED_PROJECT: ContextVar[Project | None] = ContextVar("accord_checked_project", default=None)


class VersionMismatchError(ConflictError):
    """The caller's expected version (``If-Match``) is not the item's current version."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the item is at version {actual}")
        self.expected = expected
        self.actual = actual


class Recorded(NamedTuple):
    """What every command returns: the item's id, its version after the command (the ``ETag``),
    and the notification position of the last event stored (0 when the command was a retry
    that stored nothing) — wait for the projections to reach it to read your own write."""

    id: UUID
    version: int
    position: int


class Step(NamedTuple, Generic[A]):
    """What a step on an existing item starts from (see :meth:`LedgerService.step_in`)."""

    project: Project
    act: Act
    item: A


class LedgerService(Application[UUID]):
    name = "accord"
    env: ClassVar[dict[str, str]] = {
        # Long-lived aggregates (a project, a busy commitment) stay in memory; fast-forward
        # keeps cached copies current when another process writes.
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }

    def __init__(self, database_url: str | None = None, env: Mapping[str, str] | None = None):
        self.storage: Storage = parse_database_url(database_url)
        check_storage(self.storage)  # StorageUnavailableError: one line, at once
        if self.storage.is_sqlite:
            prepare_sqlite_file(self.storage.env["SQLITE_DBNAME"])
        super().__init__(env={**self.storage.env, **(env or {})})
        datastore = getattr(self.recorder, "datastore", None)
        if datastore is not None and getattr(datastore, "pre_ping", False):
            install_sweeping_check(datastore.pool)  # see ledger.storage.pools
        self._sql: SqlDatabase | None = None  # opened on first use
        self._sql_lock = threading.Lock()

    @property
    def event_log(self) -> EventLog:
        """The one reader of the event log's tables (positions, pages, versions)."""
        return EventLog(self, lambda: self.sql)

    @property
    def sql(self) -> SqlDatabase:
        """The ledger's database through our own connections (for the reads by position and
        the integrity checkpoints), opened on first use and closed with the application."""
        with self._sql_lock:
            if self._sql is None:
                self._sql = SqlDatabase(self.storage)
            return self._sql

    def close(self) -> None:
        with self._sql_lock:
            db, self._sql = self._sql, None
        if db is not None:
            db.close()
        super().close()

    def latest_checkpoint_head(self) -> CheckpointHead | None:
        """The latest kept checkpoint of the tamper-evident log (``None`` before the first)."""
        return CheckpointStore(self.sql).latest_head()

    # ------------------------------------------------------------------- infrastructure

    def construct_transcoder(self) -> Transcoder:
        return OrjsonTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=StrictMapper
        )

    # ----------------------------------------------------------------- shared steps

    @staticmethod
    def new_id(kind: str, project_id: UUID | None, idempotency_key: str | None) -> UUID:
        """A fresh id, or — given an idempotency key — the same id for the same key, so a
        retried command finds its first result instead of recording twice."""
        if idempotency_key is None:
            return uuid4()
        return derive_id(kind, project_id or "", idempotency_key)

    def get_project(self, project_id: UUID, *, for_update: bool = False) -> Project:
        """The project, current (the cache fast-forwards). Only ``for_update`` callers get their
        own copy; the others share the cached instance and must not change it (no copy keeps
        the membership check of every command cheap). After :meth:`remember_project` in the
        same context, that project is answered again without asking the database."""
        checked = _CHECKED_PROJECT.get()
        pinned = self._pinned_version(project_id)
        if checked is not None and checked.id == project_id and not for_update and not pinned:
            return checked
        try:
            project: object = self.repository.get(
                project_id, deepcopy_from_cache=for_update, version=pinned
            )
        except AggregateNotFoundError:
            raise ProjectNotFoundError(f"project {project_id} not found") from None
        if not isinstance(project, Project):
            raise ProjectNotFoundError(f"project {project_id} not found")
        return project

    @staticmethod
    def remember_project(project: Project) -> None:
        """Let the rest of the current context (one HTTP request: its dependencies, then its
        endpoint in a worker thread, which runs in a copy of the context) take ``project`` as
        current instead of fast-forwarding it again: one query fewer per command. Saving the
        project forgets it. The snapshot is as current as a check made a moment before the
        command, which the command could never rule out anyway (the project is not saved by
        commands on its items, so a change to it between the check and the save was always
        possible)."""
        _CHECKED_PROJECT.set(project)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        checked = _CHECKED_PROJECT.get()
        if checked is not None and any(isinstance(o, Project) and o.id == checked.id for o in objs):
            _CHECKED_PROJECT.set(None)
        return super().save(*objs, **kwargs)

    def get_item(
        self, cls: type[A], project_id: UUID, item_id: UUID, error: type[Exception] | None = None
    ) -> A:
        """The ``cls`` aggregate ``item_id`` of project ``project_id``, or ``error`` (by default
        the aggregate's own, see :func:`~ledger.domain.catalogue.not_found_error`). An item of
        another project is "not found", never disclosed."""
        error = error or not_found_error(cls)
        try:
            item: object = self.repository.get(item_id, version=self._pinned_version(item_id))
        except AggregateNotFoundError:
            raise error(f"{cls.__name__.lower()} {item_id} not found") from None
        if not isinstance(item, cls) or item.project_id != project_id:
            raise error(f"{cls.__name__.lower()} {item_id} not found")
        return item

    def membership(self, project_id: UUID, email: str) -> tuple[Project, Member]:
        """The project and ``email``'s membership of it, for reads. Someone who is not a member
        gets the same :class:`ProjectNotFoundError` as for a project that does not exist, so a
        project's existence does not leak."""
        project = self.get_project(project_id)
        member = project.members.get(email)
        if member is None:
            raise ProjectNotFoundError(f"project {project_id} not found")
        return project, member

    def act_in(
        self,
        project_id: UUID,
        actor: str,
        *,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
    ) -> tuple[Project, Act]:
        """Check that ``actor`` may record in the project and build the act's envelope."""
        act = Act(actor, occurred_at=occurred_at, attributed_to=attributed_to)
        project = self.get_project(project_id)
        project.require_recorder(act)
        return project, act

    def step_in(
        self,
        cls: type[A],
        actor: str,
        project_id: UUID,
        item_id: UUID,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Step[A]:
        """What every step on an existing item starts with: the actor may record in the project,
        and the item (of this project, at ``expected_version`` if given) is loaded for update.
        The arguments come in the order every command takes them."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        item = self.load_for_update(cls, project_id, item_id, expected_version)
        return Step(project, act, item)

    def require_consent(self, project_id: UUID, act: Act, step: str) -> None:
        """``step`` binds ``act.principal``: their own credential or their named delegate only
        (see :meth:`ledger.domain.project.Project.require_consent`)."""
        self.get_project(project_id).require_consent(act, step)

    @staticmethod
    def due_in(
        project: Project, value: date | datetime | None, field: str = "due_at"
    ) -> datetime | None:
        """A due time as the ledger stores it: an instant stays itself, a plain date is due by
        the end of that day in the project's time zone; a year that is clearly a typo is
        refused."""
        if value is None:
            return None
        if isinstance(value, date):
            require_plausible_due(value, field)
            return due_at_for(value, project.time_zone)
        return value  # not a date: the aggregate names what is wrong with it

    @staticmethod
    def require_members(project: Project, **people: str) -> None:
        """Each named person (keyword = the input field) is a current member."""
        for field, email in people.items():
            project.require_member(email, field)

    def load_for_update(
        self, cls: type[A], project_id: UUID, item_id: UUID, expected_version: int | None
    ) -> A:
        item = self.get_item(cls, project_id, item_id)
        self.check_version(item, expected_version)
        return item

    @staticmethod
    def _pinned_version(aggregate_id: UUID) -> int | None:
        """The version to read ``aggregate_id`` at when the command retries a save whose
        outcome was unknown (see :mod:`ledger.storage.outcome`); ``None``: the current one."""
        doubt = outcome.in_doubt()
        if doubt is None:
            return None
        return doubt.pins().get(aggregate_id)

    def _stored_already(self) -> bool:
        """True if this command retries a save in doubt and that save's events are stored
        (exactly its bytes, at its ids and versions)."""
        doubt = outcome.in_doubt()
        if doubt is None or not doubt.events:
            return False
        for event in doubt.events:
            stored = self.event_log.stored_event(
                UUID(event.originator_id), event.originator_version
            )
            if stored is None or outcome.digest(stored.state) != event.sha256:
                return False
        return True

    def save_changes(self, *aggregates: LedgerAggregate) -> Recorded:
        """Save atomically; a concurrent write to any of them is a :class:`ConflictError`.
        The result names the first aggregate, the one the command was about."""
        doubt = outcome.in_doubt()
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            if self._stored_already():  # the retry of a save that was stored after all
                assert doubt is not None
                doubt.settled = True
                return Recorded(aggregates[0].id, aggregates[0].version, 0)
            # The cache holds copies (deep-copied on get), so it is unharmed; fast-forward
            # brings it up to the other writer's events on the next get.
            raise ConflictError(
                "someone else changed this item at the same time; reload it and try again"
            ) from None
        if doubt is not None:
            doubt.settled = True
        return _recorded(aggregates[0], recordings)

    def create_once(self, new_id: UUID, build: Callable[[], Sequence[LedgerAggregate]]) -> Recorded:
        """Create the aggregates ``build()`` returns (the first one's id is ``new_id``) unless
        ``new_id`` already exists — then the command was a retry and nothing is stored.

        Only ids derived from a natural key (uuid5) can exist already, so only they are looked
        up first: a retry then answers with the first result even if the project changed
        since. A fresh random id skips the lookup."""
        if new_id.version == 5 and (existing := self._version_of(new_id)) is not None:
            return Recorded(new_id, existing, 0)
        aggregates = build()
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            if (existing := self._version_of(new_id)) is not None:
                return Recorded(new_id, existing, 0)  # a concurrent retry won the race
            raise ConflictError("a related item changed at the same time; try again") from None
        return _recorded(aggregates[0], recordings)

    def _version_of(self, aggregate_id: UUID) -> int | None:
        return self.event_log.version_of(aggregate_id)

    @staticmethod
    def check_version(item: LedgerAggregate, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != item.version:
            raise VersionMismatchError(expected_version, item.version)


def _recorded(aggregate: LedgerAggregate, recordings: Sequence[Recording[UUID]]) -> Recorded:
    position = max((r.notification.id or 0 for r in recordings), default=0)
    return Recorded(aggregate.id, aggregate.version, position)
