"""The integrity tables, beside the events in the ledger's database.

* ``integrity_leaves`` — one row per sealed event: its leaf index (0-based, the order of
  positions), its position, and its leaf hash. Level 0 of the tree.
* ``integrity_nodes`` — every complete (perfect) subtree root above the leaves, by
  ``(level, node_index)``: the node covers leaves ``[i << level, (i + 1) << level)``.
  Written once, when the subtree fills up (``CompactRange``'s ``on_node``), never changed.
* ``integrity_state`` — one row: the sealed size, the last sealed position, the frontier (the
  roots of the perfect subtrees covering the sealed leaves, largest first, concatenated) and when
  it was last sealed. Sealers advance it with a compare-and-set on the size.
* ``integrity_checkpoints`` — every signed checkpoint (C2SP signed note), by tree size.
"""

from __future__ import annotations

import threading
import weakref
from typing import Final

from ledger.storage.sql import SqlDatabase

LEAVES: Final = "integrity_leaves"
NODES: Final = "integrity_nodes"
STATE: Final = "integrity_state"
CHECKPOINTS: Final = "integrity_checkpoints"

_SQLITE: Final = (
    # INTEGER PRIMARY KEY: the leaf index is the rowid itself (no second b-tree).
    f"CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index INTEGER PRIMARY KEY,"
    " position BIGINT NOT NULL UNIQUE, leaf_hash BLOB NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, node_index BIGINT NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY (level, node_index)) WITHOUT ROWID",
)
_POSTGRES: Final = (
    f"CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index BIGINT PRIMARY KEY,"
    " position BIGINT NOT NULL UNIQUE, leaf_hash BYTEA NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, node_index BIGINT NOT NULL,"
    " hash BYTEA NOT NULL, PRIMARY KEY (level, node_index))",
)
_COMMON: Final = (
    f"CREATE TABLE IF NOT EXISTS {STATE} (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " size BIGINT NOT NULL, last_position BIGINT NOT NULL, frontier BLOB NOT NULL,"
    " sealed_at TEXT)",
    f"INSERT INTO {STATE} (id, size, last_position, frontier) VALUES (1, 0, 0, ?)"
    " ON CONFLICT (id) DO NOTHING",
    f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (size BIGINT PRIMARY KEY, root BLOB NOT NULL,"
    " note TEXT NOT NULL, created_at TEXT NOT NULL)",
)

_ready: weakref.WeakSet[SqlDatabase] = weakref.WeakSet()
_lock = threading.Lock()


def ensure_schema(db: SqlDatabase) -> None:
    """Create the integrity tables if missing (once per :class:`SqlDatabase`)."""
    if db in _ready:
        return
    with _lock:
        if db in _ready:
            return
        try:
            _create(db)
        except Exception:
            # Two processes creating the tables at the same moment can collide on PostgreSQL's
            # catalogue; the second attempt finds them made.
            _create(db)
        _ready.add(db)


def _create(db: SqlDatabase) -> None:
    with db.transaction() as tx:
        for statement in _SQLITE if db.dialect == "sqlite" else _POSTGRES:
            tx.execute(statement)
        for statement in _COMMON:
            tx.execute(statement, (b"",) if "?" in statement else ())
