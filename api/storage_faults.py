"""What a client is told when the database is away: 503 with ``Retry-After``, never a 500.

* A save whose outcome could not be found out (:class:`~ledger.storage.outcome.OutcomeUnknownError`)
  is ``outcome-unknown``: "retry with the same Idempotency-Key". The response carries
  :data:`OUTCOME_HEADER` so that the Idempotency-Key middleware keeps the key (and remembers the
  events in doubt) instead of releasing it.
* Any other connection failure (the server restarting, the pool finding no connection in time,
  a SQLite file locked too long) is ``storage-unavailable``.
* A signing key that cannot be used — missing for a log that has checkpoints, another log's key,
  readable by others — is ``signing-key-unusable`` (the message names the key expected): the
  routes that sign (checkpoints, evidence bundles) cannot work until an operator restores it.
"""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from starlette.responses import Response

from api.problems import problem_response
from ledger.integrity.signing import KeyFileError
from ledger.storage.outcome import OutcomeUnknownError

log = logging.getLogger("accord.api")

#: Set on an ``outcome-unknown`` answer (read by :class:`api.middleware.IdempotencyMiddleware`).
OUTCOME_HEADER = "Accord-Outcome"
RETRY_AFTER_SECONDS = "2"

UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)


def install_storage_fault_handlers(app: FastAPI) -> None:
    async def on_outcome_unknown(_: Request, exc: Exception) -> Response:
        log.warning("write outcome unknown: %s", exc)
        return problem_response(
            "outcome-unknown",
            "the database connection failed while the request was being stored and it is not "
            "known yet whether it was: retry with the same Idempotency-Key (a retry never "
            "stores it twice)",
            headers={"Retry-After": RETRY_AFTER_SECONDS, OUTCOME_HEADER: "unknown"},
        )

    async def on_unavailable(_: Request, exc: Exception) -> Response:
        log.warning("storage unavailable: %s", exc)
        return problem_response(
            "storage-unavailable",
            "the database is not answering; retry in a moment",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )

    async def on_key(_: Request, exc: Exception) -> Response:
        log.error("signing key: %s", exc)
        return problem_response("signing-key-unusable", str(exc))

    app.add_exception_handler(KeyFileError, on_key)
    app.add_exception_handler(OutcomeUnknownError, on_outcome_unknown)
    for error in UNAVAILABLE:
        app.add_exception_handler(error, on_unavailable)
