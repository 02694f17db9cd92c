"""The tamper-evident log: every stored event is a leaf of one RFC 9162 Merkle tree.

* :mod:`~ledger.integrity.records` — the leaf byte format; raw reads of the events table.
* :mod:`~ledger.integrity.log` — the persistent, incremental tree (sealing, proofs).
* :mod:`~ledger.integrity.signing` / :mod:`~ledger.integrity.checkpoints` — Ed25519 keys and
  C2SP signed-note checkpoints, all kept.
* :mod:`~ledger.integrity.verify` — rescan storage and check everything.
* :mod:`~ledger.integrity.bundles` / :mod:`~ledger.integrity.report` /
  :mod:`~ledger.integrity.offline` — evidence bundles, their report, their offline verifier.
* :class:`Integrity` — the entry point the API and the CLI use.

The pure tree functions live in :mod:`ledger.integrity.merkle`. ``docs/integrity.md`` has every
format.
"""

from ledger.integrity.bundles import EvidenceNotFoundError, EvidenceScope, HeldDocument
from ledger.integrity.checkpoints import Checkpoint, CheckpointError, CheckpointHead
from ledger.integrity.log import InclusionProof, LeafNotFoundError, LogCorruptError, SealResult
from ledger.integrity.offline import BundleVerification, verify_bundle
from ledger.integrity.service import ConsistencyProof, Integrity
from ledger.integrity.signing import KeyFileError, Signer, Verifier
from ledger.integrity.verify import Problem, ProblemKind, VerifyResult

__all__ = [
    "BundleVerification",
    "Checkpoint",
    "CheckpointError",
    "CheckpointHead",
    "ConsistencyProof",
    "EvidenceNotFoundError",
    "EvidenceScope",
    "HeldDocument",
    "InclusionProof",
    "Integrity",
    "KeyFileError",
    "LeafNotFoundError",
    "LogCorruptError",
    "Problem",
    "ProblemKind",
    "SealResult",
    "Signer",
    "Verifier",
    "VerifyResult",
    "verify_bundle",
]
