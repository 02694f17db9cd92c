"""The integrity layer's one entry point for the API and the CLI.

``Integrity.for_ledger(ledger)`` (or ``Integrity(storage, events_table)``) opens the log, the
kept checkpoints and the signing key of the ledger's database. Every method takes and returns
plain values; nothing here imports the API or the projections.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self
from uuid import UUID

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
from ledger.integrity.closure import parties_of
from ledger.integrity.log import InclusionProof, LogCorruptError, MerkleLog, SealResult
from ledger.integrity.merkle import ProofError, verify_consistency
from ledger.integrity.records import EventTable
from ledger.integrity.signing import (
    KeyFileError,
    Signer,
    Verifier,
    default_key_file,
    load_or_create_signer,
)
from ledger.integrity.verify import VerifyResult, verify_log
from ledger.storage.resilience import Backoff, LoopHealth, run_resiliently
from ledger.storage.settings import Storage
from ledger.storage.sql import SqlDatabase

if TYPE_CHECKING:
    from ledger.service.base import LedgerService

__all__ = ["ConsistencyProof", "Integrity", "KeyMismatchError"]


class KeyMismatchError(KeyFileError):
    """The log holds checkpoints signed by another key than the one at hand (or there is no
    key file at all): signing with a new key would make every later checkpoint unverifiable
    against the earlier ones, so nothing is signed until the right key is restored."""


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
        """The signing key, created on first use (see :mod:`ledger.integrity.signing`) — but
        only for a log without checkpoints: a log that holds checkpoints needs the key that
        signed them (:class:`KeyMismatchError` names it), never a new one."""
        if self._signer is None:
            if not self.key_file.exists():
                expected = self.expected_key()
                if expected is not None:
                    raise KeyMismatchError(
                        f"the log holds checkpoints signed by key {expected}, and there is no "
                        f"signing key at {self.key_file}: restore that key file (see "
                        "docs/operations.md, key management); no new key is made for a log "
                        "that has checkpoints"
                    )
            self._signer = load_or_create_signer(self.key_file)
        return self._signer

    def expected_key(self) -> str | None:
        """``<name>+<key id>`` of the key that signed the latest kept checkpoint (``None``
        when there is none): the key this log must be signed with."""
        latest = self.checkpoints.latest()
        if latest is None:
            return None
        return _signing_key_of(latest.note)

    def check_key(self) -> None:
        """Raise :class:`KeyMismatchError` unless the signing key is the one that signed the
        log's latest checkpoint (or one of the trusted keys, or there is no checkpoint yet)."""
        expected = self.expected_key()
        if expected is None:
            return
        signer = self.signer
        own = f"{signer.name}+{signer.verifier.key_id:08x}"
        trusted = {f"{v.name}+{v.key_id:08x}" for v in self._trusted}
        if expected != own and expected not in trusted:
            raise KeyMismatchError(
                f"the log's checkpoints are signed by key {expected}, but the key at "
                f"{self.key_file} is {own} (fingerprint {signer.verifier.fingerprint}): "
                "restore the key that goes with this database (docs/operations.md)"
            )

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
        an extension of the latest kept checkpoint, as C2SP requires of a log, and to sign
        with another key than the one that signed it (:class:`KeyMismatchError`)."""
        self.check_key()
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
        health: LoopHealth | None = None,
    ) -> None:
        """Make a checkpoint every ``every_seconds`` until ``stop`` is set (for a server's
        background thread). The key is checked first: a log whose checkpoints another key
        signed (or one without its key file) is refused — ``health`` says ``refused`` with
        the key expected — and nothing is signed. Any other failure (the database restarting)
        is passed to ``on_error``, reported in ``health`` and retried sooner than the period;
        the loop never dies of it."""
        health = health or LoopHealth("checkpoints")
        try:
            self.check_key()
        except KeyFileError as e:
            health.refused(e)
            if on_error is not None:
                on_error(e)
            return
        except Exception as e:  # the database is not there yet: checked again at each step
            health.failed(e)

        def step() -> float:
            try:
                self.check_key()
                self.make_checkpoint()
            except Exception as e:
                if on_error is not None and not isinstance(e, KeyFileError):
                    on_error(e)
                raise
            return every_seconds

        if stop.wait(every_seconds):
            return
        run_resiliently(
            step,
            stop=stop,
            health=health,
            backoff=Backoff(first=min(1.0, every_seconds), longest=every_seconds),
            refuse=(KeyFileError,),
        )

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
        language: str = "en",
    ) -> bytes:
        """The evidence bundle (ZIP bytes) for ``scope``; ``EvidenceNotFoundError`` if the
        scope selects nothing. Documents come from the ledger's document store unless
        ``documents`` is given. ``consistency_from``: older tree sizes the recipient holds
        checkpoints of (proofs from heads witnessed by included acknowledgements are always
        included). ``language``: of the report (``en`` or ``zh-Hans``)."""
        items = select_evidence(self.events, scope)
        projects = {str(i.fields["project_id"]) for i in items if i.fields.get("project_id")}
        checkpoint = self.make_checkpoint()  # seals everything stored so far: the items too
        return build_bundle(
            items,
            scope=scope,
            log=self.log,
            checkpoints=self.checkpoints,
            checkpoint=checkpoint,
            signer=self.signer,
            documents=documents if documents is not None else self._document_getter(projects),
            consistency_from=consistency_from,
            created_at=created_at,
            language=language,
        )

    def subject_parties(self, subject_id: UUID, project_id: UUID) -> set[str]:
        """The people party to a subject of ``project_id`` (see
        :func:`~ledger.integrity.closure.parties_of`); ``EvidenceNotFoundError`` if the project
        has no such item."""
        items = select_evidence(
            self.events, EvidenceScope.subject(subject_id, project_id=project_id)
        )
        return parties_of([i.event for i in items], {i.record.position: i.role for i in items})

    def export_evidence_file(
        self,
        scope: EvidenceScope,
        path: Path,
        *,
        consistency_from: Iterable[int] = (),
        language: str = "en",
    ) -> int:
        """Write the bundle to ``path`` (atomically); returns its size in bytes."""
        data = self.export_evidence(scope, consistency_from=consistency_from, language=language)
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_bytes(data)
        temporary.replace(path)
        return len(data)

    def _document_getter(self, projects: set[str]) -> DocumentGetter:
        """Documents held by one of ``projects`` (stored through it): an event that merely
        names a digest does not bring another project's document into a bundle."""
        from ledger.storage.documents import DocumentIntegrityError, DocumentStore

        store = DocumentStore(self.db)

        def get(digest: str) -> HeldDocument | None:
            if not store.holders(digest) & projects:
                return None
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


def _signing_key_of(note: str) -> str | None:
    """``<name>+<key id>`` of the first signature line of a signed note."""
    _, _, signatures = note.rstrip("\n").rpartition("\n\n")
    for line in signatures.splitlines():
        name, _, encoded = line[1:].strip().rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            continue
        if len(raw) >= 4:
            return f"{name}+{int.from_bytes(raw[:4], 'big'):08x}"
    return None
