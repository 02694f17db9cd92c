"""psycopg_pool keeps its ``check`` callback in ``_check`` (ledger.storage.pools relies on it)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from ledger.storage.pools import install_sweeping_check


def test_the_pool_keeps_its_check_where_the_sweep_is_installed() -> None:
    def check(conn: object) -> None:
        return None

    pool: ConnectionPool = ConnectionPool("", open=False, check=check)
    assert pool._check is check
    install_sweeping_check(pool)
    assert pool._check is not check
    assert callable(pool._check)
