"""The offline verifier of evidence bundles: needs the bundle (and, ideally, the public key from
the operator), never a database.

It checks, and reports every failure it finds (not just the first):

1. the bundle is a ZIP of plain relative names, each once;
2. ``manifest-sha256.txt`` lists every other file exactly once, with its SHA-256;
3. the public key: the one given (``key``) is the trust anchor, and the bundle's own must be it;
   without one, the bundle's key is used and a warning says so;
4. ``checkpoint.txt`` is a checkpoint of that key's log, its signature valid;
5. every event: the leaf file is well formed and names the position it is filed under; the state
   and decoded files agree with it; its inclusion proof leads from its leaf hash to the
   checkpoint's root; leaf indexes rise with positions;
6. every consistency proof leads from its old head to the checkpoint; every head an
   acknowledgement in the bundle witnessed is proved consistent with the checkpoint;
7. given an older checkpoint the verifier kept, it is authentic and the bundle's checkpoint
   extends it;
8. every document hashes to its name; ``report.html`` is what the events say.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import orjson

from ledger.integrity import bundle_format as layout
from ledger.integrity.bundles import readme
from ledger.integrity.checkpoints import Checkpoint, CheckpointError, parse_checkpoint
from ledger.integrity.merkle import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.integrity.records import MalformedRecordError, parse_leaf_data
from ledger.integrity.report import REPORT_FORMAT, render
from ledger.integrity.signing import Verifier

__all__ = ["BundleVerification", "verify_bundle"]

_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})  (\S(?:.*\S)?)$")
_MAX_BUNDLE_FILES = 1_000_000


@dataclass
class BundleVerification:
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    key: Verifier | None = None
    events: int = 0
    documents: int = 0
    witnessed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str) -> None:
        self.failures.append(message)


def verify_bundle(
    bundle: bytes | Path | str,
    *,
    key: str | Verifier | None = None,
    older_checkpoint: str | None = None,
) -> BundleVerification:
    """Check an evidence bundle (its bytes or its path). ``key``: the public key the verifier
    trusts (verifier-key text); ``older_checkpoint``: a checkpoint note the verifier kept."""
    result = BundleVerification()
    data = bundle if isinstance(bundle, bytes) else Path(bundle).read_bytes()
    files = _read_zip(data, result)
    if files is None:
        return result
    _check_manifest(files, result)

    # The key, and the checkpoint it signed.
    bundled_key = _parse_key(files.get(layout.PUBLIC_KEY), "the bundle's public-key.txt", result)
    trusted: Verifier | None
    if key is None:
        trusted = bundled_key
        if trusted is not None:
            result.warnings.append(
                "no key given: trusting the key inside the bundle. Compare its fingerprint "
                f"{trusted.fingerprint} with the one the ledger's operator publishes"
            )
    else:
        trusted = key if isinstance(key, Verifier) else _parse_key(key.encode(), "--key", result)
        if trusted is not None and bundled_key is not None and bundled_key != trusted:
            result.fail(
                "key: the bundle says it was signed by "
                f"{bundled_key.name} (fingerprint {bundled_key.fingerprint}), "
                f"not by the key you trust ({trusted.name}, fingerprint {trusted.fingerprint})"
            )
    result.key = trusted
    checkpoint = None
    note = files.get(layout.CHECKPOINT)
    if note is None:
        result.fail("checkpoint.txt is missing")
    elif trusted is not None:
        try:
            checkpoint = parse_checkpoint(note.decode("utf-8", "replace"), [trusted])
        except CheckpointError as e:
            result.fail(f"checkpoint.txt: {e}")
    result.checkpoint = checkpoint
    if checkpoint is not None:
        result.facts.append(
            f"checkpoint of log {checkpoint.origin}: {checkpoint.size} events, "
            f"root {checkpoint.root_base64}"
        )

    index = _json(files, layout.INDEX, result)
    if not isinstance(index, dict):
        result.fail("bundle.json is missing or not a JSON object")
        return result
    if index.get("format") != layout.BUNDLE_FORMAT:
        result.fail(f"bundle.json: unknown format {index.get('format')!r}")
        return result
    log = index.get("log") or {}
    if checkpoint is not None and (
        log.get("tree_size") != checkpoint.size or log.get("root") != checkpoint.root_base64
    ):
        result.fail("bundle.json names another tree head than checkpoint.txt")

    decoded_events = _check_events(files, index, checkpoint, result)
    _check_consistency(files, index, checkpoint, decoded_events, result)
    if older_checkpoint is not None:
        _check_older(files, older_checkpoint, trusted, checkpoint, result)
    _check_documents(files, index, result)

    try:
        expected_readme: bytes | None = readme(index).encode()
    except (KeyError, TypeError, ValueError):
        expected_readme = None
    if files.get(layout.README) != expected_readme:
        result.fail("README.txt is not the one this bundle was made with (it was altered)")
    report = files.get(layout.REPORT)
    if index.get("report_format") != REPORT_FORMAT:
        result.warnings.append("report.html was made by another version: not re-checked")
    elif report is None:
        result.fail("report.html is missing")
    elif decoded_events is not None and render(index, decoded_events) != report:
        result.fail("report.html does not say what the events say (it was altered)")
    return result


# ---------------------------------------------------------------------------------------------


def _read_zip(data: bytes, result: BundleVerification) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        result.fail("the bundle is not a ZIP file")
        return None
    files: dict[str, bytes] = {}
    with archive:
        infos = archive.infolist()
        if len(infos) > _MAX_BUNDLE_FILES:
            result.fail("the bundle holds too many files")
            return None
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            if name.startswith("/") or "\\" in name or ".." in name.split("/"):
                result.fail(f"{name!r}: not a plain relative file name")
                continue
            if name in files:
                result.fail(f"{name} appears twice in the ZIP")
                continue
            try:
                files[name] = archive.read(info)
            except (zipfile.BadZipFile, ValueError, OSError) as e:
                result.fail(f"{name}: cannot be read ({e})")
    return files


def _check_manifest(files: dict[str, bytes], result: BundleVerification) -> None:
    raw = files.get(layout.MANIFEST)
    if raw is None:
        result.fail("manifest-sha256.txt is missing")
        return
    listed: dict[str, str] = {}
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        match = _MANIFEST_LINE.match(line)
        if not match:
            result.fail(f"manifest line {number} is not '<sha256>  <file>'")
            continue
        digest, name = match.groups()
        if name in listed:
            result.fail(f"manifest lists {name} twice")
        listed[name] = digest
    for name, digest in listed.items():
        if name not in files:
            result.fail(f"manifest lists {name}, which the bundle does not hold")
        elif sha256(files[name]).hexdigest() != digest:
            result.fail(f"manifest: {name} does not match its SHA-256 (the file was changed)")
    for name in files:
        if name != layout.MANIFEST and name not in listed:
            result.fail(f"{name} is not in the manifest")


def _parse_key(raw: bytes | None, what: str, result: BundleVerification) -> Verifier | None:
    if raw is None:
        result.fail(f"{what} is missing")
        return None
    try:
        return Verifier.parse(raw.decode("utf-8", "replace"))
    except ValueError as e:
        result.fail(f"{what}: not a public key ({e})")
        return None


def _json(files: dict[str, bytes], name: str, result: BundleVerification) -> Any:
    raw = files.get(name)
    if raw is None:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        result.fail(f"{name} is not JSON")
        return None
    if layout.dump_json(value) != raw:
        # The exporter writes one canonical form: any other spelling was edited by hand.
        result.fail(f"{name} is not in the form the exporter writes (it was edited)")
    return value


def _hex(value: Any) -> bytes | None:
    """Lower-case hex (the only spelling the exporter writes), decoded."""
    if not isinstance(value, str) or value != value.lower():
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def _hex_list(value: Any) -> list[bytes] | None:
    if not isinstance(value, list):
        return None
    decoded = [_hex(v) for v in value]
    return None if any(d is None for d in decoded) else [d for d in decoded if d is not None]


def _check_events(
    files: dict[str, bytes],
    index: dict[str, Any],
    checkpoint: Checkpoint | None,
    result: BundleVerification,
) -> list[dict[str, Any]] | None:
    entries = index.get("events")
    if not isinstance(entries, list) or not entries:
        result.fail("bundle.json lists no events")
        return None
    decoded_events: list[dict[str, Any]] = []
    indexed_leaves = set()
    previous: tuple[int, int] | None = None
    for entry in entries:
        if not isinstance(entry, dict) or type(entry.get("position")) is not int:
            result.fail("bundle.json: an event entry has no position")
            continue
        p = entry["position"]
        where = f"event at position {p}"
        leaf_name = layout.leaf_file(p)
        indexed_leaves.add(leaf_name)
        leaf = files.get(leaf_name)
        if leaf is None:
            result.fail(f"{where}: {leaf_name} is missing")
            continue
        try:
            record = parse_leaf_data(leaf)
        except MalformedRecordError as e:
            result.fail(f"{where}: {leaf_name} is malformed ({e})")
            continue
        if record.position != p:
            result.fail(f"{where}: {leaf_name} holds the event at position {record.position}")
            continue
        if files.get(layout.state_file(p)) != record.state:
            result.fail(f"{where}: {layout.state_file(p)} is not the stored state in the leaf")
        proof = _json(files, layout.proof_file(p), result)
        if not isinstance(proof, dict):
            result.fail(f"{where}: {layout.proof_file(p)} is missing")
            continue
        leaf_index = proof.get("leaf_index")
        decoded = _json(files, layout.decoded_file(p), result)
        expected = layout.decoded_event(record, leaf_index if type(leaf_index) is int else -1)
        if decoded != expected:
            result.fail(f"{where}: {layout.decoded_file(p)} does not decode the stored event")
        decoded_events.append({**expected, "role": entry.get("role", "")})
        value = leaf_hash(leaf)
        path = _hex_list(proof.get("path"))
        if proof.get("position") != p:
            result.fail(f"{where}: its proof file is for position {proof.get('position')}")
        elif proof.get("leaf_hash") != value.hex():
            result.fail(f"{where}: its proof is for another leaf")
        elif path is None or type(leaf_index) is not int:
            result.fail(f"{where}: its proof is malformed")
        elif checkpoint is not None:
            if proof.get("tree_size") != checkpoint.size:
                result.fail(f"{where}: its proof is into another tree size than the checkpoint's")
            else:
                try:
                    verify_inclusion(value, leaf_index, checkpoint.size, path, checkpoint.root)
                except ProofError as e:
                    result.fail(f"{where}: inclusion proof fails ({e})")
        if type(leaf_index) is int:
            if previous is not None and not (p > previous[0] and leaf_index > previous[1]):
                result.fail(f"{where}: events are out of log order")
            previous = (p, leaf_index)
        if entry.get("leaf_index") != leaf_index:
            result.fail(f"{where}: bundle.json and its proof disagree on the leaf index")
    for name in files:
        if name.endswith(".leaf") and name not in indexed_leaves:
            result.fail(f"{name} is not listed in bundle.json")
    result.events = len(decoded_events)
    result.facts.append(f"{len(decoded_events)} events, each proved into the checkpoint")
    return [{k: v for k, v in e.items() if k != "role"} for e in decoded_events]


def _check_consistency(
    files: dict[str, bytes],
    index: dict[str, Any],
    checkpoint: Checkpoint | None,
    events: list[dict[str, Any]] | None,
    result: BundleVerification,
) -> None:
    proved: dict[int, bytes] = {}  # old size -> old root proved consistent with the checkpoint
    for entry in index.get("consistency") or []:
        size = entry.get("old_size") if isinstance(entry, dict) else None
        if type(size) is not int:
            result.fail("bundle.json: a consistency entry has no size")
            continue
        name = layout.consistency_file(size)
        proof = _json(files, name, result)
        if not isinstance(proof, dict):
            result.fail(f"{name} is missing")
            continue
        path = _hex_list(proof.get("proof"))
        old_root = _hex(proof.get("old_root")) or b""
        if checkpoint is None:
            continue
        if (
            path is None
            or proof.get("old_size") != size
            or proof.get("new_size") != (checkpoint.size)
        ):
            result.fail(f"{name}: malformed, or not a proof into this checkpoint")
            continue
        try:
            verify_consistency(size, checkpoint.size, old_root, checkpoint.root, path)
        except ProofError as e:
            result.fail(f"{name}: consistency proof fails ({e})")
            continue
        proved[size] = old_root
        old_note = proof.get("old_checkpoint")
        if isinstance(old_note, str) and result.key is not None:
            try:
                old = parse_checkpoint(old_note, [result.key])
            except CheckpointError as e:
                result.fail(f"{name}: its old checkpoint is not authentic ({e})")
            else:
                if (old.size, old.root) != (size, old_root):
                    result.fail(f"{name}: its old checkpoint names another head")
    if checkpoint is None:
        return
    for event in events or []:
        fields = event.get("fields") or {}
        if event.get("type") != "AcknowledgementRequest.Acknowledged":
            continue
        size, root_text = fields.get("checkpoint_size"), fields.get("checkpoint_root")
        if type(size) is not int or not isinstance(root_text, str):
            continue
        result.witnessed += 1
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error:
            root = b""
        where = f"acknowledgement at position {event['position']}"
        if size == checkpoint.size:
            ok = root == checkpoint.root
        elif size == 0:
            ok = root == EMPTY_ROOT  # the empty tree is a prefix of every tree
        elif size < checkpoint.size:
            ok = proved.get(size) == root
            if size not in proved:
                result.fail(f"{where}: no consistency proof from the head it witnessed ({size})")
                continue
        else:
            result.warnings.append(f"{where} witnessed a head newer than the checkpoint")
            continue
        if ok:
            result.facts.append(
                f"{where}: the head its author saw (size {size}) is a prefix of this checkpoint"
            )
        else:
            result.fail(f"{where}: the head its author saw (size {size}) is not this log's")


def _check_older(
    files: dict[str, bytes],
    older_note: str,
    trusted: Verifier | None,
    checkpoint: Checkpoint | None,
    result: BundleVerification,
) -> None:
    if trusted is None or checkpoint is None:
        result.fail("--checkpoint: cannot be checked without an authentic bundle checkpoint")
        return
    try:
        older = parse_checkpoint(older_note, [trusted])
    except CheckpointError as e:
        result.fail(f"--checkpoint: your checkpoint is not authentic ({e})")
        return
    if older.size > checkpoint.size:
        result.fail(
            f"--checkpoint: your checkpoint ({older.size}) is newer than the bundle's "
            f"({checkpoint.size}); ask for a bundle made since"
        )
        return
    if older.size == checkpoint.size:
        if older.root != checkpoint.root:
            result.fail("--checkpoint: same size, different root: the log was rewritten")
        else:
            result.facts.append("your checkpoint is the bundle's checkpoint")
        return
    proof = _json(files, layout.consistency_file(older.size), result)
    path = _hex_list(proof.get("proof")) if isinstance(proof, dict) else None
    if path is None:
        result.fail(
            f"--checkpoint: the bundle holds no consistency proof from size {older.size}; ask "
            f"for a bundle exported with --consistency-from {older.size}"
        )
        return
    try:
        verify_consistency(older.size, checkpoint.size, older.root, checkpoint.root, path)
    except ProofError as e:
        result.fail(
            f"--checkpoint: the bundle's log does not extend your checkpoint of size "
            f"{older.size} ({e})"
        )
        return
    result.facts.append(f"the log extends your checkpoint of size {older.size}")


def _check_documents(
    files: dict[str, bytes], index: dict[str, Any], result: BundleVerification
) -> None:
    listed = {str(d.get("file")) for d in index.get("documents") or [] if isinstance(d, dict)}
    for name, content in files.items():
        if not name.startswith("documents/"):
            continue
        if sha256(content).hexdigest() != name.removeprefix("documents/"):
            result.fail(f"{name}: the content does not hash to its name")
        if name not in listed:
            result.fail(f"{name} is not listed in bundle.json")
        result.documents += 1
    for name in listed:
        if name not in files:
            result.fail(f"{name} is listed in bundle.json but missing")
