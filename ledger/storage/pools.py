"""PostgreSQL connection pools that recover at once after a database restart.

Both pools (eventsourcing's, for the events, and :class:`ledger.storage.sql.SqlDatabase`'s, for
our tables) test a connection before handing it out (``psycopg_pool``'s ``check``), so no
request is given a connection the restart killed. But ``psycopg_pool`` waits between two failed
checks (1 s, then 2, 4...): with five dead connections in the pool, the first request after a
restart waited more than ten seconds and then failed (measured here). So when one pooled
connection is found dead, :func:`sweeping_check` has the pool test all its idle connections at
once (``ConnectionPool.check()``, which replaces the dead ones): the next connection handed out
is a live one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from psycopg_pool import ConnectionPool


def sweeping_check(pool: ConnectionPool[Any]) -> Callable[[Any], None]:
    """A ``check`` callback for ``pool``: test the connection; if it is dead, sweep the pool
    (test every idle connection, replacing the dead) before saying so."""
    sweeping = threading.Lock()

    def check(conn: Any) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            if sweeping.acquire(blocking=False):  # one sweep at a time is enough
                try:
                    pool.check()
                finally:
                    sweeping.release()
            raise

    return check


def install_sweeping_check(pool: ConnectionPool[Any]) -> None:
    """Give an existing pool :func:`sweeping_check` (``_check`` is the attribute psycopg_pool
    3.2-3.3 keeps its ``check`` callback in; pinned by tests/unit/test_pools.py)."""
    pool._check = sweeping_check(pool)
