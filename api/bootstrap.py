"""The services one API process runs on, built in one place from its settings.

:func:`bootstrap` opens the ledger (or takes the one given, for tests), the SQL database beside
its events, and the API's own stores on it. Routes reach them only through the dependencies of
:mod:`api.deps`. The projection runner (read models) is built here too; the app's lifespan
runs it in a background thread unless ``Settings.run_projections`` is off.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from api import calendar_tokens, idempotency, item_index, tokens
from api.calendar_tokens import CalendarTokenStore
from api.feed import EventFeed
from api.idempotency import IdempotencyStore
from api.item_index import ItemIndex
from api.settings import Settings
from api.tokens import TokenStore
from ledger.integrity.service import Integrity
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from ledger.storage.resilience import LoopHealth
from ledger.storage.sql import SqlDatabase
from projections.runner import ProjectionRunner

SCHEMA = (*tokens.SCHEMA, *calendar_tokens.SCHEMA, *idempotency.SCHEMA, *item_index.SCHEMA)


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    db: SqlDatabase
    #: The same database, for the item index: derived rows, committed without fsync on SQLite.
    derived_db: SqlDatabase
    tokens: TokenStore
    calendar_tokens: CalendarTokenStore
    documents: DocumentStore
    idempotency: IdempotencyStore
    index: ItemIndex
    feed: EventFeed
    runner: ProjectionRunner
    integrity: Integrity
    owns_ledger: bool = field(default=True, repr=False)
    #: The periodic checkpoints' state (the projection runner keeps its own: ``runner.health``).
    checkpoint_health: LoopHealth = field(default_factory=lambda: LoopHealth("checkpoints"))
    #: The inbox's spool loop, when ``accord serve --mail-port`` runs one.
    mail_health: LoopHealth | None = None

    def close(self) -> None:
        self.runner.close()
        self.integrity.close()
        self.db.close()
        self.derived_db.close()
        if self.owns_ledger:
            self.ledger.close()


def create_tables(db: SqlDatabase) -> None:
    """Create the API's tables if missing (retrying concurrent DDL, see ``ensure_schema``)."""
    db.ensure_schema(SCHEMA)


def bootstrap(settings: Settings, ledger: Ledger | None = None) -> Services:
    owns_ledger = ledger is None
    app_ledger = ledger if ledger is not None else Ledger(settings.database_url)
    db = SqlDatabase(app_ledger.storage)
    derived_db = SqlDatabase(app_ledger.storage, durable=False)
    try:
        create_tables(db)
    except Exception:
        db.close()
        derived_db.close()
        if owns_ledger:
            app_ledger.close()
        raise
    return Services(
        settings=settings,
        ledger=app_ledger,
        db=db,
        derived_db=derived_db,
        tokens=TokenStore(db),
        calendar_tokens=CalendarTokenStore(db),
        documents=DocumentStore(db),
        idempotency=IdempotencyStore(
            db,
            ttl_seconds=settings.idempotency_ttl_seconds,
            stale_seconds=settings.idempotency_stale_seconds,
        ),
        index=ItemIndex(derived_db, app_ledger.event_log, app_ledger.mapper),
        feed=EventFeed(
            app_ledger.event_log,
            app_ledger.mapper,
            scan_limit=settings.feed_scan_limit,
            cache_size=settings.feed_cache_events,
        ),
        runner=ProjectionRunner(app_ledger, db=derived_db),
        integrity=Integrity.for_ledger(app_ledger),
        owns_ledger=owns_ledger,
    )


@contextmanager
def background_loops(services: Services) -> Iterator[None]:
    """The projection runner, the periodic checkpoints and the mail server that ``services``'
    settings ask for, in threads of this process, for as long as the block runs; ``services``
    are closed at its end. ``accord serve`` runs them in its lifespan; ``--workers N`` in the
    supervising process only (api/workers.py)."""
    settings = services.settings
    runner = services.runner
    thread = (
        runner.start_in_background(settings.projections_poll_seconds)
        if settings.run_projections
        else None
    )
    stop_checkpoints = threading.Event()
    checkpoints = None
    if settings.checkpoint_seconds > 0:
        checkpoints = threading.Thread(
            target=services.integrity.checkpoint_periodically,
            args=(settings.checkpoint_seconds, stop_checkpoints, _log_checkpoint_error),
            kwargs={"health": services.checkpoint_health},
            name="accord-checkpoints",
            daemon=True,
        )
        checkpoints.start()
    mail = None
    if settings.mail_port:
        from api.mail.smtp import start_mail_server

        mail = start_mail_server(services)
        services.mail_health = mail.health
    try:
        yield
    finally:
        if mail is not None:
            mail.stop()
        stop_checkpoints.set()
        if checkpoints is not None:
            checkpoints.join(timeout=10)
        if thread is not None:
            runner.stop()
            thread.join(timeout=10)
        services.close()


def _log_checkpoint_error(error: Exception) -> None:
    logging.getLogger("accord.integrity").error("periodic checkpoint failed: %s", error)
