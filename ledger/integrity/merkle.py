"""Merkle tree hashing, proofs and proof verification, exactly as in RFC 9162 §2.1.

RFC 9162 (Certificate Transparency 2.0) uses the same tree as RFC 6962, with SHA-256:

- the hash of a leaf is ``SHA-256(0x00 || data)`` (:func:`leaf_hash`);
- the hash of an interior node is ``SHA-256(0x01 || left || right)`` (:func:`node_hash`);
- the Merkle Tree Hash (MTH) of ``n`` leaves is ``SHA-256()`` for ``n == 0``, the leaf hash for
  ``n == 1``, and otherwise ``node_hash(MTH(D[0:k]), MTH(D[k:n]))`` where ``k`` is the largest power
  of two smaller than ``n`` (:func:`root`).

Everything here is a pure function of bytes, except :class:`CompactRange`, the O(log n) state that
lets a log be sealed leaf by leaf. Indexes are 0-based (the CT reference test vectors number leaves
from 1). Hashes are always exactly :data:`HASH_SIZE` bytes of type ``bytes``.

Three families:

*Producers* over an in-memory sequence of leaf hashes (:func:`root`, :func:`range_root`,
:func:`inclusion_proof`, :func:`consistency_proof`). They cost O(n) hashes: every proof needs the
roots of subtrees that no one has stored. Bad arguments raise ``TypeError``/``ValueError``.

*Producers* over stored nodes (:func:`root_from_nodes`, :func:`inclusion_proof_from_nodes`,
:func:`consistency_proof_from_nodes`, :meth:`CompactRange.from_nodes`). They ask a
:data:`NodeGetter` for the roots of *perfect* subtrees — the nodes that :meth:`CompactRange.append`
reports through its ``on_node`` callback as they are completed — and cost O(log n) look-ups and
hashes, so a persistent log of millions of leaves never needs all its leaves in memory.

*Verifiers* (:func:`verify_inclusion`, :func:`verify_consistency`,
:func:`root_from_inclusion_proof`), which implement the algorithms of RFC 9162 §2.1.3.2 and
§2.1.4.2 step by step. They trust nothing: any mismatch or malformed argument — wrong hash length or
type, index or size out of range, sizes out of order, a proof of the wrong length or with non-bytes
elements, negative numbers, bools — raises :class:`ProofError` and never any other exception.

As in RFC 9162, a proof carries no sizes: it binds ``tree_size`` (or ``old_size``/``new_size``)
only through its shape, so a size giving the same shape verifies too (the path of leaf 5 is the
same in trees of 7 and 8 leaves). Sizes must therefore be taken from a signed tree head that binds
each size to its root, never from the party that supplies the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256 as _sha256
from typing import Final

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "CompactRange",
    "NodeGetter",
    "NodeVisitor",
    "ProofError",
    "RootMismatchError",
    "consistency_proof",
    "consistency_proof_from_nodes",
    "frontier_nodes",
    "inclusion_proof",
    "inclusion_proof_from_nodes",
    "leaf_hash",
    "node_hash",
    "range_root",
    "root",
    "root_from_inclusion_proof",
    "root_from_nodes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
"""Length in bytes of every hash: leaf hashes, node hashes, roots and proof elements."""

MAX_TREE_SIZE: Final = (1 << 64) - 1
"""Largest tree size (and leaf index + 1) accepted: RFC 9162 sizes and indexes are ``uint64``."""

EMPTY_ROOT: Final = _sha256(b"").digest()
"""MTH of the empty tree: SHA-256 of the empty string (``e3b0c442…b855``)."""

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"
_CHUNK: Final = 1 << 12  # leaves hashed per batch by range_root: bounds its working memory

NodeGetter = Callable[[int, int], bytes]
"""``get_node(level, index)``: the root of the perfect subtree of ``2**level`` leaves that covers
leaves ``[index << level, (index + 1) << level)``; level 0 holds the leaf hashes themselves. It is
only ever asked for subtrees that lie entirely inside the tree being proved."""

NodeVisitor = Callable[[int, int, bytes], None]
"""``on_node(level, index, hash)``: told of each perfect subtree root as it becomes final (same
coordinates as :data:`NodeGetter`). Storing these makes every ``*_from_nodes`` function work."""


class ProofError(ValueError):
    """A proof did not verify, or the arguments given to a verifier were malformed.

    ``expected`` and ``calculated`` are set (to the root the caller supplied and the root the proof
    leads to) when a root mismatch is the cause; see :class:`RootMismatchError`.
    """

    expected: bytes | None
    calculated: bytes | None

    def __init__(
        self, message: str, *, expected: bytes | None = None, calculated: bytes | None = None
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.calculated = calculated


class RootMismatchError(ProofError):
    """The proof is well formed but leads to a root other than the one supplied.

    Like transparency-dev/merkle's ``RootMismatchError``: ``expected`` is the root the caller
    supplied, ``calculated`` is the root computed from the proof.
    """

    expected: bytes
    calculated: bytes

    def __init__(self, message: str, *, expected: bytes, calculated: bytes) -> None:
        super().__init__(
            f"{message}: expected {expected.hex()}, calculated {calculated.hex()}",
            expected=expected,
            calculated=calculated,
        )


# ---------------------------------------------------------------------------------------------
# Hashing


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of a leaf whose input is ``data`` (any length)."""
    h = _sha256(_LEAF_PREFIX)
    h.update(data)
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node.

    Precondition (not checked, this is the hot path): ``left`` and ``right`` are hashes of
    :data:`HASH_SIZE` bytes.
    """
    return _sha256(_NODE_PREFIX + left + right).digest()


# ---------------------------------------------------------------------------------------------
# Producers over an in-memory sequence of leaf hashes


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the tree whose leaves have these hashes (RFC 9162 §2.1.1).

    Preconditions: ``leaf_hashes`` is a sequence of ``bytes`` of :data:`HASH_SIZE` bytes each (the
    outputs of :func:`leaf_hash`, not the leaf data); ``TypeError``/``ValueError`` otherwise. The
    empty sequence gives :data:`EMPTY_ROOT`. Iterative, O(n) hashes, O(log n) extra memory beyond
    one batch of ``4096`` hashes.
    """
    _check_leaf_hashes(leaf_hashes)
    n = len(leaf_hashes)
    return _range_root(leaf_hashes, 0, n) if n else EMPTY_ROOT


def range_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """``MTH(D[start:end])``: the root of the tree made of leaves ``start`` to ``end - 1`` alone.

    Preconditions: as :func:`root`, and ``0 <= start <= end <= len(leaf_hashes)``
    (``ValueError``); ``start == end`` gives :data:`EMPTY_ROOT`. Only the hashes in the range are
    read (and checked), so this is O(end - start) even on a very long sequence.
    """
    _check_sequence(leaf_hashes)
    start = _check_count(start, "start")
    end = _check_count(end, "end")
    if not start <= end <= len(leaf_hashes):
        raise ValueError(f"need 0 <= start <= end <= {len(leaf_hashes)}, got {start}, {end}")
    if start == 0 and end == len(leaf_hashes):
        _check_leaf_hashes(leaf_hashes)
    else:
        _check_leaf_hashes([leaf_hashes[i] for i in range(start, end)], offset=start)
    return _range_root(leaf_hashes, start, end) if end > start else EMPTY_ROOT


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """``PATH(index, D[n])`` of RFC 9162 §2.1.3.1: the audit path of leaf ``index``, leaf to root.

    Preconditions: as :func:`root`, and ``0 <= index < len(leaf_hashes)`` (``ValueError``). The
    result verifies with ``verify_inclusion(leaf_hashes[index], index, len(leaf_hashes), proof,
    root(leaf_hashes))``. O(n) hashes (the sibling subtrees are recomputed).
    """
    _check_leaf_hashes(leaf_hashes)
    index = _check_count(index, "index")
    n = len(leaf_hashes)
    if index >= n:
        raise ValueError(f"index {index} out of range for {n} leaves")
    return _inclusion_path(lambda a, b: _range_root(leaf_hashes, a, b), index, n)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """``PROOF(old_size, D[n])`` of RFC 9162 §2.1.4.1, from the first ``old_size`` leaves to all.

    Preconditions: as :func:`root`, and ``0 <= old_size <= len(leaf_hashes)`` (``ValueError``).
    RFC 9162 defines the proof for ``0 < old_size < n``; for ``old_size == 0`` and
    ``old_size == n`` the proof is empty (and :func:`verify_consistency` requires it to be).
    O(n) hashes.
    """
    _check_leaf_hashes(leaf_hashes)
    old_size = _check_count(old_size, "old_size")
    n = len(leaf_hashes)
    if old_size > n:
        raise ValueError(f"old_size {old_size} is greater than the {n} leaves given")
    return _consistency_path(lambda a, b: _range_root(leaf_hashes, a, b), old_size, n)


# ---------------------------------------------------------------------------------------------
# Producers over stored perfect-subtree nodes


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` of the perfect subtrees that exactly cover leaves ``[0, size)``.

    Largest (leftmost) first: one per set bit of ``size``. These are the nodes a
    :class:`CompactRange` of that size holds, and what :meth:`CompactRange.from_nodes` fetches.
    Precondition: ``0 <= size <= MAX_TREE_SIZE`` (``ValueError``).
    """
    size = _check_count(size, "size")
    nodes: list[tuple[int, int]] = []
    offset = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, offset >> level))
            offset += 1 << level
    return nodes


def root_from_nodes(get_node: NodeGetter, tree_size: int) -> bytes:
    """The MTH of the first ``tree_size`` leaves, from at most log2(n)+1 stored perfect subtrees.

    Preconditions: ``0 <= tree_size <= MAX_TREE_SIZE``; ``get_node`` as :data:`NodeGetter` and
    returning ``bytes`` of :data:`HASH_SIZE` bytes (``ValueError`` otherwise).
    """
    tree_size = _check_count(tree_size, "tree_size")
    return _nodes_root(get_node, 0, tree_size) if tree_size else EMPTY_ROOT


def inclusion_proof_from_nodes(get_node: NodeGetter, index: int, tree_size: int) -> list[bytes]:
    """Same result as :func:`inclusion_proof` for the first ``tree_size`` leaves, in O(log n).

    Preconditions: ``0 <= index < tree_size <= MAX_TREE_SIZE`` (``ValueError``); ``get_node`` as
    in :func:`root_from_nodes`.
    """
    index = _check_count(index, "index")
    tree_size = _check_count(tree_size, "tree_size")
    if index >= tree_size:
        raise ValueError(f"index {index} out of range for tree size {tree_size}")
    return _inclusion_path(lambda a, b: _nodes_root(get_node, a, b), index, tree_size)


def consistency_proof_from_nodes(get_node: NodeGetter, old_size: int, new_size: int) -> list[bytes]:
    """Same result as :func:`consistency_proof` for sizes ``old_size`` -> ``new_size``, O(log n).

    Preconditions: ``0 <= old_size <= new_size <= MAX_TREE_SIZE`` (``ValueError``); ``get_node``
    as in :func:`root_from_nodes`.
    """
    old_size = _check_count(old_size, "old_size")
    new_size = _check_count(new_size, "new_size")
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} is greater than new_size {new_size}")
    return _consistency_path(lambda a, b: _nodes_root(get_node, a, b), old_size, new_size)


# ---------------------------------------------------------------------------------------------
# Compact range: the frontier of an append-only tree


class CompactRange:
    """The roots of the perfect subtrees covering leaves ``[0, size)``: O(log n) state that yields
    the tree's root and accepts appends, as transparency-dev/merkle's ``compact.Range`` from 0.

    ``hashes[i]`` is the root of the subtree ``frontier_nodes(size)[i]`` (largest first). A log can
    be sealed incrementally: ``append`` every new leaf hash, read ``root()`` whenever a tree head is
    due, and persist ``size`` with ``hashes`` (or every node reported to ``on_node``) to resume.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """Resume from a saved state (default: the empty tree).

        Preconditions: ``0 <= size <= MAX_TREE_SIZE``; ``hashes`` holds exactly ``size.bit_count()``
        hashes (``bytes`` of :data:`HASH_SIZE` bytes), largest subtree first. ``TypeError`` or
        ``ValueError`` otherwise. Whether they are the right hashes cannot be checked here.
        """
        size = _check_count(size, "size")
        stored = list(hashes)
        if len(stored) != size.bit_count():
            raise ValueError(
                f"a range of size {size} has {size.bit_count()} hashes, not {len(stored)}"
            )
        for i, h in enumerate(stored):
            _check_hash_value(h, f"hashes[{i}]")
        self._size = size
        self._hashes = stored

    @classmethod
    def from_nodes(cls, get_node: NodeGetter, size: int) -> CompactRange:
        """Load the range of ``size`` leaves from stored nodes (``len(frontier_nodes(size))``
        look-ups). Preconditions as :func:`root_from_nodes`."""
        hashes = [
            _checked_node(get_node(level, index), level, index)
            for level, index in frontier_nodes(size)
        ]
        return cls(size, hashes)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The frontier: roots of the perfect subtrees covering ``[0, size)``, largest first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes, on_node: NodeVisitor | None = None) -> None:
        """Add the leaf with this hash (the output of :func:`leaf_hash`) at index ``size``.

        ``on_node``, if given, is called with the new leaf (level 0) and then with each perfect
        subtree the leaf completes, bottom-up; every node of the tree is reported exactly once over
        the range's life. If it raises, the range is left unchanged. Amortised O(1) hashes.
        Preconditions: ``leaf_hash`` is ``bytes`` of :data:`HASH_SIZE` bytes (``TypeError`` /
        ``ValueError``), ``size < MAX_TREE_SIZE`` (``ValueError``).
        """
        _check_hash_value(leaf_hash, "leaf_hash")
        size = self._size
        if size >= MAX_TREE_SIZE:
            raise ValueError("the tree is full")
        hashes = self._hashes
        merges = (size ^ (size + 1)).bit_length() - 1  # trailing one bits of size
        h = leaf_hash
        if on_node is None:
            for _ in range(merges):
                h = _sha256(_NODE_PREFIX + hashes.pop() + h).digest()
        else:
            on_node(0, size, h)
            top = len(hashes)
            for level in range(1, merges + 1):
                h = _sha256(_NODE_PREFIX + hashes[top - level] + h).digest()
                on_node(level, size >> level, h)
            del hashes[top - merges :]
        hashes.append(h)
        self._size = size + 1

    def extend(self, leaf_hashes: Iterable[bytes], on_node: NodeVisitor | None = None) -> None:
        """``append`` each leaf hash in turn, atomically: if any element is invalid (or
        ``on_node`` raises) the range is left unchanged — though ``on_node`` may already have been
        told of nodes of the rejected batch, so store nodes idempotently by ``(level, index)``."""
        hashes = self._hashes.copy()
        size = self._size
        prefix = _NODE_PREFIX
        sha = _sha256
        for h in leaf_hashes:
            if type(h) is not bytes or len(h) != HASH_SIZE:
                _check_hash_value(h, f"leaf hash #{size - self._size}")
            if size >= MAX_TREE_SIZE:
                raise ValueError("the tree is full")
            if on_node is None:
                s = size
                while s & 1:
                    h = sha(prefix + hashes.pop() + h).digest()
                    s >>= 1
            else:
                on_node(0, size, h)
                s = size
                level = 0
                while s & 1:
                    h = sha(prefix + hashes.pop() + h).digest()
                    s >>= 1
                    level += 1
                    on_node(level, s, h)
            hashes.append(h)
            size += 1
        self._hashes = hashes
        self._size = size

    def root(self) -> bytes:
        """The MTH of the ``size`` leaves appended so far (:data:`EMPTY_ROOT` when empty).
        Folds the frontier right to left: at most log2(n) hashes."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        r = hashes[-1]
        for i in range(len(hashes) - 2, -1, -1):
            r = _sha256(_NODE_PREFIX + hashes[i] + r).digest()
        return r

    def copy(self) -> CompactRange:
        """An independent copy (appends to one do not affect the other)."""
        clone = CompactRange.__new__(CompactRange)
        clone._size = self._size
        clone._hashes = self._hashes.copy()
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


# ---------------------------------------------------------------------------------------------
# Verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2)


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` leads to from ``leaf_hash`` at ``index`` in a tree of ``tree_size``.

    Steps 1 to 4 of RFC 9162 §2.1.3.2 plus the ``sn == 0`` check of step 5; comparing the result
    with the signed root is left to the caller (or use :func:`verify_inclusion`). Raises
    :class:`ProofError` on malformed input: hashes that are not ``bytes`` of :data:`HASH_SIZE`
    bytes, ``index``/``tree_size`` that are not ``int`` (bools are refused) in
    ``[0, MAX_TREE_SIZE]``, ``index >= tree_size``, a proof of the wrong length.
    """
    _require_hash(leaf_hash, "leaf_hash")
    index = _require_count(index, "index")
    tree_size = _require_count(tree_size, "tree_size")
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is out of range for tree size {tree_size}")
    path = _require_proof(proof, _inclusion_proof_length(index, tree_size), "inclusion")
    # RFC 9162 §2.1.3.2, step by step (the length check above rejects exactly the proofs that
    # the sn checks below would, since fn and sn evolve independently of the proof's values).
    fn = index
    sn = tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = _sha256(_NODE_PREFIX + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``proof`` shows the leaf with hash ``leaf_hash`` at ``index`` in the tree of
    ``tree_size`` leaves whose MTH is ``root`` (RFC 9162 §2.1.3.2). Returns ``None`` on success.

    ``leaf_hash`` is the leaf *hash* (:func:`leaf_hash` of the data), not the data. Raises
    :class:`ProofError` — and nothing else — on any mismatch or malformed input (see
    :func:`root_from_inclusion_proof`); :class:`RootMismatchError` when the proof is well formed but
    leads elsewhere. ``tree_size`` and ``root`` must come from one signed tree head: the proof binds
    the size only through its shape (see the module docstring).
    """
    _require_hash(root, "root")
    calculated = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if calculated != root:
        raise RootMismatchError(
            "inclusion proof leads to another root", expected=root, calculated=calculated
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` leaves with MTH ``new_root`` extends the tree of
    ``old_size`` leaves with MTH ``old_root`` (RFC 9162 §2.1.4.2). Returns ``None`` on success.

    The RFC algorithm covers ``0 < old_size < new_size``. Outside it: ``old_size == new_size``
    requires an empty proof and equal roots; ``old_size == 0`` requires an empty proof and
    ``old_root == EMPTY_ROOT`` (and, if ``new_size == 0`` too, ``new_root == EMPTY_ROOT``).
    Raises :class:`ProofError` — and nothing else — on any mismatch or malformed input: sizes that
    are not ``int`` (bools are refused) in ``[0, MAX_TREE_SIZE]``, ``old_size > new_size``, roots or
    proof elements that are not ``bytes`` of :data:`HASH_SIZE` bytes, a proof of the wrong length;
    :class:`RootMismatchError` when a root does not match.
    """
    old_size = _require_count(old_size, "old_size")
    new_size = _require_count(new_size, "new_size")
    _require_hash(old_root, "old_root")
    _require_hash(new_root, "new_root")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is greater than new size {new_size}")
    if old_size == 0 or old_size == new_size:
        _require_proof(proof, 0, "consistency")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise RootMismatchError(
                "old root is not the empty tree's root", expected=old_root, calculated=EMPTY_ROOT
            )
        if old_root != new_root and old_size == new_size:
            raise RootMismatchError(
                "equal sizes with different roots", expected=new_root, calculated=old_root
            )
        return
    path = _require_proof(proof, _consistency_proof_length(old_size, new_size), "consistency")
    # RFC 9162 §2.1.4.2, step by step. Step 1 (empty proof) cannot happen past the length check.
    if old_size & (old_size - 1) == 0:  # step 2: first is an exact power of 2
        path.insert(0, old_root)
    fn = old_size - 1  # step 3
    sn = new_size - 1
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for i in range(1, len(path)):  # step 6
        c = path[i]
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = _sha256(_NODE_PREFIX + c + fr).digest()
            sr = _sha256(_NODE_PREFIX + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(_NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise RootMismatchError(
            "consistency proof leads to another old root", expected=old_root, calculated=fr
        )
    if sr != new_root:
        raise RootMismatchError(
            "consistency proof leads to another new root", expected=new_root, calculated=sr
        )


# ---------------------------------------------------------------------------------------------
# Internals


def _largest_power_of_two_below(n: int) -> int:
    """The ``k`` of RFC 9162: largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_path(mth: Callable[[int, int], bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) with the recursion unrolled; ``mth(a, b)`` gives MTH(D[a:b]) for
    the subtree ranges of the RFC recursion (each is aligned: ``a`` is a multiple of a power of two
    at least ``b - a``). Collected root-first, returned leaf-first as the RFC orders it."""
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _largest_power_of_two_below(end - start)
        if index < mid:
            path.append(mth(mid, end))
            end = mid
        else:
            path.append(mth(start, mid))
            start = mid
    path.reverse()
    return path


def _consistency_path(mth: Callable[[int, int], bytes], old_size: int, size: int) -> list[bytes]:
    """PROOF(old_size, D[0:size]) = SUBPROOF(old_size, D[0:size], true), recursion unrolled.
    Empty for ``old_size`` 0 or ``size``; ``mth`` as in :func:`_inclusion_path`."""
    if old_size == 0 or old_size == size:
        return []
    proof: list[bytes] = []
    start, end = 0, size
    m = old_size  # relative to start
    complete = True  # the b flag of SUBPROOF: D[start:start+m] is the whole old tree
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            proof.append(mth(start + k, end))
            end = start + k
        else:
            proof.append(mth(start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        proof.append(mth(start, end))
    proof.reverse()
    return proof


def _inclusion_proof_length(index: int, size: int) -> int:
    """Number of elements in PATH(index, D[size]) (``index < size``): the levels where the paths to
    ``index`` and to the last leaf differ, plus the left siblings above them."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    """Number of elements in PROOF(old_size, D[new_size]) for ``0 < old_size < new_size``."""
    inner = ((old_size - 1) ^ (new_size - 1)).bit_length()
    border = ((old_size - 1) >> inner).bit_count()
    shift = (old_size & -old_size).bit_length() - 1  # trailing zero bits of old_size
    seed = 0 if old_size == 1 << shift else 1  # a power of two's own root is not sent
    return seed + inner - shift + border


def _range_root(seq: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(seq[start:end]) for ``end > start``, unchecked. Batches of ``_CHUNK`` leaves aligned on
    ``start`` are reduced level by level, then their roots are reduced the same way: pairing never
    crosses an aligned batch boundary, so this equals the RFC's recursive split."""
    if end - start <= _CHUNK:
        return _reduce(seq, start, end)
    roots = [_reduce(seq, s, min(s + _CHUNK, end)) for s in range(start, end, _CHUNK)]
    return _range_root(roots, 0, len(roots))


def _reduce(seq: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(seq[start:end]) for ``end > start`` by levels: hash adjacent pairs left to right and
    carry an odd last node up unchanged, which builds exactly the RFC 9162 tree."""
    sha = _sha256
    prefix = _NODE_PREFIX
    if end - start == 1:
        return seq[start]
    level = [sha(prefix + seq[i] + seq[i + 1]).digest() for i in range(start, end - 1, 2)]
    if (end - start) & 1:
        level.append(seq[end - 1])
    while len(level) > 1:
        pairs = iter(level)
        upper = [
            sha(prefix + left + right).digest() for left, right in zip(pairs, pairs, strict=False)
        ]
        if len(level) & 1:
            upper.append(level[-1])
        level = upper
    return level[0]


def _nodes_root(get_node: NodeGetter, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees, for ``end > start`` with ``start`` a multiple
    of a power of two ``>= end - start`` (true of every subtree in the RFC recursion): the range is
    covered by aligned perfect subtrees, largest first, folded right to left."""
    size = end - start
    if start & ((1 << (size - 1).bit_length()) - 1):
        raise ValueError(f"range [{start}, {end}) is not a subtree of the tree")
    parts: list[bytes] = []
    offset = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            index = offset >> level
            parts.append(_checked_node(get_node(level, index), level, index))
            offset += 1 << level
    r = parts.pop()
    while parts:
        r = _sha256(_NODE_PREFIX + parts.pop() + r).digest()
    return r


def _checked_node(value: object, level: int, index: int) -> bytes:
    if type(value) is not bytes or len(value) != HASH_SIZE:
        raise ValueError(f"get_node({level}, {index}) did not return a {HASH_SIZE}-byte bytes hash")
    return value


def _check_count(value: object, name: str) -> int:
    """Producer-side check of a size or index: plain ``int`` in ``[0, MAX_TREE_SIZE]``."""
    if type(value) is not int:
        raise TypeError(f"{name} must be an int, not {_type_name(value)}")
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ValueError(f"{name} {value} is out of range [0, 2**64 - 1]")
    return value


def _check_hash_value(value: object, name: str) -> None:
    if type(value) is not bytes:
        raise TypeError(f"{name} must be bytes, not {_type_name(value)}")
    if len(value) != HASH_SIZE:
        raise ValueError(f"{name} must be {HASH_SIZE} bytes, not {len(value)}")


def _check_sequence(leaf_hashes: object) -> None:
    if not isinstance(leaf_hashes, Sequence) or isinstance(
        leaf_hashes, (str, bytes, bytearray, memoryview)
    ):
        raise TypeError(f"leaf_hashes must be a sequence of bytes, not {_type_name(leaf_hashes)}")


def _check_leaf_hashes(leaf_hashes: Sequence[bytes], offset: int = 0) -> None:
    """Producer-side check that ``leaf_hashes`` is a sequence of 32-byte ``bytes``. The common case
    is two C-speed passes; the slow scan only runs to name the first bad element."""
    _check_sequence(leaf_hashes)
    if set(map(type, leaf_hashes)) <= {bytes} and set(map(len, leaf_hashes)) <= {HASH_SIZE}:
        return
    for i, h in enumerate(leaf_hashes, offset):
        _check_hash_value(h, f"leaf_hashes[{i}]")


def _require_count(value: object, name: str) -> int:
    """Verifier-side check of a size or index: as :func:`_check_count` but raising ProofError."""
    if type(value) is not int:
        raise ProofError(f"{name} must be an int, not {_type_name(value)}")
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ProofError(f"{name} is out of range [0, 2**64 - 1]")
    return value


def _require_hash(value: object, name: str) -> None:
    if type(value) is not bytes:
        raise ProofError(f"{name} must be bytes, not {_type_name(value)}")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes, not {len(value)}")


def _require_proof(proof: object, expected_length: int, kind: str) -> list[bytes]:
    """A verified copy of ``proof``: a list or tuple (or other non-string sequence) of exactly
    ``expected_length`` hashes. Anything else, however odd, becomes a ProofError."""
    if type(proof) is list or type(proof) is tuple:
        items: Sequence[object] = proof
    else:
        try:
            if not isinstance(proof, Sequence) or isinstance(
                proof, (str, bytes, bytearray, memoryview)
            ):
                raise ProofError(
                    f"{kind} proof must be a sequence of hashes, not {_type_name(proof)}"
                )
            count = len(proof)
            if count != expected_length:
                raise ProofError(_length_message(kind, count, expected_length))
            items = list(proof)
        except ProofError:
            raise
        except Exception as exc:  # a hostile Sequence: whatever it raised, the proof is unusable
            raise ProofError(f"{kind} proof could not be read") from exc
    if len(items) != expected_length:
        raise ProofError(_length_message(kind, len(items), expected_length))
    nodes: list[bytes] = []
    for i, node in enumerate(items):
        if type(node) is not bytes:
            raise ProofError(f"{kind} proof element {i} must be bytes, not {_type_name(node)}")
        if len(node) != HASH_SIZE:
            raise ProofError(f"{kind} proof element {i} must be {HASH_SIZE} bytes, not {len(node)}")
        nodes.append(node)
    return nodes


def _length_message(kind: str, got: int, expected: int) -> str:
    too = "short" if got < expected else "long"
    return f"{kind} proof is too {too}: {got} elements, expected {expected}"


def _type_name(value: object) -> str:
    try:
        return str(type(value).__qualname__)
    except Exception:  # pragma: no cover - a metaclass with a broken __qualname__
        return "object"
