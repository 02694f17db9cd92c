"""The integrity layer's one entry point for the API and the CLI.

``Integrity.for_ledger(ledger)`` (or ``Integrity(storage, events_table)``) opens the log, the
kept checkpoints and the signing key of the ledger's database. Every method takes and returns
plain values; nothing here imports the API or the projections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ledger.integrity.bundles import (
    DocumentGetter,
    EvidenceScope,
    HeldDocument,
    build_bundle,
    select_evidence,
)
from ledger.integrity.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointHead,
    CheckpointStore,
    parse_checkpoint,
)
from ledger.integrity.log import InclusionProof, LogCorruptError, MerkleLog, SealResult
from ledger.integrity.merkle import ProofError, verify_consistency
from ledger.integrity.records import EventTable
from ledger.integrity.signing import (
    Signer,
    Verifier,
    default_key_file,
    load_or_create_signer,
)
from ledger.integrity.verify import VerifyResult, verify_log
from ledger.storage.settings import Storage
from ledger.storage.sql import SqlDatabase

if TYPE_CHECKING:
    from ledger.service.base import LedgerService

__all__ = ["ConsistencyProof", "Integrity"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 PROOF(old_size, D[new_size]) with the two roots it links."""

    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: tuple[bytes, ...]


class Integrity:
    """The Merkle log of one ledger database, its checkpoints and its signing key."""

    def __init__(
        self,
        storage: Storage | str | SqlDatabase,
        events_table: str,
        *,
        key_file: Path | None = None,
        trusted_keys: Sequence[Verifier | str] = (),
    ) -> None:
        if isinstance(storage, SqlDatabase):
            self.db, self._owns_db = storage, False
        else:
            self.db, self._owns_db = SqlDatabase(storage), True
        self.events = EventTable(self.db, events_table)
        self.log = MerkleLog(self.db, self.events)
        self.checkpoints = CheckpointStore(self.db)
        self.key_file = key_file or default_key_file(self.db.storage)
        self._signer: Signer | None = None
        self._trusted = [Verifier.parse(k) if isinstance(k, str) else k for k in trusted_keys]

    @classmethod
    def for_ledger(
        cls,
        ledger: LedgerService,
        *,
        key_file: Path | None = None,
        trusted_keys: Sequence[Verifier | str] = (),
    ) -> Integrity:
        """The integrity layer of ``ledger``'s database (its own connection pool)."""
        table = EventTable.name_for(ledger)
        return cls(ledger.storage, table, key_file=key_file, trusted_keys=trusted_keys)

    # ----------------------------------------------------------------------------- keys

    @property
    def signer(self) -> Signer:
        """The signing key, created on first use (see :mod:`ledger.integrity.signing`)."""
        if self._signer is None:
            self._signer = load_or_create_signer(self.key_file)
        return self._signer

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier

    def public_key(self) -> str:
        """The public key in verifier-key form: ``<name>+<key id>+<base64 key>``."""
        return self.verifier.vkey

    # ---------------------------------------------------------------------- the log

    def seal(self, *, progress: Progress | None = None) -> SealResult:
        """Append every event stored since the last seal to the log."""
        return self.log.seal(progress=progress)

    def make_checkpoint(self, *, progress: Progress | None = None) -> Checkpoint:
        """Seal, then sign and keep a checkpoint of the whole log (the latest one, unchanged,
        if nothing was stored since). Refuses (``CheckpointError``) to sign a tree that is not
        an extension of the latest kept checkpoint, as C2SP requires of a log."""
        self.log.seal(progress=progress)
        state = self.log.state()
        root = state.root()
        if self.log.stored_root(state.size) != root:
            raise LogCorruptError("the sealed frontier and the stored nodes disagree")
        latest = self.checkpoints.latest()
        if latest is not None:
            try:
                parse_checkpoint(latest.note, [self.verifier, *self._trusted])
            except CheckpointError as e:
                raise CheckpointError(f"the latest kept checkpoint is not authentic: {e}") from None
            if latest.size > state.size:
                raise CheckpointError(
                    f"the log has {state.size} leaves, fewer than the latest checkpoint "
                    f"({latest.size}): run `accord verify`"
                )
            try:
                verify_consistency(
                    latest.size,
                    state.size,
                    latest.root,
                    root,
                    self.log.consistency_proof(latest.size, state.size),
                )
            except ProofError as e:
                raise CheckpointError(
                    f"refusing to sign: the log is not an extension of checkpoint "
                    f"{latest.size} ({e}); run `accord verify`"
                ) from None
            if latest.size == state.size:
                return latest
        return self.checkpoints.add(self.signer, CheckpointHead(state.size, root))

    def checkpoint_periodically(
        self,
        every_seconds: float,
        stop: threading.Event,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Make a checkpoint every ``every_seconds`` until ``stop`` is set (for a server's
        background thread). A failure is passed to ``on_error`` and the loop goes on: the
        next attempt reports it again until someone looks (``accord verify``)."""
        while not stop.wait(every_seconds):
            try:
                self.make_checkpoint()
            except Exception as e:  # keep the server's thread alive; the caller logs it
                if on_error is not None:
                    on_error(e)

    def latest_checkpoint(self) -> Checkpoint | None:
        """The latest kept checkpoint (``None`` before the first)."""
        return self.checkpoints.latest()

    def checkpoint(self, size: int) -> Checkpoint | None:
        """The kept checkpoint of exactly ``size`` leaves, if one was made."""
        return self.checkpoints.at_size(size)

    def inclusion_proof(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """The proof that the event at ``position`` is in the tree of ``tree_size`` leaves
        (default: the latest checkpoint's size, so the proof checks against a signed root).
        ``LeafNotFoundError`` if the event is not a leaf of that tree; ``ValueError`` if
        there is no checkpoint yet and no size was given, or the size is not sealed."""
        if tree_size is None:
            latest = self.checkpoints.latest_head()
            if latest is None:
                raise ValueError("no checkpoint yet: make one first, or name a tree size")
            tree_size = latest.size
        return self.log.inclusion_proof(position, tree_size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``old_size`` leaves is a prefix of the tree of
        ``new_size`` leaves (default: the latest checkpoint's size)."""
        if new_size is None:
            latest = self.checkpoints.latest_head()
            if latest is None:
                raise ValueError("no checkpoint yet: make one first, or name a tree size")
            new_size = latest.size
        path = self.log.consistency_proof(old_size, new_size)
        return ConsistencyProof(
            old_size, new_size, self.log.root(old_size), self.log.root(new_size), tuple(path)
        )

    def verify(
        self, *, progress: Progress | None = None, trusted_keys: Iterable[Verifier | str] = ()
    ) -> VerifyResult:
        """Rescan storage and check the log and every kept checkpoint (see
        :mod:`ledger.integrity.verify`). Checkpoints must be signed by this ledger's key or one
        of ``trusted_keys``."""
        # Verifying never creates a key: without the key file, only the keys given are trusted.
        own = [self.verifier] if self._signer is not None or self.key_file.exists() else []
        verifiers = [*own, *self._trusted]
        verifiers += [Verifier.parse(k) if isinstance(k, str) else k for k in trusted_keys]
        return verify_log(self.log, self.checkpoints.all(), verifiers, progress=progress)

    # --------------------------------------------------------------------- evidence

    def export_evidence(
        self,
        scope: EvidenceScope,
        *,
        documents: DocumentGetter | None = None,
        consistency_from: Iterable[int] = (),
        created_at: datetime | None = None,
    ) -> bytes:
        """The evidence bundle (ZIP bytes) for ``scope``; ``EvidenceNotFoundError`` if the
        scope selects nothing. Documents come from the ledger's document store unless
        ``documents`` is given. ``consistency_from``: older tree sizes the recipient holds
        checkpoints of (proofs from heads witnessed by included acknowledgements are always
        included)."""
        items = select_evidence(self.events, scope)
        checkpoint = self.make_checkpoint()  # seals everything stored so far: the items too
        return build_bundle(
            items,
            scope=scope,
            log=self.log,
            checkpoints=self.checkpoints,
            checkpoint=checkpoint,
            verifier=self.verifier,
            documents=documents if documents is not None else self._document_getter(),
            consistency_from=consistency_from,
            created_at=created_at,
        )

    def export_evidence_file(
        self, scope: EvidenceScope, path: Path, *, consistency_from: Iterable[int] = ()
    ) -> int:
        """Write the bundle to ``path`` (atomically); returns its size in bytes."""
        data = self.export_evidence(scope, consistency_from=consistency_from)
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_bytes(data)
        temporary.replace(path)
        return len(data)

    def _document_getter(self) -> DocumentGetter:
        from ledger.storage.documents import DocumentIntegrityError, DocumentStore

        store = DocumentStore(self.db)

        def get(digest: str) -> HeldDocument | None:
            try:
                found = store.load(digest)
            except DocumentIntegrityError:
                return None  # altered in storage: not evidence; listed as not held
            if found is None:
                return None
            return HeldDocument(found.data, found.filename, found.media_type)

        return get

    # --------------------------------------------------------------------- lifecycle

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
