"""Quick reads on the event loop when the ledger is embedded.

FastAPI runs a plain ``def`` endpoint in a worker thread: a trip there and back, and a thread
that then competes for the interpreter lock with the event loop and the other workers. For a
read that an embedded SQLite file answers in well under a millisecond (an item from the
aggregate cache, a page of the feed's kept documents), the trip costs more than the work, and
with 16 callers the competing threads are what stretches the slowest answers (docs/performance.md,
"Speed where people wait"). :func:`inline_when_embedded` turns such an endpoint into an
``async`` one that calls it straight away on SQLite, and still sends it to a worker thread on
PostgreSQL, where every read is a network round trip that must not hold up the loop.

Only for reads bounded in size (one item, one page): exports, bundles and uploads stay in
worker threads whatever the storage.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool

from api.bootstrap import Services
from ledger.service.application import Ledger

P = ParamSpec("P")
R = TypeVar("R")


def ledger_among(arguments: dict[str, Any]) -> Ledger | None:
    """The ledger among a call's arguments (itself, or the :class:`Services`' one)."""
    for value in arguments.values():
        if isinstance(value, Ledger):
            return value
        if isinstance(value, Services):
            return value.ledger
    return None


async def run_for(ledger: Ledger, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``work(*args, **kwargs)``: in line when ``ledger`` is an embedded SQLite file, in a
    worker thread otherwise (the one rule of this module, for dependencies too)."""
    if ledger.storage.is_sqlite:
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


def inline_when_embedded(endpoint: Callable[P, R]) -> Callable[P, Any]:
    """The ``def`` read endpoint ``endpoint`` as an ``async`` one: run in line on SQLite, in a
    worker thread otherwise. Its parameters must include the ledger or the services (the
    dependencies :data:`~api.deps.LedgerDep` or :data:`~api.deps.ServicesDep`)."""

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        ledger = ledger_among(kwargs)
        if ledger is None:
            return await run_in_threadpool(endpoint, *args, **kwargs)
        return await run_for(ledger, endpoint, *args, **kwargs)

    return run
