"""Tests for ledger.integrity.merkle: RFC 9162 §2.1 Merkle trees, proofs and their verification.

Four layers:

1. Known answers from the Certificate Transparency reference implementations
   (``merkle_vectors/known-answers.json``, transcribed by hand; see its ``source``).
2. Named tamper cases (``merkle_vectors/<tampering>.json``), each ``must_fail``. They are
   derived from the known-answer reference tree by :func:`build_tamper_vectors`; a test checks that
   the files on disk are exactly what it produces. Regenerate them with
   ``python -m tests.unit.test_merkle --write``.
3. Exhaustive cross-checks, for small trees, against a literal transcription of the RFC's recursive
   definitions (MTH, PATH, PROOF/SUBPROOF).
4. Hypothesis properties: proofs verify for random trees up to ~300 leaves; any single-bit flip
   fails; the verifiers raise nothing but ProofError on garbage; CompactRange agrees with root().
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.integrity import merkle
from ledger.integrity.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MAX_TREE_SIZE,
    CompactRange,
    ProofError,
    RootMismatchError,
    consistency_proof,
    consistency_proof_from_nodes,
    frontier_nodes,
    inclusion_proof,
    inclusion_proof_from_nodes,
    leaf_hash,
    node_hash,
    range_root,
    root,
    root_from_inclusion_proof,
    root_from_nodes,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "merkle_vectors"
KNOWN_ANSWERS = VECTORS / "known-answers.json"

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# Helpers


def h(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string)


def load_known_answers() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(KNOWN_ANSWERS.read_text())
    return data


KA = load_known_answers()
KA_LEAF_INPUTS = [h(x) for x in KA["leaf_inputs"]]
KA_NODES = [[h(x) for x in level] for level in KA["node_hashes"]["levels"]]
KA_LEAVES = KA_NODES[0]
KA_ROOTS = [h(x) for x in KA["roots"]["by_size"]]


def make_leaves(n: int, seed: int = 0) -> list[bytes]:
    """``n`` distinct leaf hashes, deterministic in ``seed``."""
    prefix = seed.to_bytes(8, "big")
    return [leaf_hash(prefix + i.to_bytes(8, "big")) for i in range(n)]


def flip_bit(value: bytes, bit: int) -> bytes:
    """``value`` with bit ``bit`` (0 = lowest bit of the first byte) inverted."""
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


class NodeStore:
    """A NodeGetter over an in-memory list of leaf hashes that counts its look-ups."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self.calls = 0

    def __call__(self, level: int, index: int) -> bytes:
        self.calls += 1
        start = index << level
        end = start + (1 << level)
        assert 0 <= start < end <= len(self.leaves), (level, index, len(self.leaves))
        return range_root(self.leaves, start, end)


def uniform_node(level: int, _index: int) -> bytes:
    """NodeGetter of a virtual tree of any size whose leaves are all ``leaf_hash(b"")``."""
    return _uniform_levels()[level]


def _uniform_levels() -> list[bytes]:
    if not _UNIFORM:
        node = leaf_hash(b"")
        for _ in range(65):
            _UNIFORM.append(node)
            node = node_hash(node, node)
    return _UNIFORM


_UNIFORM: list[bytes] = []


# RFC 9162 §2.1 transcribed literally (recursive, slicing): the oracle for the fast code.


def ref_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return sha256(b"").digest()
    if n == 1:
        return d[0]  # d holds leaf hashes already: MTH({d(0)}) = SHA-256(0x00 || d(0))
    k = ref_k(n)
    return sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def ref_directions(m: int, n: int) -> list[bool]:
    """For PATH(m, D[n]), leaf to root: True where the proof element is the left sibling."""
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_directions(m, k), False]
    return [*ref_directions(m - k, n - k), True]


# ---------------------------------------------------------------------------------------------
# 1. Known answers


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == KA["empty_root"]
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT
    assert root_from_nodes(NodeStore([]), 0) == EMPTY_ROOT


def test_hasher_known_answers() -> None:
    for case in KA["hasher"]["leaves"]:
        assert leaf_hash(h(case["input"])).hex() == case["hash"]
    for case in KA["hasher"]["nodes"]:
        assert node_hash(h(case["left"]), h(case["right"])).hex() == case["hash"]
    assert [leaf_hash(x) for x in KA_LEAF_INPUTS] == KA_LEAVES


def test_leaf_inputs_are_the_ct_reference_inputs() -> None:
    assert KA_LEAF_INPUTS == [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size: int) -> None:
    leaves = KA_LEAVES[:size]
    assert root(leaves) == KA_ROOTS[size]
    assert ref_mth(leaves) == KA_ROOTS[size]
    assert root_from_nodes(NodeStore(KA_LEAVES), size) == KA_ROOTS[size]
    compact = CompactRange()
    compact.extend(leaves)
    assert compact.root() == KA_ROOTS[size]


def test_known_perfect_subtree_hashes() -> None:
    for level, hashes in enumerate(KA_NODES):
        for index, expected in enumerate(hashes):
            start = index << level
            assert range_root(KA_LEAVES, start, start + (1 << level)) == expected


@pytest.mark.parametrize("size", range(9))
def test_known_compact_ranges(size: int) -> None:
    expected_nodes = [tuple(node) for node in KA["compact_ranges"]["by_size"][size]]
    assert frontier_nodes(size) == expected_nodes
    compact = CompactRange()
    for leaf in KA_LEAVES[:size]:
        compact.append(leaf)
    assert compact.size == size
    assert compact.hashes == tuple(KA_NODES[level][index] for level, index in expected_nodes)


@pytest.mark.parametrize(
    "vector", KA["inclusion_proofs"], ids=lambda v: f"{v['index']}-of-{v['tree_size']}"
)
def test_known_inclusion_proofs(vector: dict[str, Any]) -> None:
    index, size = vector["index"], vector["tree_size"]
    expected = [h(x) for x in vector["proof"]]
    assert index == vector["ct_leaf"] - 1
    assert inclusion_proof(KA_LEAVES[:size], index) == expected
    assert inclusion_proof_from_nodes(NodeStore(KA_LEAVES), index, size) == expected
    verify_inclusion(KA_LEAVES[index], index, size, expected, KA_ROOTS[size])
    assert root_from_inclusion_proof(KA_LEAVES[index], index, size, expected) == KA_ROOTS[size]


@pytest.mark.parametrize(
    "vector", KA["consistency_proofs"], ids=lambda v: f"{v['old_size']}-to-{v['new_size']}"
)
def test_known_consistency_proofs(vector: dict[str, Any]) -> None:
    old, new = vector["old_size"], vector["new_size"]
    expected = [h(x) for x in vector["proof"]]
    assert consistency_proof(KA_LEAVES[:new], old) == expected
    assert consistency_proof_from_nodes(NodeStore(KA_LEAVES), old, new) == expected
    verify_consistency(old, new, KA_ROOTS[old], KA_ROOTS[new], expected)


def test_ct_log_entry_inclusion() -> None:
    """A real CT log entry: index 848049 of 3630887, a 22-node audit path."""
    case = KA["ct_log_inclusion"]
    leaf = leaf_hash(h("".join(case["leaf_input_chunks"])))
    assert leaf.hex() == case["leaf_hash"]
    proof = [h(x) for x in case["proof"]]
    verify_inclusion(leaf, case["index"], case["tree_size"], proof, h(case["root"]))
    with pytest.raises(RootMismatchError):
        verify_inclusion(leaf, case["index"] + 1, case["tree_size"], proof, h(case["root"]))
    with pytest.raises(ProofError, match="too short"):
        verify_inclusion(leaf, case["index"], case["tree_size"], proof[:-1], h(case["root"]))


def test_size_is_bound_only_through_the_proof_shape() -> None:
    """Not a bug, RFC 9162 as written: a proof carries no sizes, so a claimed size that gives the
    same proof shape computes the same root and verifies. Tree heads sign size and root together.
    """
    p58 = [h(x) for x in KA["inclusion_proofs"][2]["proof"]]
    p15 = [h(x) for x in KA["inclusion_proofs"][4]["proof"]]
    verify_inclusion(KA_LEAVES[5], 5, 7, p58, KA_ROOTS[8])  # made for size 8
    verify_inclusion(KA_LEAVES[1], 1, 6, p15, KA_ROOTS[5])  # made for size 5
    assert ref_directions(5, 7) == ref_directions(5, 8)
    c68 = [h(x) for x in KA["consistency_proofs"][2]["proof"]]
    c25 = [h(x) for x in KA["consistency_proofs"][3]["proof"]]
    verify_consistency(6, 7, KA_ROOTS[6], KA_ROOTS[8], c68)  # made for 6 -> 8
    verify_consistency(2, 6, KA_ROOTS[2], KA_ROOTS[5], c25)  # made for 2 -> 5
    with pytest.raises(ProofError):  # a different shape does not verify
        verify_inclusion(KA_LEAVES[5], 5, 6, p58, KA_ROOTS[8])


def test_ct_consistency_edge_cases() -> None:
    """From the CT C++/Python MerkleVerifier tests, adapted to our stricter size-0 rule."""
    r1 = KA_ROOTS[1]
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 1, EMPTY_ROOT, r1, [])
    verify_consistency(1, 1, r1, r1, [])
    for old, new in [(1, 0), (2, 1)]:
        with pytest.raises(ProofError, match="greater than"):
            verify_consistency(old, new, r1, r1, [])
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(1, 2, r1, KA_ROOTS[2], [])
    with pytest.raises(RootMismatchError):
        verify_consistency(1, 1, EMPTY_ROOT, r1, [])
    with pytest.raises(RootMismatchError):
        verify_consistency(0, 1, r1, r1, [])  # the empty tree's root is known
    for old, new in [(0, 0), (0, 1), (1, 1)]:
        with pytest.raises(ProofError, match="too long"):
            verify_consistency(old, new, KA_ROOTS[old], KA_ROOTS[new], [EMPTY_ROOT])


# ---------------------------------------------------------------------------------------------
# 2. Named tamper cases


def _hexify(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_hexify(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    """JSON -> arguments: every string is hex for bytes; numbers, bools, null and lists stay."""
    if isinstance(value, str):
        return bytes.fromhex(value)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _inclusion(leaf: Any, index: Any, size: Any, proof: Any, root_: Any) -> dict[str, Any]:
    return {
        "leaf_hash": _hexify(leaf),
        "index": index,
        "tree_size": size,
        "proof": _hexify(proof),
        "root": _hexify(root_),
    }


def _consistency(old: Any, new: Any, old_root: Any, new_root: Any, proof: Any) -> dict[str, Any]:
    return {
        "old_size": old,
        "new_size": new,
        "old_root": _hexify(old_root),
        "new_root": _hexify(new_root),
        "proof": _hexify(proof),
    }


def build_tamper_vectors() -> dict[str, dict[str, Any]]:
    """The named tamper files, derived from the known-answer reference tree (CT's 8 leaves).

    Every case carries the untampered arguments (which must verify) and the tampered ones (which
    must raise ProofError). Hex strings decode to bytes; other JSON values are passed as they are.
    """
    leaves, roots = KA_LEAVES, KA_ROOTS
    incl = {
        (v["index"], v["tree_size"]): [h(p) for p in v["proof"]] for v in KA["inclusion_proofs"]
    }
    cons = {
        (v["old_size"], v["new_size"]): [h(p) for p in v["proof"]] for v in KA["consistency_proofs"]
    }

    def good_incl(index: int, size: int) -> dict[str, Any]:
        return _inclusion(leaves[index], index, size, incl[index, size], roots[size])

    def good_cons(old: int, new: int) -> dict[str, Any]:
        return _consistency(old, new, roots[old], roots[new], cons[old, new])

    def incl_case(note: str, index: int, size: int, /, **changes: Any) -> dict[str, Any]:
        good = good_incl(index, size)
        bad = {**good, **{k: _hexify(v) for k, v in changes.items()}}
        return {"kind": "inclusion", "note": note, "untampered": good, "tampered": bad}

    def cons_case(note: str, old: int, new: int, /, **changes: Any) -> dict[str, Any]:
        good = good_cons(old, new)
        bad = {**good, **{k: _hexify(v) for k, v in changes.items()}}
        return {"kind": "consistency", "note": note, "untampered": good, "tampered": bad}

    p58, p15, p38 = incl[5, 8], incl[1, 5], incl[2, 3]
    c68, c25, c18 = cons[6, 8], cons[2, 5], cons[1, 8]
    zero = bytes(HASH_SIZE)

    def flipped(value: bytes) -> bytes:
        return flip_bit(value, 3)  # bit 3 of the first byte, as transparency-dev/merkle does

    def flip_at(proof: list[bytes], i: int) -> list[bytes]:
        return [flipped(p) if j == i else p for j, p in enumerate(proof)]

    def swap(proof: list[bytes], i: int, j: int) -> list[bytes]:
        out = [*proof]
        out[i], out[j] = out[j], out[i]
        return out

    # reordered-leaves: the log rewrites history by swapping two leaves, then proves honestly.
    swapped01 = [leaves[1], leaves[0], *leaves[2:]]
    swapped45 = [*leaves[:4], leaves[5], leaves[4], *leaves[6:]]

    files: dict[str, tuple[str, list[dict[str, Any]]]] = {
        "flipped-leaf": (
            "One bit of the leaf hash is flipped (the leaf's data was altered).",
            [
                incl_case("index 5 of 8", 5, 8, leaf_hash=flipped(leaves[5])),
                incl_case("index 1 of 5", 1, 5, leaf_hash=flipped(leaves[1])),
                incl_case("single-leaf tree", 0, 1, leaf_hash=flipped(leaves[0])),
                incl_case("another leaf's hash", 5, 8, leaf_hash=leaves[4]),
            ],
        ),
        "flipped-proof-node": (
            "One bit of one proof element is flipped.",
            [
                *(
                    incl_case(f"proof[{i}], index 5 of 8", 5, 8, proof=flip_at(p58, i))
                    for i in range(len(p58))
                ),
                *(
                    cons_case(f"proof[{i}], 6 to 8", 6, 8, proof=flip_at(c68, i))
                    for i in range(len(c68))
                ),
                *(
                    cons_case(f"proof[{i}], 2 to 5", 2, 5, proof=flip_at(c25, i))
                    for i in range(len(c25))
                ),
            ],
        ),
        "wrong-root": (
            "The proof is checked against a root other than the tree's.",
            [
                incl_case("root bit flipped", 5, 8, root=flipped(roots[8])),
                incl_case("root of the 7-leaf tree", 5, 8, root=roots[7]),
                incl_case("empty tree's root", 5, 8, root=EMPTY_ROOT),
                incl_case("single-leaf tree, root bit flipped", 0, 1, root=flipped(roots[1])),
                cons_case("new root bit flipped", 6, 8, new_root=flipped(roots[8])),
                cons_case("old root bit flipped", 6, 8, old_root=flipped(roots[6])),
                cons_case("old root of size 3", 2, 5, old_root=roots[3]),
                cons_case("old power-of-two root bit flipped", 2, 5, old_root=flipped(roots[2])),
                cons_case("new root of size 7", 1, 8, new_root=roots[7]),
            ],
        ),
        "reordered-leaves": (
            "History rewritten: two leaves of the old tree swapped places, and the log then "
            "proves honestly from the reordered tree; no proof can match a root of the original "
            "order.",
            [
                cons_case(
                    "leaves 0 and 1 swapped; the new tree's honest root and proof",
                    6,
                    8,
                    new_root=root(swapped01),
                    proof=consistency_proof(swapped01, 6),
                ),
                cons_case(
                    "leaves 4 and 5 swapped; the new tree's honest root and proof",
                    6,
                    8,
                    new_root=root(swapped45),
                    proof=consistency_proof(swapped45, 6),
                ),
                cons_case(
                    "leaves 0 and 1 swapped; the new tree's honest root and proof",
                    2,
                    5,
                    new_root=root(swapped01[:5]),
                    proof=consistency_proof(swapped01[:5], 2),
                ),
                incl_case(
                    "leaf 5 proven at index 4, where the reordered tree has it",
                    5,
                    8,
                    index=4,
                    proof=inclusion_proof(swapped45, 4),
                ),
                incl_case(
                    "leaf 1 proven at index 0, where the reordered tree has it",
                    1,
                    5,
                    index=0,
                    proof=inclusion_proof(swapped01[:5], 0),
                ),
                incl_case(
                    "the reordered tree's root and its proof for index 5, for leaf 5",
                    5,
                    8,
                    proof=inclusion_proof(swapped45, 5),
                    root=root(swapped45),
                ),
            ],
        ),
        "truncated-proof": (
            "The proof lost an element (from its end, or from its start).",
            [
                incl_case("last element dropped, index 5 of 8", 5, 8, proof=p58[:-1]),
                incl_case("first element dropped, index 5 of 8", 5, 8, proof=p58[1:]),
                incl_case("last element dropped, index 1 of 5", 1, 5, proof=p15[:-1]),
                incl_case("emptied, index 2 of 3", 2, 3, proof=[]),
                cons_case("last element dropped, 6 to 8", 6, 8, proof=c68[:-1]),
                cons_case("first element dropped, 6 to 8", 6, 8, proof=c68[1:]),
                cons_case("last element dropped, 2 to 5", 2, 5, proof=c25[:-1]),
                cons_case("last element dropped, 1 to 8", 1, 8, proof=c18[:-1]),
            ],
        ),
        "extended-proof": (
            "An extra element was added to the proof, at its end or its start.",
            [
                incl_case("root appended", 5, 8, proof=[*p58, roots[8]]),
                incl_case("zero hash appended", 5, 8, proof=[*p58, zero]),
                incl_case("last element repeated", 1, 5, proof=[*p15, p15[-1]]),
                incl_case("root prepended", 5, 8, proof=[roots[8], *p58]),
                incl_case("zero hash prepended", 2, 3, proof=[zero, *p38]),
                incl_case("single-leaf tree given a proof", 0, 1, proof=[leaves[0]]),
                cons_case("new root appended", 6, 8, proof=[*c68, roots[8]]),
                cons_case("old root appended", 6, 8, proof=[*c68, roots[6]]),
                cons_case("old root prepended", 6, 8, proof=[roots[6], *c68]),
                cons_case("first element repeated", 6, 8, proof=[c68[0], *c68]),
                cons_case("old power-of-two root prepended", 2, 5, proof=[roots[2], *c25]),
                cons_case("equal sizes given a proof", 1, 1, proof=[roots[1]]),
            ],
        ),
        "swapped-proof-nodes": (
            "Two proof elements exchanged places.",
            [
                incl_case("proof[0] <-> proof[1], index 5 of 8", 5, 8, proof=swap(p58, 0, 1)),
                incl_case("proof[1] <-> proof[2], index 5 of 8", 5, 8, proof=swap(p58, 1, 2)),
                incl_case("proof[0] <-> proof[2], index 1 of 5", 1, 5, proof=swap(p15, 0, 2)),
                cons_case("proof[0] <-> proof[1], 6 to 8", 6, 8, proof=swap(c68, 0, 1)),
                cons_case("proof[1] <-> proof[2], 6 to 8", 6, 8, proof=swap(c68, 1, 2)),
                cons_case("proof[0] <-> proof[1], 2 to 5", 2, 5, proof=swap(c25, 0, 1)),
                cons_case("reversed, 1 to 8", 1, 8, proof=c18[::-1]),
            ],
        ),
        "wrong-index": (
            "The proof is checked for a leaf index other than the one it was made for.",
            [
                incl_case("index - 1", 5, 8, index=4),
                incl_case("index + 1", 5, 8, index=6),
                incl_case("index ^ 2", 5, 8, index=7),
                incl_case("index 0", 5, 8, index=0),
                incl_case("index - 1, 5 leaves", 1, 5, index=0),
                incl_case("index + 1, 5 leaves", 1, 5, index=2),
                incl_case("last leaf of 5", 1, 5, index=4),
                incl_case("index equal to the tree size", 5, 8, index=8),
                incl_case("index beyond the tree size", 5, 8, index=9),
                incl_case("index 2**64, beyond uint64", 5, 8, index=2**64),
            ],
        ),
        "wrong-size": (
            "The proof is checked for a tree size other than the one it was made for. Only sizes "
            "that change the shape of the proof are listed: RFC 9162 proofs bind sizes through "
            "that shape alone (index 5's path is the same in trees of 7 and 8 leaves), which is "
            "why a tree head must sign size and root together; see "
            "test_size_is_bound_only_through_the_proof_shape.",
            [
                incl_case("tree size * 2", 5, 8, tree_size=16),
                incl_case("tree size + 1", 5, 8, tree_size=9),
                incl_case("tree size - 2", 5, 8, tree_size=6),
                incl_case("tree size - 1, 5 leaves", 1, 5, tree_size=4),
                incl_case("tree size - 2, 5 leaves", 1, 5, tree_size=3),
                incl_case("tree size - 1, 3 leaves", 2, 3, tree_size=2),
                incl_case("zero tree size", 0, 1, tree_size=0),
                cons_case("new size * 2", 6, 8, new_size=16),
                cons_case("new size + 1", 6, 8, new_size=9),
                cons_case("old size - 1", 6, 8, old_size=5),
                cons_case("old size + 1", 6, 8, old_size=7),
                cons_case("old size ^ 2", 6, 8, old_size=4),
                cons_case("old size + 1, 2 to 5", 2, 5, old_size=3),
                cons_case("old size - 1, 2 to 5", 2, 5, old_size=1),
                cons_case("new size - 2, 2 to 5", 2, 5, new_size=3),
                cons_case("new size - 1, 2 to 5", 2, 5, new_size=4),
            ],
        ),
        "old-size-greater-than-new": (
            "The 'old' tree is larger than the 'new' one: consistency cannot run backwards.",
            [
                cons_case(
                    "sizes and roots exchanged",
                    2,
                    5,
                    old_size=5,
                    new_size=2,
                    old_root=roots[5],
                    new_root=roots[2],
                ),
                cons_case("old size above new size", 6, 8, old_size=9),
                cons_case("new size below old size, empty proof", 1, 1, new_size=0, proof=[]),
                cons_case(
                    "8 to 6 with the 6 to 8 proof",
                    6,
                    8,
                    old_size=8,
                    new_size=6,
                    old_root=roots[8],
                    new_root=roots[6],
                ),
            ],
        ),
        "swapped-roots": (
            "The old and new roots were given in each other's place.",
            [
                cons_case("6 to 8", 6, 8, old_root=roots[8], new_root=roots[6]),
                cons_case("2 to 5", 2, 5, old_root=roots[5], new_root=roots[2]),
                cons_case("1 to 8", 1, 8, old_root=roots[8], new_root=roots[1]),
            ],
        ),
        "empty-proof": (
            "The proof is empty where the sizes demand elements.",
            [
                incl_case("index 5 of 8", 5, 8, proof=[]),
                cons_case("6 to 8", 6, 8, proof=[]),
                cons_case("2 to 5", 2, 5, proof=[]),
                cons_case(
                    "1 to 8 with the new root as old root", 1, 8, proof=[], old_root=roots[8]
                ),
            ],
        ),
        "equal-sizes-different-roots": (
            "Two tree heads of the same size with different roots: a forked log.",
            [
                cons_case(
                    "size 8, new root flipped",
                    1,
                    1,
                    old_size=8,
                    new_size=8,
                    old_root=roots[8],
                    new_root=flipped(roots[8]),
                ),
                cons_case("size 1, leaves differ", 1, 1, new_root=leaves[1]),
            ],
        ),
        "empty-tree-wrong-root": (
            "Size 0 given a root other than SHA-256 of the empty string.",
            [
                cons_case("0 to 0, both roots a leaf", 1, 1, old_size=0, new_size=0),
                cons_case(
                    "0 to 5, old root of size 1", 2, 5, old_size=0, proof=[], old_root=roots[1]
                ),
                cons_case(
                    "0 to 0, new root not empty", 1, 1, old_size=0, new_size=0, old_root=EMPTY_ROOT
                ),
            ],
        ),
        "wrong-hash-length": (
            "A hash of the wrong length: truncated, extended or empty.",
            [
                incl_case("leaf hash of 31 bytes", 5, 8, leaf_hash=leaves[5][:31]),
                incl_case("leaf data instead of its hash", 5, 8, leaf_hash=KA_LEAF_INPUTS[5]),
                incl_case("root of 33 bytes", 5, 8, root=roots[8] + b"\x00"),
                incl_case("empty root", 0, 1, root=b""),
                incl_case("proof element of 31 bytes", 5, 8, proof=[p58[0][:31], *p58[1:]]),
                incl_case("proof element of 64 bytes", 5, 8, proof=[p58[0] + p58[1], p58[2]]),
                cons_case("old root of 31 bytes", 6, 8, old_root=roots[6][:31]),
                cons_case("new root empty", 1, 1, new_root=b""),
                cons_case("empty proof element", 6, 8, proof=[*c68[:2], b""]),
            ],
        ),
        "negative-numbers": (
            "A negative leaf index or tree size.",
            [
                incl_case("index -1", 5, 8, index=-1),
                incl_case("tree size -8", 5, 8, tree_size=-8),
                cons_case("old size -1", 6, 8, old_size=-1),
                cons_case("new size -8", 6, 8, new_size=-8),
                cons_case("both sizes -1", 1, 1, old_size=-1, new_size=-1),
            ],
        ),
        "bool-numbers": (
            "A bool where an int is required (True == 1 and False == 0, but they are refused).",
            [
                incl_case("tree size true", 0, 1, tree_size=True),
                incl_case("index false", 0, 1, index=False),
                cons_case("sizes true", 1, 1, old_size=True, new_size=True),
                cons_case("old size false", 1, 1, old_size=False, old_root=EMPTY_ROOT),
            ],
        ),
        "non-bytes-proof": (
            "The proof, or an element of it, is not bytes: a number, null, a list, a bool, "
            "or the proof is itself one byte string or null.",
            [
                incl_case("element is a number", 5, 8, proof=[p58[0], 7, p58[2]]),
                incl_case("element is null", 5, 8, proof=[p58[0], p58[1], None]),
                incl_case("element is a list of bytes", 5, 8, proof=[[p58[0]], p58[1], p58[2]]),
                incl_case("element is a bool", 1, 5, proof=[True, *p15[1:]]),
                incl_case("proof is one byte string", 2, 3, proof=p38[0]),
                incl_case("proof is null", 0, 1, proof=None),
                cons_case("element is a number", 6, 8, proof=[*c68[:2], 0]),
                cons_case("proof is the concatenated elements", 2, 5, proof=c25[0] + c25[1]),
                cons_case("proof is null", 1, 1, proof=None),
            ],
        ),
    }
    return {
        name: {
            "description": description,
            "must_fail": True,
            "generated_from": (
                "known-answers.json: the CT reference tree of 8 leaves, its roots and its "
                "known-good proofs (tests/unit/test_merkle.py build_tamper_vectors)"
            ),
            "bit_flip": "bit 3 of the first byte (value ^ 0x08), as transparency-dev/merkle",
            "encoding": "strings are hex bytes; numbers, bools, null and lists are given as is",
            "cases": cases,
        }
        for name, (description, cases) in files.items()
    }


def _tamper_files() -> list[Path]:
    return sorted(p for p in VECTORS.glob("*.json") if p != KNOWN_ANSWERS)


def _render(content: dict[str, Any]) -> str:
    return json.dumps(content, indent=2) + "\n"


def write_tamper_vectors() -> None:
    for name, content in build_tamper_vectors().items():
        (VECTORS / f"{name}.json").write_text(_render(content))


def _run(kind: str, args: dict[str, Any]) -> None:
    a = {k: _decode(v) for k, v in args.items()}
    if kind == "inclusion":
        verify_inclusion(a["leaf_hash"], a["index"], a["tree_size"], a["proof"], a["root"])
    else:
        verify_consistency(a["old_size"], a["new_size"], a["old_root"], a["new_root"], a["proof"])


def test_tamper_files_are_what_the_generator_produces() -> None:
    expected = build_tamper_vectors()
    assert sorted(p.stem for p in _tamper_files()) == sorted(expected)
    for name, content in expected.items():
        on_disk = (VECTORS / f"{name}.json").read_text()
        assert on_disk == _render(content), (
            f"{name}.json is stale: python -m tests.unit.test_merkle --write"
        )


def test_required_tamper_files_exist() -> None:
    names = {p.stem for p in _tamper_files()}
    assert names >= {
        "flipped-leaf",
        "reordered-leaves",
        "truncated-proof",
        "extended-proof",
        "wrong-index",
        "wrong-size",
        "swapped-proof-nodes",
        "wrong-root",
        "old-size-greater-than-new",
    }


def _tamper_cases() -> Iterator[Any]:
    for path in _tamper_files():
        content = json.loads(path.read_text())
        for i, case in enumerate(content["cases"]):
            yield pytest.param(content, case, id=f"{path.stem}[{i}]-{case['kind']}")


@pytest.mark.parametrize(("content", "case"), list(_tamper_cases()))
def test_tamper_case_must_fail(content: dict[str, Any], case: dict[str, Any]) -> None:
    assert content["must_fail"] is True
    assert content["description"]
    _run(case["kind"], case["untampered"])  # the reference input verifies...
    assert json.dumps(case["tampered"]) != json.dumps(case["untampered"])  # True != 1 here
    with pytest.raises(ProofError):  # ...and the tampering is what breaks it
        _run(case["kind"], case["tampered"])


# ---------------------------------------------------------------------------------------------
# 3. Exhaustive cross-checks against the literal RFC definitions


@pytest.mark.parametrize("n", range(0, 70))
def test_against_rfc_reference_every_index_and_size(n: int) -> None:
    leaves = make_leaves(n, seed=n)
    tree_root = root(leaves)
    assert tree_root == ref_mth(leaves)
    store = NodeStore(leaves)
    assert root_from_nodes(store, n) == tree_root
    for index in range(n):
        proof = inclusion_proof(leaves, index)
        assert proof == ref_path(index, leaves)
        assert inclusion_proof_from_nodes(store, index, n) == proof
        verify_inclusion(leaves[index], index, n, proof, tree_root)
    for old in range(n + 1):
        proof = consistency_proof(leaves, old)
        expected = ref_proof(old, leaves) if 0 < old < n else []
        assert proof == expected
        assert consistency_proof_from_nodes(store, old, n) == proof
        verify_consistency(old, n, ref_mth(leaves[:old]), tree_root, proof)


def test_large_tree_crosses_batch_boundaries() -> None:
    n = 3 * 4096 + 123  # more than one batch of _range_root, odd tail
    leaves = make_leaves(n)
    expected = ref_mth(leaves)
    assert root(leaves) == expected
    compact = CompactRange()
    compact.extend(leaves)
    assert compact.root() == expected
    for start, end in [(0, n), (1, n), (4096, n - 1), (5, 4101), (4095, 8193)]:
        assert range_root(leaves, start, end) == ref_mth(leaves[start:end])
    store = NodeStore(leaves)
    for index in (0, 4095, 4096, 8191, n - 2, n - 1):
        proof = inclusion_proof(leaves, index)
        assert proof == ref_path(index, leaves)
        store.calls = 0
        assert inclusion_proof_from_nodes(store, index, n) == proof
        assert store.calls <= 2 * n.bit_length()
        verify_inclusion(leaves[index], index, n, proof, expected)
    for old in (1, 4096, 4097, 12000, n - 1):
        proof = consistency_proof(leaves, old)
        assert proof == ref_proof(old, leaves)
        store.calls = 0
        assert consistency_proof_from_nodes(store, old, n) == proof
        assert store.calls <= 2 * n.bit_length()
        verify_consistency(old, n, root(leaves[:old]), expected, proof)


def test_sizes_up_to_two_to_the_64() -> None:
    """Index arithmetic at the RFC's uint64 limit, on a virtual tree of identical leaves."""
    leaf = leaf_hash(b"")
    top = MAX_TREE_SIZE
    for size, index in [(top, top - 1), (top, 0), (2**63 + 1, 2**63), (2**40 + 3, 2**39)]:
        proof = inclusion_proof_from_nodes(uniform_node, index, size)
        tree_root = root_from_nodes(uniform_node, size)
        verify_inclusion(leaf, index, size, proof, tree_root)
        with pytest.raises(RootMismatchError):
            verify_inclusion(leaf, index, size, proof, root_from_nodes(uniform_node, size - 1))
        with pytest.raises(ProofError, match="too short"):
            verify_inclusion(leaf, index, size, proof[:-1], tree_root)
    for old, new in [(2**63 + 5, top), (1, top), (top - 1, top), (2**32, 2**33 + 1)]:
        proof = consistency_proof_from_nodes(uniform_node, old, new)
        old_root, new_root = root_from_nodes(uniform_node, old), root_from_nodes(uniform_node, new)
        verify_consistency(old, new, old_root, new_root, proof)
        with pytest.raises(ProofError):
            verify_consistency(old, new, new_root, old_root, proof)
    with pytest.raises(ProofError, match="out of range"):
        verify_inclusion(leaf, 0, top + 1, [], leaf)
    with pytest.raises(ProofError, match="out of range"):
        verify_consistency(1, top + 1, leaf, leaf, [])
    frontier = CompactRange.from_nodes(uniform_node, top)
    assert frontier.root() == root_from_nodes(uniform_node, top)
    assert len(frontier.hashes) == 64
    with pytest.raises(ValueError, match="full"):
        frontier.append(leaf)


# ---------------------------------------------------------------------------------------------
# 4. Hypothesis properties


sizes = st.integers(min_value=1, max_value=300)
seeds = st.integers(min_value=0, max_value=2**32)


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_inclusion_proofs_verify(n: int, seed: int, data: st.DataObject) -> None:
    leaves = make_leaves(n, seed)
    tree_root = root(leaves)
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    proof = inclusion_proof(leaves, index)
    verify_inclusion(leaves[index], index, n, proof, tree_root)
    assert inclusion_proof_from_nodes(NodeStore(leaves), index, n) == proof


@settings(max_examples=20, deadline=None)
@given(n=sizes, seed=seeds)
def test_inclusion_proofs_verify_for_every_index(n: int, seed: int) -> None:
    leaves = make_leaves(n, seed)
    tree_root = root(leaves)
    for index in range(n):
        verify_inclusion(leaves[index], index, n, inclusion_proof(leaves, index), tree_root)


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_consistency_proofs_verify(n: int, seed: int, data: st.DataObject) -> None:
    leaves = make_leaves(n, seed)
    old = data.draw(st.integers(min_value=0, max_value=n), label="old_size")
    proof = consistency_proof(leaves, old)
    verify_consistency(old, n, root(leaves[:old]), root(leaves), proof)
    assert consistency_proof_from_nodes(NodeStore(leaves), old, n) == proof


@settings(max_examples=10, deadline=None)
@given(n=st.integers(min_value=1, max_value=150), seed=seeds)
def test_consistency_proofs_verify_for_every_old_size(n: int, seed: int) -> None:
    leaves = make_leaves(n, seed)
    compact = CompactRange()
    new_root = root(leaves)
    verify_consistency(0, n, EMPTY_ROOT, new_root, consistency_proof(leaves, 0))
    for old in range(1, n + 1):
        compact.append(leaves[old - 1])
        verify_consistency(old, n, compact.root(), new_root, consistency_proof(leaves, old))


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_any_bit_flip_breaks_inclusion(n: int, seed: int, data: st.DataObject) -> None:
    leaves = make_leaves(n, seed)
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    proof = inclusion_proof(leaves, index)
    tree_root = root(leaves)
    leaf = leaves[index]
    targets = ["leaf", "root"] + (["proof"] if proof else [])
    target = data.draw(st.sampled_from(targets), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=8 * HASH_SIZE - 1), label="bit")
    if target == "leaf":
        leaf = flip_bit(leaf, bit)
    elif target == "root":
        tree_root = flip_bit(tree_root, bit)
    else:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="element")
        proof = [flip_bit(p, bit) if j == i else p for j, p in enumerate(proof)]
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(leaf, index, n, proof, tree_root)
    assert caught.value.expected == tree_root
    assert caught.value.calculated is not None
    assert caught.value.calculated != tree_root


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_any_bit_flip_breaks_consistency(n: int, seed: int, data: st.DataObject) -> None:
    leaves = make_leaves(n, seed)
    old = data.draw(st.integers(min_value=1, max_value=n), label="old_size")
    proof = consistency_proof(leaves, old)
    old_root, new_root = root(leaves[:old]), root(leaves)
    targets = ["old_root", "new_root"] + (["proof"] if proof else [])
    target = data.draw(st.sampled_from(targets), label="target")
    bit = data.draw(st.integers(min_value=0, max_value=8 * HASH_SIZE - 1), label="bit")
    if target == "old_root":
        old_root = flip_bit(old_root, bit)
    elif target == "new_root":
        new_root = flip_bit(new_root, bit)
    else:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="element")
        proof = [flip_bit(p, bit) if j == i else p for j, p in enumerate(proof)]
    with pytest.raises(RootMismatchError):
        verify_consistency(old, n, old_root, new_root, proof)


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_inclusion_proof_for_another_index_fails(n: int, seed: int, data: st.DataObject) -> None:
    leaves = make_leaves(n, seed)
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    other = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda i: i != index))
    proof = inclusion_proof(leaves, index)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], other, n, proof, root(leaves))
    with pytest.raises(ProofError):  # the leaf that really is there, with the wrong path
        verify_inclusion(leaves[other], other, n, proof, root(leaves))


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_inclusion_proof_binds_size_only_through_path_shape(
    n: int, seed: int, data: st.DataObject
) -> None:
    """RFC 9162 inclusion proofs carry no size: a claimed size other than the real one is
    rejected exactly when it changes the path's shape (its length or a left/right turn). With the
    same shape the computation is identical, so it verifies — that is why a tree head must sign
    size and root together. E.g. index 5's path is the same in trees of 7 and 8 leaves."""
    leaves = make_leaves(n, seed)
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    other_size = data.draw(st.integers(min_value=index + 1, max_value=2 * n + 1), label="size")
    proof = inclusion_proof(leaves, index)
    if ref_directions(index, other_size) == ref_directions(index, n):
        verify_inclusion(leaves[index], index, other_size, proof, root(leaves))
    else:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, other_size, proof, root(leaves))


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_changed_history_breaks_consistency(n: int, seed: int, data: st.DataObject) -> None:
    """Any change to a leaf of the old tree makes the honest proof of the new tree fail."""
    leaves = make_leaves(n, seed)
    old = data.draw(st.integers(min_value=1, max_value=n), label="old_size")
    victim = data.draw(st.integers(min_value=0, max_value=old - 1), label="victim")
    rewritten = [*leaves]
    rewritten[victim] = leaf_hash(b"rewritten")
    proof = consistency_proof(rewritten, old)
    with pytest.raises(RootMismatchError):
        verify_consistency(old, n, root(leaves[:old]), root(rewritten), proof)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=0, max_value=300), seed=seeds)
def test_compact_range_agrees_with_root_for_all_prefixes(n: int, seed: int) -> None:
    leaves = make_leaves(n, seed)
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for i, leaf in enumerate(leaves):
        compact.append(leaf)
        assert compact.size == i + 1
        assert compact.root() == root(leaves[: i + 1])
        assert len(compact.hashes) == (i + 1).bit_count()
    bulk = CompactRange()
    bulk.extend(leaves)
    assert bulk == compact
    assert CompactRange(compact.size, compact.hashes) == compact


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=0, max_value=300), seed=seeds, split=st.integers(0, 300))
def test_compact_range_reports_every_node_once(n: int, seed: int, split: int) -> None:
    leaves = make_leaves(n, seed)
    split = min(split, n)
    stored: dict[tuple[int, int], bytes] = {}

    def on_node(level: int, index: int, value: bytes) -> None:
        assert (level, index) not in stored
        stored[level, index] = value

    compact = CompactRange()
    for leaf in leaves[:split]:
        compact.append(leaf, on_node)
    compact.extend(leaves[split:], on_node)
    assert compact.root() == root(leaves)
    expected = {
        (level, index): range_root(leaves, index << level, (index + 1) << level)
        for level in range(n.bit_length())
        for index in range(n >> level)
    }
    assert stored == expected

    def get_node(level: int, index: int) -> bytes:
        return stored[level, index]

    resumed = CompactRange.from_nodes(get_node, n)
    assert resumed == compact
    assert root_from_nodes(get_node, n) == root(leaves)
    for index in range(0, n, 7):
        assert inclusion_proof_from_nodes(get_node, index, n) == inclusion_proof(leaves, index)
    for old in range(0, n + 1, 5):
        assert consistency_proof_from_nodes(get_node, old, n) == consistency_proof(leaves, old)


# Garbage for the verifiers: they must raise ProofError and nothing else.


class HostileSequence(Sequence[bytes]):
    """A Sequence whose every method fails in its own way."""

    def __init__(self, length: Any, error: type[BaseException] = RuntimeError) -> None:
        self.length = length
        self.error = error

    def __len__(self) -> int:
        if isinstance(self.length, type) and issubclass(self.length, BaseException):
            raise self.length("len")
        return int(self.length)

    def __getitem__(self, i: Any) -> Any:
        raise self.error("getitem")

    def __iter__(self) -> Iterator[bytes]:
        raise self.error("iter")


class BytesSubclass(bytes):
    def __radd__(self, other: Any) -> Any:
        raise RuntimeError("hostile radd")

    def __len__(self) -> int:
        raise RuntimeError("hostile len")


hashlike = st.one_of(
    st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE),
    st.sampled_from([EMPTY_ROOT, *KA_ROOTS, *KA_LEAVES]),
)
garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=70),
    st.binary(max_size=70),
    st.builds(bytearray, st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE)),
    st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE).map(lambda b: memoryview(b)),
    st.builds(BytesSubclass, st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.just(object()),
    st.just(...),
)
hash_or_garbage = st.one_of(hashlike, garbage)
number_or_garbage = st.one_of(
    st.integers(min_value=-3, max_value=20),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([MAX_TREE_SIZE, MAX_TREE_SIZE + 1, 2**63, -(2**64)]),
    garbage,
)
proof_or_garbage = st.one_of(
    st.lists(hashlike, max_size=70),
    st.lists(hash_or_garbage, max_size=10),
    st.lists(hashlike, max_size=5).map(tuple),
    st.lists(hashlike, max_size=5).map(iter),
    st.lists(hashlike, max_size=5).map(lambda xs: (x for x in xs)),
    st.lists(hashlike, max_size=5).map(set),
    st.builds(
        HostileSequence,
        st.one_of(st.integers(-2, 5), st.just(2**70), st.just(ValueError), st.just(MemoryError)),
        st.sampled_from([RuntimeError, TypeError, IndexError, KeyError]),
    ),
    st.just(range(3)),
    st.just(range(10**12)),
    garbage,
)


@settings(max_examples=600, deadline=None)
@given(
    leaf=hash_or_garbage,
    index=number_or_garbage,
    size=number_or_garbage,
    proof=proof_or_garbage,
    root_=hash_or_garbage,
)
def test_verify_inclusion_only_raises_proof_error(
    leaf: Any, index: Any, size: Any, proof: Any, root_: Any
) -> None:
    with contextlib.suppress(ProofError):
        verify_inclusion(leaf, index, size, proof, root_)
    with contextlib.suppress(ProofError):
        root_from_inclusion_proof(leaf, index, size, proof)


@settings(max_examples=600, deadline=None)
@given(
    old=number_or_garbage,
    new=number_or_garbage,
    old_root=hash_or_garbage,
    new_root=hash_or_garbage,
    proof=proof_or_garbage,
)
def test_verify_consistency_only_raises_proof_error(
    old: Any, new: Any, old_root: Any, new_root: Any, proof: Any
) -> None:
    with contextlib.suppress(ProofError):
        verify_consistency(old, new, old_root, new_root, proof)


@PROPERTY
@given(n=sizes, seed=seeds, data=st.data())
def test_plausible_garbage_near_valid_proofs(n: int, seed: int, data: st.DataObject) -> None:
    """Valid sizes and well-formed but random proofs of random lengths never verify."""
    leaves = make_leaves(n, seed)
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    proof = data.draw(st.lists(hashlike, max_size=12), label="proof")
    if proof != inclusion_proof(leaves, index):
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, n, proof, root(leaves))
    old = data.draw(st.integers(min_value=1, max_value=n), label="old_size")
    if proof != consistency_proof(leaves, old):
        with pytest.raises(ProofError):
            verify_consistency(old, n, root(leaves[:old]), root(leaves), proof)


# ---------------------------------------------------------------------------------------------
# Malformed input, named


GOOD_LEAF, GOOD_ROOT = KA_LEAVES[5], KA_ROOTS[8]
GOOD_PROOF = [h(x) for x in KA["inclusion_proofs"][2]["proof"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((GOOD_LEAF, 5, 8, GOOD_PROOF, GOOD_ROOT[:31]), "root must be 32 bytes"),
        ((bytearray(GOOD_LEAF), 5, 8, GOOD_PROOF, GOOD_ROOT), "leaf_hash must be bytes"),
        ((GOOD_LEAF, 5.0, 8, GOOD_PROOF, GOOD_ROOT), "index must be an int"),
        ((GOOD_LEAF, True, 8, GOOD_PROOF, GOOD_ROOT), "index must be an int, not bool"),
        ((GOOD_LEAF, 5, "8", GOOD_PROOF, GOOD_ROOT), "tree_size must be an int"),
        ((GOOD_LEAF, 5, 2**64, GOOD_PROOF, GOOD_ROOT), "tree_size is out of range"),
        ((GOOD_LEAF, 8, 8, GOOD_PROOF, GOOD_ROOT), "out of range for tree size 8"),
        ((GOOD_LEAF, 5, 8, GOOD_PROOF[:2], GOOD_ROOT), "too short: 2 elements, expected 3"),
        ((GOOD_LEAF, 5, 8, [*GOOD_PROOF, GOOD_ROOT], GOOD_ROOT), "too long: 4 elements"),
        ((GOOD_LEAF, 5, 8, b"".join(GOOD_PROOF), GOOD_ROOT), "must be a sequence of hashes"),
        ((GOOD_LEAF, 5, 8, "proof", GOOD_ROOT), "must be a sequence of hashes, not str"),
        ((GOOD_LEAF, 5, 8, iter(GOOD_PROOF), GOOD_ROOT), "must be a sequence"),
        ((GOOD_LEAF, 5, 8, [*GOOD_PROOF[:2], None], GOOD_ROOT), "element 2 must be bytes"),
        ((GOOD_LEAF, 5, 8, [*GOOD_PROOF[:2], b"x"], GOOD_ROOT), "element 2 must be 32 bytes"),
        ((GOOD_LEAF, 5, 8, HostileSequence(3), GOOD_ROOT), "could not be read"),
        ((GOOD_LEAF, 5, 8, HostileSequence(ValueError), GOOD_ROOT), "could not be read"),
        ((GOOD_LEAF, 5, 8, HostileSequence(9), GOOD_ROOT), "too long"),
        ((BytesSubclass(GOOD_LEAF), 5, 8, GOOD_PROOF, GOOD_ROOT), "not BytesSubclass"),
    ],
)
def test_verify_inclusion_malformed(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ProofError, match=message) as caught:
        verify_inclusion(*args)
    assert type(caught.value) is ProofError  # malformed, not a root mismatch
    assert caught.value.expected is None
    assert caught.value.calculated is None


def test_proof_may_be_any_sequence() -> None:
    class Wrapped(Sequence[bytes]):
        def __init__(self, items: list[bytes]) -> None:
            self.items = items

        def __len__(self) -> int:
            return len(self.items)

        def __getitem__(self, i: Any) -> Any:
            return self.items[i]

    verify_inclusion(GOOD_LEAF, 5, 8, tuple(GOOD_PROOF), GOOD_ROOT)
    verify_inclusion(GOOD_LEAF, 5, 8, Wrapped(GOOD_PROOF), GOOD_ROOT)


def test_root_mismatch_carries_expected_and_calculated() -> None:
    wrong = flip_bit(GOOD_ROOT, 0)
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(GOOD_LEAF, 5, 8, GOOD_PROOF, wrong)
    assert caught.value.expected == wrong
    assert caught.value.calculated == GOOD_ROOT
    assert isinstance(caught.value, ProofError)
    assert isinstance(caught.value, ValueError)
    assert wrong.hex() in str(caught.value)
    assert GOOD_ROOT.hex() in str(caught.value)

    c68 = [h(x) for x in KA["consistency_proofs"][2]["proof"]]
    with pytest.raises(RootMismatchError, match="new root") as consistency:
        verify_consistency(6, 8, KA_ROOTS[6], wrong, c68)
    assert consistency.value.expected == wrong
    assert consistency.value.calculated == GOOD_ROOT
    with pytest.raises(RootMismatchError, match="old root") as old:
        verify_consistency(6, 8, KA_ROOTS[5], GOOD_ROOT, c68)
    assert old.value.expected == KA_ROOTS[5]
    assert old.value.calculated == KA_ROOTS[6]


def test_verify_consistency_malformed() -> None:
    r6, r8 = KA_ROOTS[6], KA_ROOTS[8]
    c68 = [h(x) for x in KA["consistency_proofs"][2]["proof"]]
    cases: list[tuple[tuple[Any, ...], str]] = [
        ((8, 6, r6, r8, c68), "greater than"),
        ((6, 8, r6[:31], r8, c68), "old_root must be 32 bytes"),
        ((6, 8, r6, None, c68), "new_root must be bytes"),
        ((6.0, 8, r6, r8, c68), "old_size must be an int"),
        ((6, False, r6, r8, c68), "new_size must be an int, not bool"),
        ((-6, 8, r6, r8, c68), "old_size is out of range"),
        ((6, 8, r6, r8, c68[:2]), "too short"),
        ((6, 8, r6, r8, [*c68, r8]), "too long"),
        ((6, 8, r6, r8, [*c68[:2], "ab" * 32]), "element 2 must be bytes, not str"),
        ((6, 8, r6, r8, dict.fromkeys(c68, 1)), "must be a sequence"),
        ((6, 8, r6, r8, HostileSequence(3, KeyError)), "could not be read"),
    ]
    for args, message in cases:
        with pytest.raises(ProofError, match=message):
            verify_consistency(*args)


# ---------------------------------------------------------------------------------------------
# Producers and CompactRange: preconditions


def test_producers_reject_bad_leaf_hashes() -> None:
    leaves = make_leaves(4)
    with pytest.raises(TypeError, match="leaf_hashes must be a sequence"):
        root(b"".join(leaves))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"leaf_hashes\[2\] must be bytes"):
        root([*leaves[:2], bytearray(leaves[2])])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"leaf_hashes\[1\] must be 32 bytes, not 5"):
        inclusion_proof([leaves[0], b"short"], 0)
    with pytest.raises(ValueError, match="out of range for 4 leaves"):
        inclusion_proof(leaves, 4)
    with pytest.raises(ValueError, match="out of range"):
        inclusion_proof(leaves, -1)
    with pytest.raises(TypeError, match="index must be an int, not bool"):
        inclusion_proof(leaves, True)
    with pytest.raises(ValueError, match="greater than the 4 leaves"):
        consistency_proof(leaves, 5)
    with pytest.raises(ValueError, match="start <= end"):
        range_root(leaves, 3, 2)
    with pytest.raises(ValueError, match="start <= end"):
        range_root(leaves, 0, 5)
    assert range_root(leaves, 2, 2) == EMPTY_ROOT
    assert range_root([b"bad", *leaves, b"bad"], 1, 5) == root(leaves)  # only the range is read
    with pytest.raises(ValueError, match=r"leaf_hashes\[3\] must be 32 bytes"):
        range_root([*leaves[:3], b"bad"], 1, 4)
    with pytest.raises(ValueError, match="greater than new_size"):
        consistency_proof_from_nodes(NodeStore(leaves), 3, 2)
    with pytest.raises(ValueError, match="out of range for tree size 2"):
        inclusion_proof_from_nodes(NodeStore(leaves), 2, 2)
    with pytest.raises(ValueError, match=r"get_node\(1, 0\) did not return"):
        root_from_nodes(lambda level, index: b"short", 2)
    with pytest.raises(ValueError, match="size -1 is out of range"):
        frontier_nodes(-1)


def test_compact_range_preconditions_and_atomicity() -> None:
    leaves = make_leaves(11)
    compact = CompactRange()
    compact.extend(leaves[:5])
    before = compact.copy()
    with pytest.raises(ValueError, match="leaf_hash must be 32 bytes"):
        compact.append(leaves[5][:31])
    with pytest.raises(TypeError, match="must be bytes"):
        compact.append(bytearray(leaves[5]))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be 32 bytes"):
        compact.extend([leaves[5], leaves[6], b"short"])
    assert compact == before  # nothing of the rejected batch was applied

    def failing(level: int, index: int, value: bytes) -> None:
        if level == 1:
            raise RuntimeError("store is down")

    with pytest.raises(RuntimeError, match="store is down"):
        compact.append(leaves[5], failing)  # 5 -> 6 completes a level-1 node
    assert compact == before
    with pytest.raises(RuntimeError, match="store is down"):
        compact.extend(leaves[5:], failing)
    assert compact == before

    clone = compact.copy()
    clone.append(leaves[5])
    assert compact == before
    assert clone != compact
    assert clone.size == 6
    assert "size=6" in repr(clone)
    assert compact != "not a range"

    with pytest.raises(ValueError, match="has 2 hashes, not 1"):
        CompactRange(5, compact.hashes[:1])
    with pytest.raises(ValueError, match=r"hashes\[1\] must be 32 bytes"):
        CompactRange(5, [compact.hashes[0], b"short"])
    with pytest.raises(TypeError, match="size must be an int, not bool"):
        CompactRange(True, compact.hashes[:1])
    with pytest.raises(ValueError, match="out of range"):
        CompactRange(2**64, [])
    with pytest.raises(TypeError):
        hash(compact)


def test_leaf_hash_accepts_any_length_and_buffers() -> None:
    assert leaf_hash(b"") == sha256(b"\x00").digest()
    assert leaf_hash(b"x" * 10_000) == sha256(b"\x00" + b"x" * 10_000).digest()
    assert leaf_hash(memoryview(b"abc")) == leaf_hash(b"abc")  # type: ignore[arg-type]
    assert node_hash(b"a" * 32, b"b" * 32) == sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_public_names() -> None:
    for name in merkle.__all__:
        assert hasattr(merkle, name), name


def _stub_for_typing(_: Callable[[int, int], bytes]) -> None:  # keeps NodeGetter's shape honest
    pass


_stub_for_typing(uniform_node)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.unit.test_merkle --write  (rewrites the tamper files)")
    write_tamper_vectors()
    print(f"wrote {len(build_tamper_vectors())} tamper files to {VECTORS}")
