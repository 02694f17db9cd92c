"""``verify`` catches every kind of tampering with the stored rows, edited directly with SQL in
the real SQLite file and the real PostgreSQL tables: a changed byte in any stored field, a deleted
event, an inserted event, two events swapped, the log truncated below a kept checkpoint, a forged
checkpoint, a log rewritten and re-sealed wholesale, altered integrity tables."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.integrity import Integrity, ProblemKind, Signer, VerifyResult
from ledger.integrity.checkpoints import checkpoint_text
from ledger.integrity.log import SealError
from ledger.integrity.signing import sign_note
from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger
from tests.integration.integrity_support import Tamper, append_raw, open_integrity


@dataclass
class Sealed:
    ledger: Ledger
    integrity: Integrity
    tamper: Tamper
    positions: list[int]

    def verify(self) -> VerifyResult:
        return self.integrity.verify()


@pytest.fixture
def sealed(ledger: Ledger, tmp_path: Path) -> Iterator[Sealed]:
    """The demo (54 events) and 6 more, with checkpoints at 54 and 60, verified intact."""
    record_demo(ledger)
    integrity = open_integrity(ledger, tmp_path)
    integrity.make_checkpoint()
    append_raw(ledger, 6, random.Random(7))
    integrity.make_checkpoint()
    result = integrity.verify()
    assert result.ok, result.problems
    assert (result.events, result.sealed, result.checkpoints) == (60, 60, 2)
    try:
        yield Sealed(ledger, integrity, Tamper(ledger), Tamper(ledger).positions())
    finally:
        integrity.close()


def first(result: VerifyResult) -> tuple[ProblemKind, int | None]:
    assert not result.ok
    assert result.first is not None
    return result.first.kind, result.first.position


# ------------------------------------------------------------------ a changed stored field


def test_a_changed_byte_in_the_state(sealed: Sealed) -> None:
    p = sealed.positions[20]
    sealed.tamper.flip_state_byte(p, offset=60)
    assert first(sealed.verify()) == (ProblemKind.CHANGED, p)


def test_a_changed_topic(sealed: Sealed) -> None:
    p = sealed.positions[5]
    sealed.tamper.execute("UPDATE {events} SET topic = topic || 'x' WHERE {position} = ?", (p,))
    assert first(sealed.verify()) == (ProblemKind.CHANGED, p)


def test_a_changed_originator_version(sealed: Sealed) -> None:
    p = sealed.positions[33]
    sealed.tamper.execute(
        "UPDATE {events} SET originator_version = originator_version + 100 WHERE {position} = ?",
        (p,),
    )
    assert first(sealed.verify()) == (ProblemKind.CHANGED, p)


def test_a_changed_originator_id(sealed: Sealed) -> None:
    p = sealed.positions[41]
    originator = sealed.tamper.row(p)[0]
    if sealed.tamper.sqlite:
        digit = "1" if originator[-1] != "1" else "2"
        changed: object = originator[:-1] + digit
    else:
        changed = originator.__class__(int=originator.int ^ 1)
    sealed.tamper.execute(
        "UPDATE {events} SET originator_id = ? WHERE {position} = ?", (changed, p)
    )
    assert first(sealed.verify()) == (ProblemKind.CHANGED, p)


def test_an_originator_id_rewritten_in_another_spelling_on_sqlite(tmp_path: Path) -> None:
    """SQLite keeps the id as text. The recorder would read an upper-case id as the same UUID,
    but the event would vanish from its aggregate's stream (looked up in lower case): it is not
    the form eventsourcing writes. (PostgreSQL stores a uuid, which has one spelling.)"""
    ledger = Ledger(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        record_demo(ledger)
        with open_integrity(ledger, tmp_path) as integrity:
            integrity.make_checkpoint()
            tamper = Tamper(ledger)
            p = tamper.positions()[12]
            tamper.execute(
                "UPDATE {events} SET originator_id = upper(originator_id) WHERE {position} = ?",
                (p,),
            )
            assert first(integrity.verify()) == (ProblemKind.MALFORMED, p)
            # A malformed row not yet sealed is never sealed: sealing refuses and names it.
            append_raw(ledger, 1, random.Random(9))
            q = tamper.positions()[-1]
            tamper.execute(
                "UPDATE {events} SET originator_id = upper(originator_id) WHERE {position} = ?",
                (q,),
            )
            with pytest.raises(SealError, match=f"position {q}"):
                integrity.log.seal()
    finally:
        ledger.close()


def test_a_changed_position(sealed: Sealed) -> None:
    p = sealed.positions[15]
    sealed.tamper.move(p, sealed.positions[-1] + 100)
    assert first(sealed.verify()) == (ProblemKind.DELETED, p)


# ---------------------------------------------------------------- deleted, inserted, swapped


def test_a_deleted_event(sealed: Sealed) -> None:
    p = sealed.positions[30]
    sealed.tamper.delete(p)
    result = sealed.verify()
    assert first(result) == (ProblemKind.DELETED, p)
    # ... and the checkpoint of 54 no longer matches, the one of 60 is longer than the log.
    assert [x.kind for x in result.problems] == [
        ProblemKind.DELETED,
        ProblemKind.CHECKPOINT_ROOT,
        ProblemKind.TRUNCATED,
    ]


def test_an_event_inserted_into_the_middle(sealed: Sealed) -> None:
    """Make room by moving every later row up one position, then insert a forged event."""
    p = sealed.positions[25]
    forged = sealed.tamper.row(sealed.positions[3])
    forged = (forged[0], forged[1] + 500, forged[2], forged[3])
    for q in reversed(sealed.positions[25:]):
        sealed.tamper.move(q, q + 1)
    sealed.tamper.insert(p, forged)
    assert first(sealed.verify()) == (ProblemKind.CHANGED, p)


def test_an_event_inserted_into_a_gap(ledger: Ledger, tmp_path: Path) -> None:
    record_demo(ledger)
    tamper = Tamper(ledger)
    tamper.skip_positions(5)  # a gap, as rolled-back inserts leave on PostgreSQL
    append_raw(ledger, 5, random.Random(8))
    with open_integrity(ledger, tmp_path) as integrity:
        integrity.make_checkpoint()
        positions = tamper.positions()
        gap = next(a + 1 for a, b in itertools.pairwise(positions) if b - a > 1)
        row = tamper.row(positions[2])
        tamper.insert(gap, (row[0], row[1] + 500, row[2], row[3]))
        assert first(integrity.verify()) == (ProblemKind.INSERTED, gap)


def test_two_events_swapped(sealed: Sealed) -> None:
    a, b = sealed.positions[10], sealed.positions[40]
    sealed.tamper.swap(a, b)
    result = sealed.verify()
    assert first(result) == (ProblemKind.CHANGED, a)
    assert {x.position for x in result.problems if x.kind is ProblemKind.CHANGED} == {a, b}


# ---------------------------------------------------------------------------- truncation


def test_the_log_truncated_below_a_kept_checkpoint(sealed: Sealed) -> None:
    """An insider deletes the last events and rebuilds the integrity tables to match: only the
    kept checkpoints remember how long the log was."""
    for p in sealed.positions[45:]:
        sealed.tamper.delete(p)
    sealed.tamper.integrity("DELETE FROM integrity_leaves")
    sealed.tamper.integrity("DELETE FROM integrity_nodes")
    sealed.tamper.integrity(
        "UPDATE integrity_state SET size = 0, last_position = 0, frontier = ?", (b"",)
    )
    sealed.integrity.log.seal()
    result = sealed.verify()
    assert [x.kind for x in result.problems] == [ProblemKind.TRUNCATED] * 2
    assert "checkpoint of size 54" in str(result.first)


def test_the_log_truncated_without_touching_the_integrity_tables(sealed: Sealed) -> None:
    for p in sealed.positions[55:]:
        sealed.tamper.delete(p)
    result = sealed.verify()
    assert first(result) == (ProblemKind.DELETED, sealed.positions[55])
    assert any(x.kind is ProblemKind.TRUNCATED for x in result.problems)


def test_history_rewritten_and_resealed(sealed: Sealed) -> None:
    sealed.tamper.flip_state_byte(sealed.positions[7])
    sealed.tamper.integrity("DELETE FROM integrity_leaves")
    sealed.tamper.integrity("DELETE FROM integrity_nodes")
    sealed.tamper.integrity(
        "UPDATE integrity_state SET size = 0, last_position = 0, frontier = ?", (b"",)
    )
    sealed.integrity.log.seal()
    result = sealed.verify()
    assert [x.kind for x in result.problems] == [ProblemKind.CHECKPOINT_ROOT] * 2
    assert "leaves 0 to 53" in result.problems[0].message


# --------------------------------------------------------------------- forged checkpoints


def test_a_checkpoint_signed_by_another_key(sealed: Sealed) -> None:
    impostor = Signer.generate(sealed.integrity.signer.name)  # same name, another key
    root = bytes(range(32))
    note = sign_note(checkpoint_text(impostor.name, 55, root), impostor)
    sealed.tamper.integrity(
        "INSERT INTO integrity_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
        (55, root, note, "2026-01-01T00:00:00+00:00"),
    )
    result = sealed.verify()
    assert first(result) == (ProblemKind.CHECKPOINT_SIGNATURE, None)
    assert "size 55" in str(result.first)


def test_an_altered_checkpoint(sealed: Sealed) -> None:
    (row,) = sealed.tamper.integrity("SELECT note FROM integrity_checkpoints WHERE size = 54")
    lines = row[0].split("\n")
    lines[1] = "53"
    sealed.tamper.integrity(
        "UPDATE integrity_checkpoints SET note = ? WHERE size = 54", ("\n".join(lines),)
    )
    assert first(sealed.verify()) == (ProblemKind.CHECKPOINT_SIGNATURE, None)


def test_a_checkpoint_signed_with_the_real_key_over_a_false_root(sealed: Sealed) -> None:
    """Even with the key, a forged head is caught: it is not the tree's."""
    signer = sealed.integrity.signer
    root = bytes(32)
    note = sign_note(checkpoint_text(signer.name, 55, root), signer)
    sealed.tamper.integrity(
        "INSERT INTO integrity_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
        (55, root, note, "2026-01-01T00:00:00+00:00"),
    )
    assert first(sealed.verify()) == (ProblemKind.CHECKPOINT_ROOT, None)


# ------------------------------------------------------------- the integrity tables themselves


def test_an_altered_stored_leaf(sealed: Sealed) -> None:
    sealed.tamper.integrity(
        "UPDATE integrity_leaves SET leaf_hash = ? WHERE leaf_index = 9", (bytes(32),)
    )
    assert first(sealed.verify()) == (ProblemKind.CHANGED, sealed.positions[9])


def test_an_altered_stored_node(sealed: Sealed) -> None:
    sealed.tamper.integrity(
        "UPDATE integrity_nodes SET hash = ? WHERE level = 3 AND node_index = 2", (bytes(32),)
    )
    result = sealed.verify()
    assert first(result) == (ProblemKind.NODE, None)
    assert "level 3, index 2" in str(result.first)


@pytest.mark.parametrize("length", [64, 128])  # malformed (60 leaves need 4 hashes), or wrong
def test_an_altered_frontier(sealed: Sealed, length: int) -> None:
    sealed.tamper.integrity("UPDATE integrity_state SET frontier = ?", (bytes(length),))
    assert first(sealed.verify()) == (ProblemKind.STATE, None)


# ------------------------------------------------------------------------------------ CLI


def test_accord_verify_exit_codes(sealed: Sealed, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["verify", "--database-url", sealed.ledger.storage.url]
    args += ["--key-file", str(sealed.integrity.key_file)]
    intact = runner.invoke(app, args)
    assert intact.exit_code == 0, intact.output
    assert "intact: 60 events, 60 sealed, 2 checkpoint(s)" in intact.output
    p = sealed.positions[21]
    sealed.tamper.flip_state_byte(p)
    broken = runner.invoke(app, args)
    assert broken.exit_code == 1
    assert f"first bad position: {p}" in broken.output
    assert "[changed]" in broken.output
