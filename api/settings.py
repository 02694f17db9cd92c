"""Settings of the API process, read from the environment (``ACCORD_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ledger.storage.settings import database_url_from_environment


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url_from_environment)
    host: str = field(default_factory=lambda: os.environ.get("ACCORD_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: _int("ACCORD_PORT", 8000))
    #: Largest request body accepted (bytes); larger ones are answered 413.
    max_body_bytes: int = field(default_factory=lambda: _int("ACCORD_MAX_BODY_BYTES", 1 << 20))
    #: Largest upload accepted by the import routes (bytes): a mailbox or minutes file.
    max_upload_bytes: int = field(default_factory=lambda: _int("ACCORD_MAX_UPLOAD_BYTES", 64 << 20))
    #: How long one Server-Sent Events response lasts at most before the client reconnects
    #: with ``Last-Event-ID`` (seconds). Bounded so that no connection is held for ever.
    sse_max_seconds: float = field(default_factory=lambda: _float("ACCORD_SSE_MAX_SECONDS", 300.0))
    #: How often an idle event stream looks for new events (seconds).
    sse_poll_seconds: float = field(default_factory=lambda: _float("ACCORD_SSE_POLL_SECONDS", 0.5))
    #: Seconds between keep-alive comments on an idle event stream.
    sse_keepalive_seconds: float = 15.0
    #: How many notifications one feed page looks at, at most, to find events the caller may
    #: read (a page may hold fewer events than asked; its ``next_after`` moves on regardless).
    feed_scan_limit: int = 2_000
    #: How many encoded feed events one process keeps (events never change; followers of the
    #: feed read the same recent ones over and over).
    feed_cache_events: int = 10_000
    #: Worker threads that run the (synchronous) endpoints of one process. Python runs one of
    #: them at a time; more threads let others work while one waits for the disk or the
    #: database (measured: 4 threads cost commands a fifth of their rate, docs/performance.md).
    worker_threads: int = field(default_factory=lambda: _int("ACCORD_WORKER_THREADS", 8))
    #: Run the projection runner in this process (``accord serve --no-projections`` to run it
    #: on its own with ``accord projections run``).
    run_projections: bool = field(
        default_factory=lambda: os.environ.get("ACCORD_RUN_PROJECTIONS", "1") not in ("0", "no")
    )
    #: Seconds between polls for new events by the in-process projection runner.
    projections_poll_seconds: float = 0.2
    #: How long a query with ``wait_for`` waits for the views (seconds).
    wait_for_seconds: float = 5.0
    #: A timeline or audit row recorded more than this many hours after it happened is marked
    #: a "late entry" (mail imports excepted: they are marked "imported").
    late_entry_hours: float = field(default_factory=lambda: _float("ACCORD_LATE_ENTRY_HOURS", 24.0))
    #: Seconds between the server's signed checkpoints of the log (0: none).
    checkpoint_seconds: float = field(
        default_factory=lambda: _float("ACCORD_CHECKPOINT_SECONDS", 300.0)
    )
    #: How long a stored Idempotency-Key answer is replayed (seconds).
    idempotency_ttl_seconds: int = 24 * 3600
    #: After how long a claimed Idempotency-Key whose request never finished may be retried.
    idempotency_stale_seconds: int = 60
    #: The project inbox's SMTP port inside this process (``accord serve --mail-port``); 0: off.
    mail_port: int = field(default_factory=lambda: _int("ACCORD_MAIL_PORT", 0))
    #: Where accepted mail waits until recorded (see docs/mail.md).
    mail_spool: str = field(
        default_factory=lambda: os.environ.get("ACCORD_MAIL_SPOOL", "accord-data/mail-spool")
    )
    #: A query answered from views whose oldest unapplied event is older than this (seconds)
    #: says it is stale (``Accord-Views-Stale`` header, ``views.stale`` field).
    stale_after_seconds: float = field(
        default_factory=lambda: _float("ACCORD_STALE_AFTER_SECONDS", 10.0)
    )
