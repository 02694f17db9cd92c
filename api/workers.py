"""``accord serve --workers N``: N uvicorn worker processes answer HTTP; the background loops
(the projection runner, the periodic checkpoints, the inbox mail server) run once, in the
parent process that supervises them — not once per worker.

The workers are spawned (not forked) by uvicorn and build their app with :func:`worker_app`
from the environment: the parent sets ``ACCORD_RUN_PROJECTIONS=0``,
``ACCORD_CHECKPOINT_SECONDS=0`` and ``ACCORD_MAIL_PORT=0`` for them, and the database URL it
serves. Queries with ``wait_for`` in any worker wait for the one runner's progress, which is
kept in the database (``projection_tracking``), like ``accord serve --no-projections`` beside
``accord projections run``.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from fastapi import FastAPI

from api.bootstrap import background_loops, bootstrap
from api.settings import Settings
from ledger.storage.settings import DATABASE_URL_VARIABLE

#: What every worker process runs without: the parent runs these loops once.
WORKER_ENV = {
    "ACCORD_RUN_PROJECTIONS": "0",
    "ACCORD_CHECKPOINT_SECONDS": "0",
    "ACCORD_MAIL_PORT": "0",
}


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory), built from the environment."""
    from api.app import create_app

    app = create_app(Settings())
    gc.freeze()  # as `accord serve` does: see docs/performance.md, HTTP API
    return app


def serve_workers(settings: Settings, workers: int, **uvicorn_options: Any) -> None:
    """Serve with ``workers`` processes; the background loops run here, once."""
    import uvicorn

    os.environ[DATABASE_URL_VARIABLE] = settings.database_url
    os.environ.update(WORKER_ENV)  # inherited by the spawned workers only: settings is built
    with background_loops(bootstrap(settings)):
        uvicorn.run(
            "api.workers:worker_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            # A worker builds its app (opens the ledger, the views) before it answers the
            # parent's health check: on a busy machine that takes longer than uvicorn's 5 s.
            timeout_worker_healthcheck=60,
            **uvicorn_options,
        )
