"""The persistent Merkle log on SQLite and PostgreSQL: it agrees with the pure RFC 9162
functions, seals exactly once, and keeps signed checkpoints."""

from __future__ import annotations

import itertools
import random
import threading
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.integrity import CheckpointError, Integrity, LeafNotFoundError, merkle
from ledger.integrity.checkpoints import parse_checkpoint
from ledger.integrity.log import LogState
from ledger.integrity.merkle import verify_consistency, verify_inclusion
from ledger.integrity.records import leaf_hash_of
from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger
from tests.integration.integrity_support import Tamper, append_raw, open_integrity


def all_leaf_hashes(integrity: Integrity) -> list[bytes]:
    return [leaf_hash_of(r) for page in integrity.events.scan() for r in page]


def test_sealing_agrees_with_the_pure_functions(ledger: Ledger, tmp_path: Path) -> None:
    record_demo(ledger)
    with open_integrity(ledger, tmp_path) as integrity:
        result = integrity.log.seal(batch_size=7)
        hashes = all_leaf_hashes(integrity)
        assert result.sealed == result.size == len(hashes) == 54
        assert result.root == merkle.root(hashes)
        for size in range(len(hashes) + 1):
            assert integrity.log.root(size) == merkle.root(hashes[:size])
            assert integrity.log.stored_root(size) == merkle.root(hashes[:size])
        positions = Tamper(ledger).positions()
        for index in (0, 1, 17, 52, 53):
            for size in (index + 1, 33, 54):
                if index >= size:
                    continue
                proof = integrity.log.inclusion_proof(positions[index], size)
                assert list(proof.path) == merkle.inclusion_proof(hashes[:size], index)
        for old in (0, 1, 7, 16, 32, 53, 54):
            assert integrity.log.consistency_proof(old, 54) == merkle.consistency_proof(hashes, old)
        assert integrity.log.seal().sealed == 0  # nothing new


def fresh_url(database_url: str, tmp_path: Path) -> str:
    """A new, empty database for one hypothesis example: a new SQLite file, or a new schema of
    the test's PostgreSQL database."""
    name = f"ex_{uuid4().hex[:12]}"
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / name}.db"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{database_url}?schema={name}"


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    appends=st.lists(st.tuples(st.integers(0, 60), st.integers(1, 40)), min_size=1, max_size=4),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_proofs_from_the_persistent_tree_verify_for_random_sizes(
    database_url: str,
    tmp_path: Path,
    appends: list[tuple[int, int]],
    seed: int,
    data: st.DataObject,
) -> None:
    """Events are appended in a few rounds, each sealed in batches of a random size; then
    random inclusion and consistency proofs built from the stored nodes must equal the pure
    functions' and verify with the pure verifiers."""
    rng = random.Random(seed)
    ledger = Ledger(fresh_url(database_url, tmp_path))
    try:
        with open_integrity(ledger, tmp_path) as integrity:
            for count, batch in appends:
                append_raw(ledger, count, rng)
                integrity.log.seal(batch_size=batch)
            hashes = all_leaf_hashes(integrity)
            n = len(hashes)
            assert integrity.log.state().size == n == sum(c for c, _ in appends)
            assert integrity.log.state().root() == merkle.root(hashes)
            if n == 0:
                return
            positions = [r.position for page in integrity.events.scan() for r in page]
            size = data.draw(st.integers(1, n), label="tree size")
            root = merkle.root(hashes[:size])
            assert integrity.log.root(size) == root
            indexes = data.draw(st.lists(st.integers(0, size - 1), max_size=4), label="leaves")
            for index in indexes:
                proof = integrity.log.inclusion_proof(positions[index], size)
                assert (proof.leaf_index, proof.leaf_hash) == (index, hashes[index])
                verify_inclusion(proof.leaf_hash, index, size, list(proof.path), root)
                assert list(proof.path) == merkle.inclusion_proof(hashes[:size], index)
            old = data.draw(st.integers(0, size), label="old size")
            path = integrity.log.consistency_proof(old, size)
            verify_consistency(old, size, merkle.root(hashes[:old]), root, path)
            assert path == merkle.consistency_proof(hashes[:size], old)
    finally:
        ledger.close()


def test_a_stale_sealer_cannot_append_the_same_positions(ledger: Ledger, tmp_path: Path) -> None:
    append_raw(ledger, 30, random.Random(1))
    with open_integrity(ledger, tmp_path) as a, open_integrity(ledger, tmp_path) as b:
        stale = a.log.state()
        assert b.log.seal().sealed == 30
        # a computed its batch from the old state: its compare-and-set must fail, writing nothing.
        records = a.events.page(stale.last_position, 30)
        hashes = [leaf_hash_of(r) for r in records]
        tree = merkle.CompactRange()
        tree.extend(hashes)
        new = LogState(30, records[-1].position, tree.hashes, None)
        leaves = [(i, r.position, h) for i, (r, h) in enumerate(zip(records, hashes, strict=True))]
        assert a.log._commit(stale, new, leaves, []) is False
        assert a.db.query("SELECT COUNT(*) FROM integrity_leaves") == [(30,)]
        assert a.log.seal().sealed == 0


def test_concurrent_sealers_seal_each_event_once(ledger: Ledger, tmp_path: Path) -> None:
    append_raw(ledger, 400, random.Random(2))
    sealers = [open_integrity(ledger, tmp_path) for _ in range(4)]
    try:
        threads = [threading.Thread(target=lambda s=s: s.log.seal(batch_size=25)) for s in sealers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        hashes = all_leaf_hashes(sealers[0])
        state = sealers[0].log.state()
        assert state.size == 400
        assert state.root() == merkle.root(hashes)
        assert sealers[0].db.query(
            "SELECT COUNT(*), COUNT(DISTINCT position), MIN(leaf_index), MAX(leaf_index) "
            "FROM integrity_leaves"
        ) == [(400, 400, 0, 399)]
        assert sealers[0].verify().ok
    finally:
        for s in sealers:
            s.close()


def test_leaves_commit_to_their_position_across_gaps(ledger: Ledger, tmp_path: Path) -> None:
    """PostgreSQL leaves gaps in positions (a rolled-back insert); SQLite does not, but a gap
    must be harmless on both: the leaf index is the rank, the leaf commits to the position."""
    append_raw(ledger, 5, random.Random(3))
    tamper = Tamper(ledger)
    tamper.skip_positions(10)  # as if ten inserts had been rolled back
    append_raw(ledger, 3, random.Random(4))
    positions = tamper.positions()
    assert any(b - a > 1 for a, b in itertools.pairwise(positions))
    with open_integrity(ledger, tmp_path) as integrity:
        integrity.make_checkpoint()
        assert [integrity.log.leaf(p)[0] for p in positions] == list(range(8))
        assert integrity.verify().ok


def test_checkpoints_are_signed_kept_and_consistent(ledger: Ledger, tmp_path: Path) -> None:
    with open_integrity(ledger, tmp_path) as integrity:
        empty = integrity.make_checkpoint()
        assert (empty.size, empty.root) == (0, merkle.EMPTY_ROOT)
        record_demo(ledger)
        first = integrity.make_checkpoint()
        assert integrity.make_checkpoint() == first  # nothing new: the same checkpoint
        append_raw(ledger, 13, random.Random(5))
        second = integrity.make_checkpoint()
        assert (first.size, second.size) == (54, 67)
        verifier = integrity.verifier
        for checkpoint in (empty, first, second):
            parsed = parse_checkpoint(checkpoint.note, [verifier])
            assert (parsed.size, parsed.root) == (checkpoint.size, checkpoint.root)
        assert integrity.latest_checkpoint() == second
        assert integrity.checkpoint(54) == first
        assert integrity.checkpoint(55) is None
        assert [c.size for c in integrity.checkpoints.all()] == [0, 54, 67]
        proof = integrity.consistency_proof(54)
        assert (proof.new_size, proof.new_root, proof.old_root) == (67, second.root, first.root)
        verify_consistency(54, 67, first.root, second.root, list(proof.path))
        position = Tamper(ledger).positions()[10]
        inclusion = integrity.inclusion_proof(position)
        assert inclusion.tree_size == 67
        verify_inclusion(inclusion.leaf_hash, 10, 67, list(inclusion.path), second.root)
        with pytest.raises(LeafNotFoundError):
            integrity.inclusion_proof(10**9)


def test_a_log_changed_under_a_checkpoint_is_not_signed_again(
    ledger: Ledger, tmp_path: Path
) -> None:
    record_demo(ledger)
    with open_integrity(ledger, tmp_path) as integrity:
        integrity.make_checkpoint()
        # Rewrite history and re-seal it from scratch, as an insider might:
        tamper = Tamper(ledger)
        tamper.flip_state_byte(tamper.positions()[3])
        tamper.integrity("DELETE FROM integrity_leaves")
        tamper.integrity("DELETE FROM integrity_nodes")
        tamper.integrity(
            "UPDATE integrity_state SET size = 0, last_position = 0, frontier = ?", (b"",)
        )
        append_raw(ledger, 2, random.Random(6))
        with pytest.raises(CheckpointError, match="not an extension of checkpoint 54"):
            integrity.make_checkpoint()
        assert integrity.latest_checkpoint() is not None
        assert integrity.latest_checkpoint().size == 54  # type: ignore[union-attr]


def test_periodic_checkpoints_and_a_verify_that_creates_no_key(
    ledger: Ledger, tmp_path: Path
) -> None:
    append_raw(ledger, 3, random.Random(10))
    with open_integrity(ledger, tmp_path) as integrity:
        assert integrity.verify().ok  # nothing signed yet: no key needed, none created
        assert not integrity.key_file.exists()
        stop = threading.Event()
        errors: list[Exception] = []
        worker = threading.Thread(
            target=integrity.checkpoint_periodically, args=(0.01, stop, errors.append)
        )
        worker.start()
        try:
            deadline = 200
            while integrity.latest_checkpoint() is None and deadline:
                stop.wait(0.01)
                deadline -= 1
            append_raw(ledger, 2, random.Random(11))
            while integrity.latest_checkpoint().size < 5 and deadline:  # type: ignore[union-attr]
                stop.wait(0.01)
                deadline -= 1
        finally:
            stop.set()
            worker.join()
        assert not errors
        assert [c.size for c in integrity.checkpoints.all()] == [3, 5]
        assert integrity.key_file.exists()
