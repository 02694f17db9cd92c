"""The persistent, incremental Merkle log of every stored event (RFC 9162 §2.1).

Sealing appends the events stored since the last seal as leaves, in position order, and stores
every perfect subtree root they complete (``CompactRange``'s ``on_node``): the tree is never
rebuilt from all its leaves, and every proof is built from O(log n) stored nodes, fetched in
one or two queries.

Sealing is exactly-once, like a projection: one batch's leaves, its new nodes and the new state
(size, last position, frontier) are written in one transaction whose first statement is a
compare-and-set of the state on the size it started from. Two sealers racing on the same events
cannot both append them: the loser's compare-and-set matches no row and its transaction is
rolled back, then it carries on from the winner's state.

On PostgreSQL positions may have gaps (a rolled-back insert consumes its sequence value); the
leaf index is the rank of the position, and the leaf commits to the position itself. Commit
order equals position order there (eventsourcing locks the table for each insert), so a sealer
never sees a later position before an earlier one commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from ledger.integrity.merkle import (
    HASH_SIZE,
    CompactRange,
    NodeGetter,
    consistency_proof_from_nodes,
    inclusion_proof_from_nodes,
    root_from_nodes,
)
from ledger.integrity.records import EventTable, MalformedRecordError
from ledger.integrity.tables import LEAVES, NODES, STATE, ensure_schema
from ledger.storage.sql import SqlDatabase, Transaction

__all__ = [
    "InclusionProof",
    "LeafNotFoundError",
    "LogCorruptError",
    "LogState",
    "MerkleLog",
    "SealError",
    "SealResult",
]

T = TypeVar("T")

#: Events sealed per transaction by default.
SEAL_BATCH: Final = 10_000
_DUMMY: Final = bytes(HASH_SIZE)


class SealError(Exception):
    """Storage holds a row the log cannot seal (not in the form eventsourcing writes)."""


class LogCorruptError(Exception):
    """A stored node or leaf the tree needs is missing or malformed: run ``accord verify``."""


class LeafNotFoundError(LookupError):
    """No sealed leaf has this position (never stored, not sealed yet, or not in that tree)."""


@dataclass(frozen=True)
class LogState:
    """How far the log is sealed: ``size`` leaves, the last of them at ``last_position``."""

    size: int
    last_position: int
    frontier: tuple[bytes, ...]
    sealed_at: datetime | None

    def root(self) -> bytes:
        return CompactRange(self.size, self.frontier).root()


@dataclass(frozen=True)
class SealResult:
    sealed: int  # leaves appended by this call
    size: int
    root: bytes
    last_position: int


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``leaf_index`` (the event at ``position``, hash ``leaf_hash``) is in the tree of
    ``tree_size`` leaves: ``path`` is RFC 9162's audit path, leaf to root."""

    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]


class MerkleLog:
    """The log over eventsourcing's events table ``events`` in database ``db``."""

    def __init__(self, db: SqlDatabase, events: EventTable) -> None:
        self.db = db
        self.events = events
        ensure_schema(db)

    # ------------------------------------------------------------------------- state

    def state(self) -> LogState:
        rows = self.db.query(
            f"SELECT size, last_position, frontier, sealed_at FROM {STATE} WHERE id = 1"
        )
        if not rows:
            raise LogCorruptError(f"{STATE} has lost its row")
        return _state(rows[0])

    @property
    def size(self) -> int:
        return self.state().size

    # ------------------------------------------------------------------------ sealing

    def seal(
        self,
        *,
        batch_size: int = SEAL_BATCH,
        max_leaves: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> SealResult:
        """Append every stored event not sealed yet (at most ``max_leaves``), ``batch_size``
        per transaction. ``progress(sealed_so_far, total_to_seal)`` is called after each batch.
        Raises :class:`SealError` if storage holds a malformed row (nothing of it is sealed).
        """
        sealed = 0
        state = self.state()
        total = self.events.count(state.last_position) if progress else 0
        if max_leaves is not None:
            total = min(total, max_leaves)
        while max_leaves is None or sealed < max_leaves:
            limit = batch_size if max_leaves is None else min(batch_size, max_leaves - sealed)
            rows = self.events.raw_page(state.last_position, limit)
            if not rows:
                break
            try:
                hashes = [self.events.leaf_hash(row) for row in rows]
            except MalformedRecordError as e:
                raise SealError(
                    f"cannot seal position {e.position}: {e}; run `accord verify`"
                ) from None
            positions = [int(row[0]) for row in rows]
            nodes: list[tuple[int, int, bytes]] = []
            tree = CompactRange(state.size, state.frontier)
            tree.extend(hashes, _collect_inner(nodes))
            new_state = LogState(tree.size, positions[-1], tree.hashes, datetime.now(UTC))
            pairs = enumerate(zip(positions, hashes, strict=True), start=state.size)
            leaves = [(i, p, h) for i, (p, h) in pairs]
            if self._commit(state, new_state, leaves, nodes):
                sealed += len(rows)
                state = new_state
                if progress:
                    progress(sealed, max(total, sealed))
            else:
                state = self.state()  # another sealer got there first: go on from its state
        return SealResult(sealed, state.size, state.root(), state.last_position)

    def _commit(
        self,
        old: LogState,
        new: LogState,
        leaves: list[tuple[int, int, bytes]],
        nodes: list[tuple[int, int, bytes]],
    ) -> bool:
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE {STATE} SET size = ?, last_position = ?, frontier = ?, sealed_at = ?"
                " WHERE id = 1 AND size = ? AND last_position = ?",
                (
                    new.size,
                    new.last_position,
                    b"".join(new.frontier),
                    new.sealed_at.isoformat() if new.sealed_at else None,
                    old.size,
                    old.last_position,
                ),
            )
            if tx.rowcount != 1:
                return False  # nothing written yet: the transaction ends with nothing done
            _insert_many(tx, f"{LEAVES} (leaf_index, position, leaf_hash)", leaves)
            _insert_many(tx, f"{NODES} (level, node_index, hash)", nodes)
        return True

    # ------------------------------------------------------------------------- reading

    def leaf(self, position: int) -> tuple[int, bytes]:
        """``(leaf_index, leaf_hash)`` of the sealed event at ``position``."""
        rows = self.db.query(
            f"SELECT leaf_index, leaf_hash FROM {LEAVES} WHERE position = ?", (position,)
        )
        if not rows:
            raise LeafNotFoundError(f"no sealed event at position {position}")
        return int(rows[0][0]), bytes(rows[0][1])

    def leaves(self, positions: Iterable[int]) -> dict[int, tuple[int, bytes]]:
        """``position -> (leaf_index, leaf_hash)`` for those of ``positions`` that are sealed."""
        rows = self.db.query_in(
            f"SELECT position, leaf_index, leaf_hash FROM {LEAVES} WHERE position IN ({{marks}})",
            list(dict.fromkeys(positions)),
        )
        return {int(p): (int(i), bytes(h)) for p, i, h in rows}

    def leaf_page(self, start_index: int, limit: int) -> list[tuple[int, int, bytes]]:
        """Stored ``(leaf_index, position, leaf_hash)`` rows from ``start_index``, in order."""
        rows = self.db.query(
            f"SELECT leaf_index, position, leaf_hash FROM {LEAVES}"
            " WHERE leaf_index >= ? ORDER BY leaf_index LIMIT ?",
            (start_index, limit),
        )
        return rows  # both drivers give int, int, bytes: no per-row conversion (hot path)

    def nodes_in(self, level: int, first: int, last: int) -> dict[int, bytes]:
        """Stored nodes of ``level`` with ``first <= node_index <= last``."""
        rows = self.db.query(
            f"SELECT node_index, hash FROM {NODES}"
            " WHERE level = ? AND node_index >= ? AND node_index <= ?",
            (level, first, last),
        )
        return {int(i): bytes(h) for i, h in rows}

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (default: all sealed)."""
        state = self.state()
        if size is None or size == state.size:
            return state.root()
        self._require_sealed(size, state)
        return self._with_nodes(lambda get: root_from_nodes(get, size))

    def stored_root(self, size: int) -> bytes:
        """The root of the first ``size`` leaves computed from the stored nodes alone (the
        sealed frontier is not read): comparing it with :meth:`root` checks the two agree."""
        self._require_sealed(size, self.state())
        return self._with_nodes(lambda get: root_from_nodes(get, size))

    def inclusion_proof(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """The audit path of the event at ``position`` in the tree of ``tree_size`` leaves
        (default: all sealed). :class:`LeafNotFoundError` if that event is not a leaf of it."""
        index, leaf_hash = self.leaf(position)
        state = self.state()
        size = state.size if tree_size is None else tree_size
        self._require_sealed(size, state)
        if index >= size:
            raise LeafNotFoundError(
                f"the event at position {position} is leaf {index}, after a tree of {size} leaves"
            )
        path = self._with_nodes(lambda get: inclusion_proof_from_nodes(get, index, size))
        return InclusionProof(position, index, size, leaf_hash, tuple(path))

    def inclusion_proofs(
        self, positions: Sequence[int], tree_size: int
    ) -> dict[int, InclusionProof]:
        """Audit paths of several events into one tree, with one round of node look-ups."""
        state = self.state()
        self._require_sealed(tree_size, state)
        found = self.leaves(positions)
        for position in positions:
            if position not in found or found[position][0] >= tree_size:
                raise LeafNotFoundError(
                    f"the event at position {position} is not a leaf of the tree of {tree_size}"
                )

        def compute(get: NodeGetter) -> dict[int, list[bytes]]:
            return {p: inclusion_proof_from_nodes(get, found[p][0], tree_size) for p in positions}

        paths = self._with_nodes(compute)
        return {
            p: InclusionProof(p, found[p][0], tree_size, found[p][1], tuple(paths[p]))
            for p in positions
        }

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162's PROOF(old_size, D[new_size]) (default ``new_size``: all sealed)."""
        state = self.state()
        new = state.size if new_size is None else new_size
        self._require_sealed(new, state)
        if not 0 <= old_size <= new:
            raise ValueError(f"need 0 <= old size <= new size, got {old_size} and {new}")
        return self._with_nodes(lambda get: consistency_proof_from_nodes(get, old_size, new))

    # ----------------------------------------------------------------------- internals

    @staticmethod
    def _require_sealed(size: int, state: LogState) -> None:
        if not 0 <= size <= state.size:
            raise ValueError(f"tree size {size} is not sealed (the log has {state.size} leaves)")

    def _with_nodes(self, compute: Callable[[NodeGetter], T]) -> T:
        """Run ``compute`` twice: first with a getter that only notes which nodes it wants (the
        nodes a proof visits depend on sizes and indexes, never on hash values), then with the
        nodes fetched in one query per table."""
        wanted: set[tuple[int, int]] = set()

        def note(level: int, index: int) -> bytes:
            wanted.add((level, index))
            return _DUMMY

        compute(note)
        found = self._fetch_nodes(wanted)

        def get(level: int, index: int) -> bytes:
            try:
                return found[(level, index)]
            except KeyError:
                raise LogCorruptError(
                    f"stored node (level {level}, index {index}) is missing"
                ) from None

        return compute(get)

    def _fetch_nodes(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found: dict[tuple[int, int], bytes] = {}
        leaves = sorted(i for level, i in wanted if level == 0)
        inner = sorted((level, i) for level, i in wanted if level > 0)
        with self.db.transaction(write=False) as tx:
            for start in range(0, len(leaves), 500):
                chunk = leaves[start : start + 500]
                tx.execute(
                    f"SELECT leaf_index, leaf_hash FROM {LEAVES}"
                    f" WHERE leaf_index IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(((0, int(i)), _hash(h)) for i, h in tx.fetchall())
            for start in range(0, len(inner), 400):
                pairs = inner[start : start + 400]
                # An OR of key look-ups: both engines use the primary key for each (a row-value
                # IN list makes SQLite scan the table).
                marks = " OR ".join("(level = ? AND node_index = ?)" for _ in pairs)
                tx.execute(
                    f"SELECT level, node_index, hash FROM {NODES} WHERE {marks}",
                    [x for pair in pairs for x in pair],
                )
                found.update(((int(lv), int(i)), _hash(h)) for lv, i, h in tx.fetchall())
        return found


def _collect_inner(nodes: list[tuple[int, int, bytes]]) -> Callable[[int, int, bytes], None]:
    """An ``on_node`` that keeps the nodes above the leaves (the leaves have their own table)."""

    def on_node(level: int, index: int, value: bytes) -> None:
        if level:
            nodes.append((level, index, value))

    return on_node


def _state(row: tuple[Any, ...]) -> LogState:
    size, last_position, frontier, sealed_at = row
    blob = bytes(frontier)
    hashes = tuple(blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))
    if len(blob) % HASH_SIZE or len(hashes) != int(size).bit_count():
        raise LogCorruptError(f"the stored frontier does not fit a tree of {size} leaves")
    return LogState(
        int(size),
        int(last_position),
        hashes,
        datetime.fromisoformat(sealed_at) if sealed_at else None,
    )


def _hash(value: Any) -> bytes:
    h = bytes(value)
    if len(h) != HASH_SIZE:
        raise LogCorruptError("a stored hash is not 32 bytes")
    return h


def _insert_many(tx: Transaction, target: str, rows: list[tuple[int, int, bytes]]) -> None:
    """Insert rows of (integer, integer, hash) in bulk: on PostgreSQL as three arrays through
    ``unnest`` (one statement, whatever the count: psycopg would otherwise parse a statement of
    thousands of placeholders per chunk, or pipeline one INSERT per row); on SQLite with
    ``executemany`` (prepared once, C speed)."""
    if not rows:
        return
    if tx.dialect == "postgresql":
        # The hashes travel as one bytea (32 bytes each), cut up by the server: dumping a
        # list of bytea values is the slow part of the statement otherwise.
        tx.execute(
            f"INSERT INTO {target} SELECT a, b, substring(? FROM (n::int - 1) * 32 + 1 FOR 32)"
            " FROM unnest(?::bigint[], ?::bigint[]) WITH ORDINALITY AS u(a, b, n)",
            [b"".join(r[2] for r in rows), [r[0] for r in rows], [r[1] for r in rows]],
        )
    else:
        marks = "(?, ?, ?)"
        tx.executemany(f"INSERT INTO {target} VALUES {marks}", rows)
