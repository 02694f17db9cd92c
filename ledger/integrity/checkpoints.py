"""Checkpoints: signed tree heads in the C2SP ``tlog-checkpoint`` form, all of them kept.

A checkpoint is a signed note (:mod:`ledger.integrity.signing`) whose text is exactly three
lines::

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, standard base64>

followed by a blank line and the log's Ed25519 signature line (key name = origin). No extension
lines are written (C2SP recommends none). A checkpoint holds no time: when it was made is kept
beside it (``created_at``), unsigned; what the other side saw is attested by their own
acknowledgements, which record the checkpoint's size and root.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.integrity.merkle import HASH_SIZE
from ledger.integrity.signing import NoteError, Signer, Verifier, open_note, sign_note
from ledger.integrity.tables import CHECKPOINTS, ensure_schema
from ledger.storage.sql import SqlDatabase

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CheckpointHead",
    "CheckpointStore",
    "checkpoint_text",
    "parse_checkpoint",
    "parse_checkpoint_text",
]


class CheckpointError(ValueError):
    """A checkpoint note is malformed or its signature does not verify."""


@dataclass(frozen=True)
class CheckpointHead:
    """A tree head: ``size`` leaves with root ``root``."""

    size: int
    root: bytes

    @property
    def root_base64(self) -> str:
        return base64.b64encode(self.root).decode()


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint: ``note`` is the whole signed note, as kept and served."""

    origin: str
    size: int
    root: bytes
    note: str
    created_at: datetime | None = None

    @property
    def head(self) -> CheckpointHead:
        return CheckpointHead(self.size, self.root)

    @property
    def root_base64(self) -> str:
        return base64.b64encode(self.root).decode()


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The note text of a checkpoint (three lines, each ending in a newline)."""
    if len(root) != HASH_SIZE or size < 0:
        raise ValueError("a checkpoint has a size >= 0 and a 32-byte root")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint_text(text: str) -> tuple[str, int, bytes]:
    """``(origin, size, root)`` from a checkpoint's note text (extension lines are ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise CheckpointError("a checkpoint text is at least three non-empty lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (size_text.startswith("0") and size_text != "0")
    ):
        raise CheckpointError(f"the tree size {size_text[:24]!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("the root hash is not base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"the root hash is {len(root)} bytes, not {HASH_SIZE}")
    return origin, int(size_text), root


def parse_checkpoint(
    note: str, verifiers: list[Verifier] | tuple[Verifier, ...], *, origin: str | None = None
) -> Checkpoint:
    """Verify the note's signature with the trusted ``verifiers`` and read the checkpoint.
    The origin must be the signing key's name (or ``origin``, when given)."""
    try:
        opened = open_note(note, verifiers)
    except NoteError as e:
        raise CheckpointError(str(e)) from None
    found_origin, size, root = parse_checkpoint_text(opened.text)
    expected = origin or opened.verifier.name
    if found_origin != expected:
        raise CheckpointError(f"the checkpoint is for log {found_origin!r}, not {expected!r}")
    return Checkpoint(found_origin, size, root, note)


class CheckpointStore:
    """The kept checkpoints, by size (one per size: the body is deterministic, and so is an
    Ed25519 signature, so signing the same head twice gives the same note)."""

    def __init__(self, db: SqlDatabase) -> None:
        self.db = db
        ensure_schema(db)

    def add(self, signer: Signer, head: CheckpointHead) -> Checkpoint:
        """Sign ``head`` and keep it; if a checkpoint of that size is kept already, that one
        is returned (and it must have the same root)."""
        note = sign_note(checkpoint_text(signer.name, head.size, head.root), signer)
        created_at = datetime.now(UTC)
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO {CHECKPOINTS} (size, root, note, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (size) DO NOTHING",
                (head.size, head.root, note, created_at.isoformat()),
            )
        kept = self.at_size(head.size)
        if kept is None or kept.root != head.root:
            raise CheckpointError(
                f"a different checkpoint of size {head.size} is kept already: run `accord verify`"
            )
        return kept

    def latest(self) -> Checkpoint | None:
        rows = self.db.query(
            f"SELECT size, root, note, created_at FROM {CHECKPOINTS} ORDER BY size DESC LIMIT 1"
        )
        return _checkpoint(rows[0]) if rows else None

    def latest_head(self) -> CheckpointHead | None:
        rows = self.db.query(f"SELECT size, root FROM {CHECKPOINTS} ORDER BY size DESC LIMIT 1")
        return CheckpointHead(int(rows[0][0]), bytes(rows[0][1])) if rows else None

    def at_size(self, size: int) -> Checkpoint | None:
        rows = self.db.query(
            f"SELECT size, root, note, created_at FROM {CHECKPOINTS} WHERE size = ?", (size,)
        )
        return _checkpoint(rows[0]) if rows else None

    def at_least(self, size: int) -> Checkpoint | None:
        """The smallest kept checkpoint of at least ``size`` leaves."""
        rows = self.db.query(
            f"SELECT size, root, note, created_at FROM {CHECKPOINTS} WHERE size >= ?"
            " ORDER BY size LIMIT 1",
            (size,),
        )
        return _checkpoint(rows[0]) if rows else None

    def all(self) -> list[Checkpoint]:
        """Every kept checkpoint, smallest first."""
        rows = self.db.query(
            f"SELECT size, root, note, created_at FROM {CHECKPOINTS} ORDER BY size"
        )
        return [_checkpoint(row) for row in rows]

    def count(self) -> int:
        return int(self.db.query(f"SELECT COUNT(*) FROM {CHECKPOINTS}")[0][0])


def _checkpoint(row: tuple[Any, ...]) -> Checkpoint:
    """A kept row, as stored: its note is *not* re-verified here (``verify`` does that)."""
    size, root, note, created_at = row
    origin = str(note).split("\n", 1)[0]
    return Checkpoint(origin, int(size), bytes(root), str(note), datetime.fromisoformat(created_at))
