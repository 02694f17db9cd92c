"""The offline verifier of evidence bundles: needs the bundle (and, to confirm who signed it,
the public key or its fingerprint from the operator), never a database.

Nothing in a bundle is taken on trust: every field of ``bundle.json`` and every file is derived
from, or checked against, the hashed event bytes, the proofs and the signed checkpoint; the
manifest is itself signed by the log's key. It checks, and reports every failure it finds:

1. the bundle is a ZIP of plain relative names, each once; its JSON files in canonical form;
2. ``manifest-sha256.txt`` lists every other file exactly once, with its SHA-256, and
   ``manifest.sig`` is the log key's signed note over the manifest's SHA-256;
3. the key: the one given (``key``), or the bundle's own when its fingerprint is the one given
   (``fingerprint``), is the trust anchor; without either the signer is *unconfirmed*
   (:attr:`BundleVerification.signer_confirmed`) and nothing may be called verified;
4. ``checkpoint.txt`` is a checkpoint of that key's log, its signature valid; ``bundle.json``'s
   ``log``, ``public_key*`` fields are the checkpoint's and the key's;
5. every event: the leaf file is well formed and names the position it is filed under; the
   state and decoded files agree with it; its inclusion proof leads from its leaf hash to the
   checkpoint's root; every field of its ``bundle.json`` entry is what the leaf, the proof and
   the closure rule (:mod:`ledger.integrity.closure`) say; entries in log order; for a
   subject, each item's events run from version 1 with no gap;
6. every consistency proof leads from its old head to the checkpoint; every head an
   acknowledgement in the bundle witnessed is proved consistent with the checkpoint;
7. given an older checkpoint the verifier kept, it is authentic and the bundle's checkpoint
   extends it;
8. the documents: each hashes to its name, which its media type or file name gives; the held
   and not-held lists are exactly the digests the events reference; ``README.txt`` and
   ``report.html`` are what the exporter makes of these events.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from ledger.integrity import bundle_format as layout
from ledger.integrity.bundles import closure_event, readme
from ledger.integrity.checkpoints import Checkpoint, CheckpointError, parse_checkpoint
from ledger.integrity.closure import assign_roles, parse_instant
from ledger.integrity.merkle import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.integrity.records import MalformedRecordError, StoredRecord, parse_leaf_data
from ledger.integrity.report import LANGUAGES, REPORT_FORMAT, ReportInput, render
from ledger.integrity.signing import NoteError, Verifier, open_note

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
    signer_confirmed: bool = False
    fingerprint: str | None = None
    events: int = 0
    documents: int = 0
    witnessed: int = 0

    @property
    def ok(self) -> bool:
        """Intact and internally consistent (say "verified" only if also
        :attr:`signer_confirmed`)."""
        return not self.failures

    @property
    def verified(self) -> bool:
        return self.ok and self.signer_confirmed

    def fail(self, message: str) -> None:
        self.failures.append(message)


def verify_bundle(
    bundle: bytes | Path | str,
    *,
    key: str | Verifier | None = None,
    fingerprint: str | None = None,
    older_checkpoint: str | None = None,
) -> BundleVerification:
    """Check an evidence bundle (its bytes or its path). ``key``: the public key the verifier
    trusts (verifier-key text); ``fingerprint``: the SHA-256 (hex) of the key the verifier
    trusts, to pin the bundle's own key; ``older_checkpoint``: a checkpoint note the verifier
    kept."""
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
        if trusted is not None and fingerprint is not None:
            pinned = fingerprint.strip().lower().replace(":", "")
            if pinned == trusted.fingerprint:
                result.signer_confirmed = True
            else:
                result.fail(
                    f"key: the bundle's key has the fingerprint {trusted.fingerprint}, not the "
                    f"one you trust ({pinned})"
                )
        elif trusted is not None:
            result.warnings.append(
                "no trusted key given: the signer is unconfirmed. Compare the fingerprint "
                f"{trusted.fingerprint} with the one the ledger's operator publishes "
                "(accord key show, GET /v1/log/key)"
            )
    else:
        trusted = key if isinstance(key, Verifier) else _parse_key(key.encode(), "--key", result)
        if trusted is not None and bundled_key is not None and bundled_key != trusted:
            result.fail(
                "key: the bundle says it was signed by "
                f"{bundled_key.name} (fingerprint {bundled_key.fingerprint}), "
                f"not by the key you trust ({trusted.name}, fingerprint {trusted.fingerprint})"
            )
        elif trusted is not None:
            result.signer_confirmed = True
    result.key = trusted
    result.fingerprint = trusted.fingerprint if trusted is not None else None
    _check_manifest_signature(files, trusted, result)
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
    _check_index(files, index, checkpoint, trusted, result)

    checked = _check_events(files, index, checkpoint, result)
    decoded_events = checked.decoded if checked else None
    _check_consistency(files, index, checkpoint, decoded_events, result)
    if older_checkpoint is not None:
        _check_older(files, older_checkpoint, trusted, checkpoint, result)
    _check_documents(files, index, decoded_events, result)

    try:
        expected_readme: bytes | None = readme(index).encode()
    except (KeyError, TypeError, ValueError):
        expected_readme = None
    if files.get(layout.README) != expected_readme:
        result.fail("README.txt is not the one this bundle was made with (it was altered)")
    report = files.get(layout.REPORT)
    if index.get("report_format") != REPORT_FORMAT:
        result.fail(
            f"bundle.json: report_format {index.get('report_format')!r} is not "
            f"{REPORT_FORMAT}, the one this verifier renders"
        )
    elif report is None:
        result.fail("report.html is missing")
    elif checked is not None and note is not None:
        try:
            expected_report: bytes | None = render(
                ReportInput(
                    index,
                    checked.with_roles,
                    checked.leaves,
                    checked.proofs,
                    note.decode("utf-8", "replace"),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            expected_report = None
            result.fail(f"report.html cannot be rendered from these events ({e})")
        if expected_report is not None and expected_report != report:
            result.fail("report.html does not say what the events say (it was altered)")
    return result


_TOP_LEVEL = (
    "format",
    "leaf_format",
    "report_format",
    "language",
    "created_at",
    "scope",
    "log",
    "public_key",
    "public_key_vkey",
    "public_key_sha256",
    "manifest_signature",
    "events",
    "consistency",
    "documents",
    "documents_not_held",
)
_SCOPE_KEYS = ("kind", "id", "person", "project_id", "from", "to")


def _check_index(
    files: dict[str, bytes],
    index: dict[str, Any],
    checkpoint: Checkpoint | None,
    trusted: Verifier | None,
    result: BundleVerification,
) -> None:
    """The top-level fields of ``bundle.json``: each checked against the checkpoint, the key,
    the files, or its own form (the scope is then checked by the closure rule, event by event;
    ``created_at`` against the events' recorded times)."""
    if list(index) != list(_TOP_LEVEL):
        result.fail(f"bundle.json: its fields are not {', '.join(_TOP_LEVEL)} (in that order)")
    if index.get("leaf_format") != 1:
        result.fail("bundle.json: leaf_format is not 1, the format of the leaf files")
    if index.get("language") not in LANGUAGES:
        result.fail(f"bundle.json: language is not one of {', '.join(LANGUAGES)}")
    if parse_instant(index.get("created_at")) is None or "T" not in str(index.get("created_at")):
        result.fail("bundle.json: created_at is not a date and time with its time zone")
    scope = index.get("scope")
    if not isinstance(scope, dict) or list(scope) != list(_SCOPE_KEYS):
        result.fail("bundle.json: scope is not {kind, id, person, project_id, from, to}")
    else:
        _check_scope(scope, result)
    log = index.get("log")
    if checkpoint is not None:
        expected = {
            "origin": checkpoint.origin,
            "tree_size": checkpoint.size,
            "root": checkpoint.root_base64,
            "checkpoint": layout.CHECKPOINT,
        }
        if not isinstance(log, dict) or list(log) != list(expected):
            result.fail("bundle.json: log is not {origin, tree_size, root, checkpoint}")
        else:
            for name, value in expected.items():
                if log[name] != value:
                    result.fail(
                        f"bundle.json: log.{name} says {log[name]!r}, checkpoint.txt says {value!r}"
                    )
    if index.get("public_key") != layout.PUBLIC_KEY:
        result.fail(f"bundle.json: public_key is not {layout.PUBLIC_KEY}")
    if index.get("manifest_signature") != layout.MANIFEST_SIGNATURE:
        result.fail(f"bundle.json: manifest_signature is not {layout.MANIFEST_SIGNATURE}")
    if trusted is not None:
        if index.get("public_key_vkey") != trusted.vkey:
            result.fail("bundle.json: public_key_vkey is not the signing key")
        if index.get("public_key_sha256") != trusted.fingerprint:
            result.fail("bundle.json: public_key_sha256 is not the signing key's fingerprint")


def _check_scope(scope: dict[str, Any], result: BundleVerification) -> None:
    kind = scope.get("kind")
    if kind not in ("subject", "project", "person"):
        result.fail(f"bundle.json: scope.kind {kind!r} is not subject, project or person")
        return
    for name in ("id", "project_id"):
        value = scope.get(name)
        if value is not None and not _is_uuid(value):
            result.fail(f"bundle.json: scope.{name} is not an id")
    if (kind == "person") != (scope.get("person") is not None):
        result.fail("bundle.json: scope.person is given for a person scope only")
    if kind != "person" and scope.get("id") is None:
        result.fail(f"bundle.json: a {kind} scope needs scope.id")
    if kind == "project" and scope.get("project_id") != scope.get("id"):
        result.fail("bundle.json: a project scope's project_id is its id")
    for name in ("from", "to"):
        value = scope.get(name)
        if value is None:
            continue
        moment = (
            datetime.fromisoformat(value) if isinstance(value, str) and _parses(value) else None
        )
        if moment is None or moment.tzinfo is None:
            result.fail(f"bundle.json: scope.{name} is not a date and time with its time zone")


def _parses(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(UUID(value)) == value
    except ValueError:
        return False


def _check_manifest_signature(
    files: dict[str, bytes], trusted: Verifier | None, result: BundleVerification
) -> None:
    raw = files.get(layout.MANIFEST_SIGNATURE)
    manifest = files.get(layout.MANIFEST)
    if raw is None:
        result.fail(f"{layout.MANIFEST_SIGNATURE} is missing (the manifest is not signed)")
        return
    if manifest is None or trusted is None:
        return
    try:
        signed = open_note(raw.decode("utf-8", "replace"), [trusted])
    except NoteError as e:
        result.fail(f"{layout.MANIFEST_SIGNATURE}: {e}")
        return
    if signed.text != layout.manifest_note_text(manifest):
        result.fail(
            f"{layout.MANIFEST_SIGNATURE}: the signed manifest digest is not that of "
            f"{layout.MANIFEST} (the manifest was rewritten)"
        )
    else:
        result.facts.append("the manifest is signed by the log's key")


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
        if name not in (layout.MANIFEST, layout.MANIFEST_SIGNATURE) and name not in listed:
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


@dataclass
class _Checked:
    decoded: list[dict[str, Any]]  # the decoded view of each event, in bundle order
    with_roles: list[dict[str, Any]]  # the same, each with its (checked) role
    leaves: dict[int, bytes]
    proofs: dict[int, dict[str, Any]]


def _check_events(
    files: dict[str, bytes],
    index: dict[str, Any],
    checkpoint: Checkpoint | None,
    result: BundleVerification,
) -> _Checked | None:
    entries = index.get("events")
    if not isinstance(entries, list) or not entries:
        result.fail("bundle.json lists no events")
        return None
    checked = _Checked([], [], {}, {})
    listed_files: set[str] = set()
    records: list[tuple[int, dict[str, Any], StoredRecord, int]] = []
    previous: tuple[int, int] | None = None
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or type(entry.get("position")) is not int:
            result.fail(f"bundle.json: events[{number}] has no position")
            continue
        p = entry["position"]
        where = f"event at position {p} (events[{number}])"
        leaf_name = layout.leaf_file(p)
        listed_files.update(
            (leaf_name, layout.state_file(p), layout.decoded_file(p), layout.proof_file(p))
        )
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
        value = leaf_hash(leaf)
        path = _hex_list(proof.get("path"))
        if list(proof) != ["position", "leaf_index", "tree_size", "leaf_hash", "path"]:
            result.fail(f"{where}: its proof file is not {{position, leaf_index, tree_size, "
                        "leaf_hash, path}}")  # fmt: skip
        if proof.get("position") != p:
            result.fail(f"{where}: its proof file is for position {proof.get('position')}")
        elif proof.get("leaf_hash") != value.hex():
            result.fail(f"{where}: its proof is for another leaf")
        elif path is None or type(leaf_index) is not int:
            result.fail(f"{where}: its proof is malformed")
        elif checkpoint is not None:
            if proof.get("tree_size") != checkpoint.size:
                result.fail(
                    f"{where}: its proof is into a tree of {proof.get('tree_size')} events, "
                    f"not the checkpoint's {checkpoint.size}"
                )
            else:
                try:
                    verify_inclusion(value, leaf_index, checkpoint.size, path, checkpoint.root)
                except ProofError as e:
                    result.fail(f"{where}: inclusion proof fails ({e})")
        if previous is not None and p <= previous[0]:
            result.fail(f"{where}: bundle.json lists the events out of log order")
        if type(leaf_index) is int:
            if previous is not None and p > previous[0] and leaf_index <= previous[1]:
                result.fail(f"{where}: leaf indexes do not rise with positions")
            previous = (p, leaf_index)
        checked.decoded.append(expected)
        checked.leaves[p] = leaf
        checked.proofs[p] = proof
        records.append((number, entry, record, leaf_index if type(leaf_index) is int else -1))

    # Every field of every entry, and the role the closure rule gives each event.
    given = index.get("scope")
    scope: dict[str, Any] = given if isinstance(given, dict) else {}
    roles = assign_roles(scope, [closure_event(r) for _, _, r, _ in records])
    for (number, entry, record, leaf_index), decoded in zip(records, checked.decoded, strict=True):
        p = record.position
        role = roles.get(p)
        if role is None:
            result.fail(
                f"event at position {p} ({record.topic.rpartition(':')[2]} of "
                f"{record.uuid}): not part of this bundle's scope by the closure rules"
            )
        expected_entry = layout.event_entry(record, leaf_index, role or "")
        for name, value in expected_entry.items():
            if name == "role" and role is None:
                continue
            if name not in entry:
                result.fail(f"bundle.json: events[{number}] (position {p}) has no {name}")
            elif entry[name] != value:
                result.fail(
                    f"bundle.json: events[{number}] (position {p}): {name} says "
                    f"{entry[name]!r}, but the hashed event gives {value!r}"
                )
        for name in entry:
            if name not in expected_entry:
                result.fail(f"bundle.json: events[{number}] (position {p}) has an unknown "
                            f"field {name}")  # fmt: skip
        checked.with_roles.append({**decoded, "role": role or str(entry.get("role", ""))})
    if scope.get("kind") == "subject" and not scope.get("from"):
        _check_whole_histories(records, roles, result)
    for name in files:
        if name.startswith(("events/", "proofs/")) and name not in listed_files:
            result.fail(f"{name} is not listed in bundle.json")
    result.events = len(checked.decoded)
    result.facts.append(f"{len(checked.decoded)} events, each proved into the checkpoint")
    return checked


def _check_whole_histories(
    records: list[tuple[int, dict[str, Any], StoredRecord, int]],
    roles: dict[int, str],
    result: BundleVerification,
) -> None:
    """In a subject's bundle each item's events (but the project's own, of which only the
    membership events are context) run 1, 2, 3... with none left out."""
    versions: dict[UUID, list[int]] = {}
    for _, _, record, _ in records:
        if roles.get(record.position) not in (None, "context"):
            versions.setdefault(record.uuid, []).append(record.originator_version)
    for item, seen in versions.items():
        if sorted(seen) != list(range(1, len(seen) + 1)):
            result.fail(f"item {item}: its events are not all here (versions {sorted(seen)})")


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
    files: dict[str, bytes],
    index: dict[str, Any],
    events: list[dict[str, Any]] | None,
    result: BundleVerification,
) -> None:
    held = index.get("documents")
    not_held = index.get("documents_not_held")
    if not isinstance(held, list) or not isinstance(not_held, list):
        result.fail("bundle.json: documents and documents_not_held are not lists")
        return
    listed: set[str] = set()
    held_digests = []
    for number, document in enumerate(held):
        where = f"bundle.json: documents[{number}]"
        if not isinstance(document, dict) or list(document) != [
            "sha256", "file", "filename", "media_type", "size"
        ]:  # fmt: skip
            result.fail(f"{where} is not {{sha256, file, filename, media_type, size}}")
            continue
        digest, name = document["sha256"], document["file"]
        held_digests.append(digest)
        filename, media_type = document["filename"], document["media_type"]
        if not all(isinstance(v, str | None) for v in (filename, media_type)):
            result.fail(f"{where}: filename and media_type are text")
            continue
        expected = layout.document_file(str(digest), filename, media_type)
        if name != expected:
            result.fail(f"{where}: file says {name!r}, its digest and type give {expected!r}")
            continue
        listed.add(name)
        content = files.get(name)
        if content is None:
            result.fail(f"{name} is listed in bundle.json but missing")
            continue
        if sha256(content).hexdigest() != digest:
            result.fail(f"{name}: the content does not hash to its name")
        if document["size"] != len(content):
            result.fail(f"{where}: size says {document['size']!r}, the file has {len(content)}")
        result.documents += 1
    for name in files:
        if name.startswith("documents/") and name not in listed:
            result.fail(f"{name} is not listed in bundle.json")
    if events is None:
        return
    referenced = []
    for event in events:
        referenced += layout.referenced_digests(event.get("fields"))
    referenced = list(dict.fromkeys(referenced))
    if held_digests != [d for d in referenced if d in held_digests] or not_held != [
        d for d in referenced if d not in held_digests
    ]:
        result.fail(
            "bundle.json: documents and documents_not_held are not the documents the events "
            "reference"
        )
