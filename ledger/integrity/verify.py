"""``verify``: rescan storage, recompute every leaf and the tree, and check what was kept.

One streaming pass over the events table (pages of :data:`PAGE` rows, so memory stays flat at
any size) merged by position with the sealed leaves:

* an event whose leaf hash differs from the sealed one was **changed** (a byte of any stored
  field, its position, or two events swapped);
* a sealed position with no event was **deleted**; an event at a position inside the sealed range
  that was never sealed was **inserted**;
* a row not in the form eventsourcing writes is **malformed**.

The tree is recomputed from the events as they are now; its stored nodes (every perfect subtree
of the sealed part) and the sealed state (size, frontier, last position) must equal the
recomputed ones. Every kept checkpoint must carry a valid signature by a trusted key, and the
recomputed tree at its size must have its root — which also catches a log truncated below a
checkpoint, and a log rewritten and re-sealed wholesale. Every checkpoint recorded by an
acknowledgement (a head the other side witnessed) must be kept and agree with the tree too.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import orjson

from ledger.integrity.checkpoints import Checkpoint, CheckpointError, parse_checkpoint
from ledger.integrity.log import LogCorruptError, LogState, MerkleLog
from ledger.integrity.merkle import EMPTY_ROOT, CompactRange, leaf_hash
from ledger.integrity.records import MalformedRecordError
from ledger.integrity.signing import Verifier
from ledger.integrity.tables import LEAVES

__all__ = ["PAGE", "Problem", "ProblemKind", "VerifyResult", "verify_log"]

#: Events read per page.
PAGE: Final = 10_000
#: Leaf problems listed before the scan stops listing them (it still counts events).
MAX_PROBLEMS: Final = 100

ACKNOWLEDGED_TOPIC: Final = "ledger.acknowledgement:AcknowledgementRequest.Acknowledged"


class ProblemKind(StrEnum):
    CHANGED = "changed"  # the event at a sealed position is not what was sealed
    DELETED = "deleted"  # a sealed position has no event any more
    INSERTED = "inserted"  # an event sits at a position inside the sealed range, never sealed
    MALFORMED = "malformed"  # a row not in the form eventsourcing writes
    NODE = "node"  # a stored subtree hash differs from the recomputed one
    STATE = "state"  # the sealed state (size, frontier, last position) is not the tree's
    TRUNCATED = "truncated"  # a kept checkpoint covers more events than storage holds
    CHECKPOINT_SIGNATURE = "checkpoint_signature"  # forged or altered checkpoint
    CHECKPOINT_ROOT = "checkpoint_root"  # the tree at a checkpoint's size has another root
    WITNESS = "witness"  # a checkpoint recorded by an acknowledgement is not the tree's


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str
    position: int | None = None
    leaf_index: int | None = None

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"{where}{self.message} [{self.kind}]"


@dataclass
class VerifyResult:
    events: int = 0  # events in storage
    sealed: int = 0  # leaves in the sealed log
    root: bytes = b""  # the recomputed root of every event in storage
    checkpoints: int = 0  # kept checkpoints checked
    witnessed: int = 0  # checkpoints recorded by acknowledgements, checked
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The problem at the earliest position (else the first one found)."""
        placed = [p for p in self.problems if p.position is not None]
        if placed:
            return min(placed, key=lambda p: p.position or 0)
        return self.problems[0] if self.problems else None


@dataclass
class _Witness:
    position: int
    size: int
    root: str


def verify_log(
    log: MerkleLog,
    checkpoints: list[Checkpoint],
    verifiers: list[Verifier],
    *,
    progress: Callable[[int, int], None] | None = None,
    page_size: int = PAGE,
) -> VerifyResult:
    """Check the whole log; ``progress(events_done, events_total)`` after every page."""
    result = VerifyResult()
    try:
        state = log.state()
    except LogCorruptError as e:
        result.problems.append(Problem(ProblemKind.STATE, f"the sealed state is unreadable: {e}"))
        rows = log.db.query(f"SELECT COUNT(*), MAX(position) FROM {LEAVES}")
        state = LogState(int(rows[0][0]), int(rows[0][1] or 0), (), None)
    result.sealed = state.size
    total = log.events.count()

    # Checkpoint signatures first: they need no scan.
    wanted_roots: dict[int, bytes | None] = {state.size: None}
    kept: list[Checkpoint] = []
    for kept_checkpoint in checkpoints:
        try:
            checked = parse_checkpoint(kept_checkpoint.note, verifiers)
        except CheckpointError as e:
            result.problems.append(
                Problem(
                    ProblemKind.CHECKPOINT_SIGNATURE,
                    f"checkpoint of size {kept_checkpoint.size} is not authentic: {e}",
                )
            )
            continue
        if checked.size != kept_checkpoint.size or checked.root != kept_checkpoint.root:
            result.problems.append(
                Problem(
                    ProblemKind.CHECKPOINT_SIGNATURE,
                    f"checkpoint row of size {kept_checkpoint.size} does not match its signed "
                    f"note (size {checked.size})",
                )
            )
            continue
        kept.append(checked)
        wanted_roots[checked.size] = None
    if 0 in wanted_roots:
        wanted_roots[0] = EMPTY_ROOT

    tree = CompactRange()
    sealed_frontier: tuple[bytes, ...] | None = () if state.size == 0 else None
    last_sealed_position_seen = 0
    leaf_problems = 0
    nodes_ok = True  # node checks stop at the first leaf problem (indexes shift after it)
    stored = _StoredLeaves(log, page_size)
    witnesses: list[_Witness] = []
    done = 0
    after = 0

    def add(problem: Problem) -> None:
        nonlocal leaf_problems, nodes_ok
        nodes_ok = False
        leaf_problems += 1
        if leaf_problems <= MAX_PROBLEMS:
            result.problems.append(problem)

    leaf_hash_of_row = log.events.leaf_hash
    sizes = sorted(wanted_roots)
    while True:
        rows = log.events.raw_page(after, page_size)
        if not rows:
            break
        after = int(rows[-1][0])
        first_index = tree.size
        positions = [int(row[0]) for row in rows]
        try:
            hashes = [leaf_hash_of_row(row) for row in rows]
            malformed: set[int] = set()
        except MalformedRecordError:
            hashes, malformed = _hash_slowly(log, rows, first_index, add)
        for row in rows:
            if row[3] == ACKNOWLEDGED_TOPIC:
                witness = _witnessed(row[0], row[4])
                if witness is not None:
                    witnesses.append(witness)

        # Compare with the sealed leaves. The fast path: the page's sealed part is exactly the
        # next stored leaves, position for position and hash for hash.
        sealed_part = bisect_right(positions, state.last_position)
        if (
            leaf_problems
            or malformed
            or not stored.take_if_matching(positions[:sealed_part], hashes[:sealed_part])
        ):
            _merge_slowly(stored, positions, hashes, malformed, first_index, state, add)
        if sealed_part:
            last_sealed_position_seen = max(last_sealed_position_seen, positions[sealed_part - 1])

        # Recompute the tree, stopping at every size whose root or frontier is wanted.
        new_nodes: list[tuple[int, int, bytes]] = []
        on_node = _sealed_nodes(new_nodes, state.size)
        cursor = 0
        end = first_index + len(hashes)
        for size in sizes[bisect_right(sizes, first_index) :]:
            if size > end:
                break
            segment = hashes[cursor : size - first_index]
            tree.extend(segment, on_node if nodes_ok and tree.size < state.size else None)
            cursor = size - first_index
            wanted_roots[size] = tree.root()
            if size == state.size:
                sealed_frontier = tree.hashes
        tree.extend(hashes[cursor:], on_node if nodes_ok and tree.size < state.size else None)
        if nodes_ok and new_nodes:
            _compare_nodes(log, new_nodes, result, first_index)
            if result.problems and result.problems[-1].kind is ProblemKind.NODE:
                nodes_ok = False
        done += len(rows)
        if progress:
            progress(done, max(total, done))

    while (s := stored.next()) is not None:
        add(
            Problem(
                ProblemKind.DELETED,
                f"the sealed event at leaf {s[0]} is missing from storage",
                s[1],
                s[0],
            )
        )
    if stored.gap is not None:
        result.problems.append(
            Problem(
                ProblemKind.STATE,
                f"the sealed leaves skip leaf index {stored.gap}: a leaf row was removed",
                leaf_index=stored.gap,
            )
        )
    result.events = tree.size
    result.root = tree.root()

    # The sealed state must be the recomputed tree's at that size.
    if not any(p.kind is not ProblemKind.CHECKPOINT_SIGNATURE for p in result.problems):
        if tree.size < state.size:
            result.problems.append(
                Problem(
                    ProblemKind.STATE,
                    f"the log was sealed at {state.size} leaves but storage holds {tree.size}",
                    leaf_index=tree.size,
                )
            )
        elif sealed_frontier != state.frontier or last_sealed_position_seen != state.last_position:
            result.problems.append(
                Problem(
                    ProblemKind.STATE,
                    "the sealed state (frontier or last position) is not the recomputed tree's",
                )
            )

    # Every kept checkpoint must be a head of the recomputed tree.
    previous_ok = 0
    for checkpoint in kept:
        result.checkpoints += 1
        if checkpoint.size > tree.size:
            result.problems.append(
                Problem(
                    ProblemKind.TRUNCATED,
                    f"checkpoint of size {checkpoint.size} covers more events than storage "
                    f"holds ({tree.size}): the log was truncated",
                    leaf_index=tree.size,
                )
            )
        elif wanted_roots.get(checkpoint.size) != checkpoint.root:
            result.problems.append(
                Problem(
                    ProblemKind.CHECKPOINT_ROOT,
                    f"the events do not match checkpoint of size {checkpoint.size}: something "
                    f"among leaves {previous_ok} to {checkpoint.size - 1} was altered",
                    leaf_index=previous_ok,
                )
            )
        else:
            previous_ok = checkpoint.size

    # Every witnessed head must be a kept checkpoint of this tree.
    kept_roots = {c.size: c.root for c in kept}
    for witness in witnesses:
        result.witnessed += 1
        try:
            root = base64.b64decode(witness.root, validate=True)
        except binascii.Error:
            root = b""
        if kept_roots.get(witness.size) == root:
            continue
        if witness.size in kept_roots:
            message = "records a root other than the kept checkpoint's"
        elif witness.size <= state.size and not result.problems:
            try:
                ok = log.root(witness.size) == root
            except LogCorruptError:
                ok = False
            message = (
                "records a checkpoint that is no longer kept"
                if ok
                else "records a head that is not this tree's"
            )
        else:
            message = "records a head that is not this tree's"
        result.problems.append(
            Problem(
                ProblemKind.WITNESS,
                f"the acknowledgement {message} (size {witness.size})",
                witness.position,
            )
        )
    return result


def _hash_slowly(
    log: MerkleLog, rows: list[tuple[Any, ...]], first_index: int, add: Callable[[Problem], None]
) -> tuple[list[bytes], set[int]]:
    """Leaf hashes row by row, reporting each malformed row (its stand-in hash cannot match)."""
    hashes: list[bytes] = []
    malformed: set[int] = set()
    for i, row in enumerate(rows):
        try:
            hashes.append(log.events.leaf_hash(row))
        except MalformedRecordError as e:
            add(Problem(ProblemKind.MALFORMED, str(e), int(row[0]), first_index + i))
            hashes.append(leaf_hash(repr(row).encode()))
            malformed.add(int(row[0]))
    return hashes, malformed


def _merge_slowly(
    stored: _StoredLeaves,
    positions: list[int],
    hashes: list[bytes],
    malformed: set[int],
    first_index: int,
    state: LogState,
    add: Callable[[Problem], None],
) -> None:
    """Merge a page with the sealed leaves by position, naming every difference."""
    for i, (position, value) in enumerate(zip(positions, hashes, strict=True)):
        while (s := stored.peek()) is not None and s[1] < position:
            add(
                Problem(
                    ProblemKind.DELETED,
                    f"the sealed event at leaf {s[0]} is missing from storage",
                    s[1],
                    s[0],
                )
            )
            stored.next()
        s = stored.peek()
        if s is not None and s[1] == position:
            stored.next()
            if s[2] != value and position not in malformed:
                now = first_index + i
                add(
                    Problem(
                        ProblemKind.CHANGED,
                        f"the event differs from the one sealed as leaf {s[0]}"
                        + (f" (leaf index now {now})" if s[0] != now else ""),
                        position,
                        s[0],
                    )
                )
        elif position <= state.last_position:
            add(
                Problem(
                    ProblemKind.INSERTED,
                    "an event inside the sealed range that was never sealed",
                    position,
                    first_index + i,
                )
            )


def _sealed_nodes(
    nodes: list[tuple[int, int, bytes]], sealed: int
) -> Callable[[int, int, bytes], None]:
    """An ``on_node`` keeping the inner nodes that lie wholly inside the sealed leaves."""

    def on_node(level: int, index: int, value: bytes) -> None:
        if level and (index + 1) << level <= sealed:
            nodes.append((level, index, value))

    return on_node


def _witnessed(position: int, raw_state: Any) -> _Witness | None:
    try:
        state = orjson.loads(bytes(raw_state))
        size = state.get("checkpoint_size")
        root = state.get("checkpoint_root")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    if type(size) is int and isinstance(root, str):
        return _Witness(int(position), size, root)
    return None


def _compare_nodes(
    log: MerkleLog, nodes: list[tuple[int, int, bytes]], result: VerifyResult, first_index: int
) -> None:
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for level, index, value in nodes:
        by_level.setdefault(level, []).append((index, value))
    for level in sorted(by_level):
        computed = by_level[level]
        stored = log.nodes_in(level, computed[0][0], computed[-1][0])
        for index, value in computed:
            if stored.get(index) != value:
                what = "missing" if index not in stored else "altered"
                result.problems.append(
                    Problem(
                        ProblemKind.NODE,
                        f"stored subtree hash (level {level}, index {index}) is {what}",
                        leaf_index=index << level,
                    )
                )
                return


class _StoredLeaves:
    """The sealed leaves, ``(leaf_index, position, leaf_hash)``, paged in index order."""

    def __init__(self, log: MerkleLog, page_size: int) -> None:
        self._log = log
        self._page_size = page_size
        self._next_index = 0
        self._buffer: list[tuple[int, int, bytes]] = []
        self._at = 0
        self._done = False
        self.gap: int | None = None  # the first leaf index missing from the sequence

    def _fill(self, need: int) -> None:
        while len(self._buffer) - self._at < need and not self._done:
            page = self._log.leaf_page(self._next_index, max(self._page_size, need))
            if not page:
                self._done = True
                return
            if self.gap is None and (
                page[0][0] != self._next_index or page[-1][0] - page[0][0] != len(page) - 1
            ):
                expected = self._next_index
                for index, _, _ in page:
                    if index != expected:
                        self.gap = expected
                        break
                    expected += 1
            self._next_index = page[-1][0] + 1
            self._buffer = self._buffer[self._at :] + page
            self._at = 0

    def peek(self) -> tuple[int, int, bytes] | None:
        self._fill(1)
        return self._buffer[self._at] if self._at < len(self._buffer) else None

    def next(self) -> tuple[int, int, bytes] | None:
        item = self.peek()
        if item is not None:
            self._at += 1
        return item

    def take_if_matching(self, positions: list[int], hashes: list[bytes]) -> bool:
        """Consume the next ``len(positions)`` leaves if they are exactly these."""
        count = len(positions)
        if not count:
            return True
        self._fill(count)
        segment = self._buffer[self._at : self._at + count]
        if [s[1] for s in segment] != positions or [s[2] for s in segment] != hashes:
            return False
        self._at += count
        return True
