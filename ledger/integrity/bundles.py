"""Evidence bundles: the events of one subject, project or person, with everything a stranger
needs to check them offline (layout in :mod:`ledger.integrity.bundle_format`).

What goes in is the *closure* of the scope (:mod:`ledger.integrity.closure`, the same pure rule
the offline verifier re-applies): a subject's own events, its acknowledgements, the records it
cites as its source, the expectations a change request revised (whole history up to the
bundle's end), the change requests that revised an expectation, the item an acknowledgement
request is about; a project's events; a person's events; and for context the project's
opening and the membership events of the people named. ``start``/``end`` bound when the chosen
events *occurred*, both inclusive. Nothing of another subject or project is included.

Every included event is sealed and proved into one signed checkpoint — the latest, made by the
export if the log grew since — and the manifest of every file is signed by the same key
(``manifest.sig``). Sibling hashes in the proofs are hashes of other events' leaves: they
reveal nothing of those events (each leaf holds random ids and microsecond timestamps).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Final
from uuid import UUID

import orjson

from ledger.domain.acknowledgement import acknowledgement_request_id
from ledger.domain.validation import normalise_email
from ledger.integrity import bundle_format as layout
from ledger.integrity.checkpoints import Checkpoint, CheckpointStore
from ledger.integrity.closure import ClosureEvent, assign_roles, linked_ids
from ledger.integrity.log import MerkleLog
from ledger.integrity.records import EventTable, StoredRecord
from ledger.integrity.report import LANGUAGES, REPORT_FORMAT, ReportInput, render
from ledger.integrity.signing import Signer, sign_note

__all__ = [
    "DocumentGetter",
    "EvidenceNotFoundError",
    "EvidenceScope",
    "HeldDocument",
    "build_bundle",
    "pack_bundle",
    "readme",
    "select_evidence",
]

_ACK_VERSIONS_MAX: Final = 10_000


class EvidenceNotFoundError(LookupError):
    """Nothing to export: no such subject (in that project), or no event in the scope."""


@dataclass(frozen=True)
class EvidenceScope:
    """What a bundle is for: exactly one of a subject id, a project id, a person's email;
    ``project_id`` narrows a subject or person to one project; ``start``/``end`` bound when the
    events occurred."""

    kind: str  # "subject" | "project" | "person"
    id: UUID | None = None
    person: str | None = None
    project_id: UUID | None = None
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("subject", "project", "person"):
            raise ValueError("an evidence scope is a subject, a project or a person")
        if self.kind == "person" and not self.person:
            raise ValueError("a person scope needs the person's email")
        if self.kind != "person" and self.id is None:
            raise ValueError(f"a {self.kind} scope needs its id")
        for moment in (self.start, self.end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("from/to must carry a timezone")

    @classmethod
    def subject(cls, subject_id: UUID, **bounds: Any) -> EvidenceScope:
        return cls("subject", id=subject_id, **bounds)

    @classmethod
    def project(cls, project_id: UUID, **bounds: Any) -> EvidenceScope:
        return cls("project", id=project_id, project_id=project_id, **bounds)

    @classmethod
    def for_person(cls, email: str, **bounds: Any) -> EvidenceScope:
        return cls("person", person=normalise_email(email, "person"), **bounds)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": str(self.id) if self.id else None,
            "person": self.person,
            "project_id": str(self.project_id) if self.project_id else None,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


@dataclass(frozen=True)
class HeldDocument:
    data: bytes
    filename: str | None = None
    media_type: str | None = None


DocumentGetter = Callable[[str], HeldDocument | None]
"""``get(sha256_hex)``: the held document with that digest, or ``None``."""


@dataclass
class _Item:
    record: StoredRecord
    event: ClosureEvent
    role: str = ""

    @property
    def fields(self) -> Mapping[str, Any]:
        return self.event.fields


def closure_event(record: StoredRecord) -> ClosureEvent:
    """What the closure reads of a stored record (also used on a bundle's leaf files)."""
    try:
        tagged = orjson.loads(record.state)
    except orjson.JSONDecodeError:
        tagged = {}
    fields = layout.untag(tagged)
    return ClosureEvent(
        position=record.position,
        originator_id=str(record.uuid),
        originator_version=record.originator_version,
        type=record.topic.rpartition(":")[2],
        fields=fields if isinstance(fields, dict) else {},
        tagged=tagged,
    )


def _items(records: Iterable[StoredRecord]) -> list[_Item]:
    return [_Item(r, closure_event(r)) for r in records]


# ---------------------------------------------------------------------------------------------
# Selection


def select_evidence(events: EventTable, scope: EvidenceScope) -> list[_Item]:
    """The events ``scope`` covers, in position order, each with its role: the candidates are
    found with indexed look-ups (a subject) or a filtered scan (a project, a person), then
    :func:`~ledger.integrity.closure.assign_roles` — the rule the verifier re-checks — decides."""
    if scope.kind == "subject":
        candidates = _subject_candidates(events, scope)
    elif scope.kind == "project":
        assert scope.id is not None
        needle = b'"project_id":{"_type_":"uuid_hex","_data_":"' + scope.id.hex.encode() + b'"}'
        candidates = _items(_flatten(events.containing(needle)))
    else:
        assert scope.person is not None
        candidates = _items(_flatten(events.containing(orjson.dumps(scope.person))))
    projects = {c.event.project_id for c in candidates} - {None}
    for project in sorted(str(p) for p in projects):
        candidates += _items(events.of_originators([UUID(project)]))
    unique = {c.record.position: c for c in candidates}
    chosen = [unique[p] for p in sorted(unique)]
    roles = assign_roles(scope.describe(), [c.event for c in chosen])
    if not any(role in ("subject", "scope") for role in roles.values()):
        if scope.kind == "subject" and not any(
            c.event.originator_id == str(scope.id) for c in chosen
        ):
            raise EvidenceNotFoundError(f"no item {scope.id}")
        raise EvidenceNotFoundError("no event falls within this scope")
    items = []
    for item in chosen:
        if item.record.position in roles:
            item.role = roles[item.record.position]
            items.append(item)
    return items


def _subject_candidates(events: EventTable, scope: EvidenceScope) -> list[_Item]:
    assert scope.id is not None
    own = _items(events.of_originators([scope.id]))
    if not own:
        raise EvidenceNotFoundError(f"no item {scope.id}")
    project = own[0].event.project_id
    if scope.project_id is not None and project != str(scope.project_id):
        raise EvidenceNotFoundError(f"no item {scope.id} in project {scope.project_id}")
    links = linked_ids(str(scope.id), [i.event for i in own])
    related = [UUID(i) for i in links.all_ids()]
    linked = [i for i in _items(events.of_originators(related)) if i.event.project_id == project]
    members = _member_emails(events, project)
    asked = _acknowledgements(events, scope.id, own, members, project)
    for source in links.sources:
        cited = [i for i in linked if i.event.originator_id == source]
        if cited:
            asked += _acknowledgements(events, UUID(source), cited, members, project)
    return own + linked + asked


def _acknowledgements(
    events: EventTable,
    subject_id: UUID,
    subject_events: Sequence[_Item],
    members: Iterable[str],
    project: Any,
) -> list[_Item]:
    latest = min(max(i.record.originator_version for i in subject_events), _ACK_VERSIONS_MAX)
    ids = [
        acknowledgement_request_id(subject_id, version, person)
        for version in range(1, latest + 1)
        for person in members
    ]
    return [i for i in _items(events.of_originators(ids)) if i.event.project_id == project]


def _member_emails(events: EventTable, project: Any) -> list[str]:
    if not isinstance(project, str):
        return []
    emails: dict[str, None] = {}
    for item in _items(events.of_originators([UUID(project)])):
        if item.event.type == "Project.MemberAdded":
            member = item.fields.get("member") or {}
            if isinstance(member, dict) and isinstance(member.get("email"), str):
                emails[member["email"]] = None
    return list(emails)


def _flatten(pages: Iterable[list[StoredRecord]]) -> Iterator[StoredRecord]:
    for page in pages:
        yield from page


# ---------------------------------------------------------------------------------------------
# The bundle


def build_bundle(
    items: Sequence[_Item],
    *,
    scope: EvidenceScope,
    log: MerkleLog,
    checkpoints: CheckpointStore,
    checkpoint: Checkpoint,
    signer: Signer,
    documents: DocumentGetter | None = None,
    consistency_from: Iterable[int] = (),
    created_at: datetime | None = None,
    language: str = "en",
) -> bytes:
    """The ZIP bytes of the bundle of ``items`` proved into ``checkpoint`` (which must cover
    them all), its manifest signed by ``signer`` (the log's key)."""
    if language not in LANGUAGES:
        raise ValueError(f"report language: one of {', '.join(LANGUAGES)}")
    verifier = signer.verifier
    created = created_at or datetime.now(UTC)
    positions = [i.record.position for i in items]
    proofs = log.inclusion_proofs(positions, checkpoint.size)
    files: dict[str, bytes] = {}
    entries = []
    decoded_events = []
    proof_files: dict[int, dict[str, Any]] = {}
    leaves: dict[int, bytes] = {}
    digests: dict[str, None] = {}
    witnessed: dict[int, None] = {}
    for item in items:
        record, proof = item.record, proofs[item.record.position]
        p = record.position
        decoded = layout.decoded_event(record, proof.leaf_index)
        decoded_events.append({**decoded, "role": item.role})
        leaves[p] = record.leaf_data()
        files[layout.leaf_file(p)] = leaves[p]
        files[layout.state_file(p)] = record.state
        files[layout.decoded_file(p)] = layout.dump_json(decoded)
        proof_files[p] = layout.proof_object(p, proof.leaf_index, proof.tree_size,
                                             proof.leaf_hash, proof.path)  # fmt: skip
        files[layout.proof_file(p)] = layout.dump_json(proof_files[p])
        entries.append(layout.event_entry(record, proof.leaf_index, item.role))
        for digest in layout.referenced_digests(decoded["fields"]):
            digests[digest] = None
        size = item.fields.get("checkpoint_size")
        if type(size) is int and 0 < size < checkpoint.size:
            witnessed[size] = None
    for size in consistency_from:
        if 0 < size < checkpoint.size:
            witnessed[size] = None

    consistency = []
    for size in sorted(witnessed):
        kept = checkpoints.at_size(size)
        files[layout.consistency_file(size)] = layout.dump_json(
            {
                "old_size": size,
                "old_root": log.root(size).hex(),
                "new_size": checkpoint.size,
                "new_root": checkpoint.root.hex(),
                "proof": [h.hex() for h in log.consistency_proof(size, checkpoint.size)],
                "old_checkpoint": kept.note if kept else None,
            }
        )
        consistency.append({"old_size": size, "file": layout.consistency_file(size)})

    held, not_held = [], []
    for digest in digests:
        document = documents(digest) if documents else None
        if document is None:
            not_held.append(digest)
            continue
        name = layout.document_file(digest, document.filename, document.media_type)
        files[name] = document.data
        held.append(
            {
                "sha256": digest,
                "file": name,
                "filename": document.filename,
                "media_type": document.media_type,
                "size": len(document.data),
            }
        )

    index = {
        "format": layout.BUNDLE_FORMAT,
        "leaf_format": 1,
        "report_format": REPORT_FORMAT,
        "language": language,
        "created_at": created.isoformat(),
        "scope": scope.describe(),
        "log": {
            "origin": checkpoint.origin,
            "tree_size": checkpoint.size,
            "root": checkpoint.root_base64,
            "checkpoint": layout.CHECKPOINT,
        },
        "public_key": layout.PUBLIC_KEY,
        "public_key_vkey": verifier.vkey,
        "public_key_sha256": verifier.fingerprint,
        "manifest_signature": layout.MANIFEST_SIGNATURE,
        "events": entries,
        "consistency": consistency,
        "documents": held,
        "documents_not_held": not_held,
    }
    files[layout.INDEX] = layout.dump_json(index)
    files[layout.CHECKPOINT] = checkpoint.note.encode()
    files[layout.PUBLIC_KEY] = (verifier.vkey + "\n").encode()
    files[layout.REPORT] = render(
        ReportInput(index, decoded_events, leaves, proof_files, checkpoint.note)
    )
    files[layout.README] = readme(index).encode()
    return pack_bundle(files, created, signer)


def manifest(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum`` lines for every file but the manifest and its signature, sorted by name."""
    names = sorted(n for n in files if n not in (layout.MANIFEST, layout.MANIFEST_SIGNATURE))
    return "".join(f"{sha256(files[n]).hexdigest()}  {n}\n" for n in names).encode()


def pack_bundle(files: dict[str, bytes], created: datetime, signer: Signer | None = None) -> bytes:
    """The ZIP of ``files`` with ``manifest-sha256.txt`` (re)made and, given the log's
    ``signer``, ``manifest.sig`` signed over it (without one, a signature already in ``files``
    is kept as it is: tests rewrite a manifest the way anyone could); entries dated
    ``created``, the README and the report first."""
    files = {n: data for n, data in files.items() if n != layout.MANIFEST}
    files[layout.MANIFEST] = manifest(files)
    if signer is not None:
        note = sign_note(layout.manifest_note_text(files[layout.MANIFEST]), signer)
        files[layout.MANIFEST_SIGNATURE] = note.encode()
    stamp = created.astimezone(UTC)
    date_time = (
        max(stamp.year, 1980),
        stamp.month,
        stamp.day,
        stamp.hour,
        stamp.minute,
        stamp.second,
    )
    first = [layout.README, layout.REPORT, layout.INDEX, layout.CHECKPOINT, layout.PUBLIC_KEY]
    last = [layout.MANIFEST, layout.MANIFEST_SIGNATURE]
    order = [n for n in first if n in files]
    order += sorted(n for n in files if n not in first and n not in last)
    order += [n for n in last if n in files]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def readme(index: dict[str, Any]) -> str:
    log = index["log"]
    return _README.format(
        origin=log["origin"],
        size=log["tree_size"],
        root=log["root"],
        vkey=index["public_key_vkey"],
        fingerprint=index["public_key_sha256"],
        events=len(index["events"]),
        created=index["created_at"],
    )


_README: Final = """\
EVIDENCE BUNDLE — HOW TO CHECK IT
=================================

This bundle holds {events} events from an Accord ledger (made {created}), each
exactly as stored, with a proof that it is in the ledger's tamper-evident log
as it stood when this signed checkpoint was made:

    log:        {origin}
    tree size:  {size} events
    root:       {root}

The checkpoint is signed with this Ed25519 key:

    {vkey}
    fingerprint (SHA-256 of the 32-byte public key): {fingerprint}

FIRST: get the ledger operator's public key from them by a separate channel
(their website, a letter, a call) and compare it with the one above. A bundle
can only show that its events are in the log signed by that key; trusting the
key is your decision.

WITH THE ACCORD COMMAND (no database needed):

    accord evidence verify THIS.zip --fingerprint <the operator's fingerprint>
    accord evidence verify THIS.zip --key KEYFILE --checkpoint OLDER-CHECKPOINT.txt

The second form also checks that the log is an extension of a checkpoint you
kept earlier (for example one you received when you acknowledged something).
It says VERIFIED (exit 0) only against a key you trust; without --key or
--fingerprint it says "intact and internally consistent, signer unconfirmed"
(exit 7); a failed check exits 1 and says what failed.

BY HAND (any language; full details in Accord's docs/integrity.md):

 1. manifest-sha256.txt lists the SHA-256 of every other file but
    manifest.sig:
        sha256sum -c manifest-sha256.txt
    manifest.sig is a signed note (as in step 2) by the same key over two
    lines: "accord-evidence-manifest/1" and the SHA-256 of the manifest, so a
    rewritten manifest fails. (Steps 2-4 are what tie the events to the log.)
 2. checkpoint.txt is a C2SP signed note: the text is its first three lines
    (origin, tree size, base64 root), each ending in a newline; the last line is
    "\u2014 <key name> <base64(4-byte key ID || 64-byte Ed25519 signature)>".
    Verify the signature over the three lines with the public key: the key is
    the base64 after the second "+" in public-key.txt, minus its first byte (0x01).
 3. For each events/<position>.leaf: leaf hash = SHA-256(0x00 || file bytes).
    The file is: 1 byte version (1), 8 bytes position, 16 bytes item id,
    8 bytes item version, 4 bytes topic length, topic, 4 bytes state length,
    state (all integers big-endian). proofs/<position>.json gives the leaf index,
    the tree size and the audit path (hex); fold it as RFC 9162 section 2.1.3.2
    says, and the result must be the checkpoint's root.
 4. events/<position>.json is the same event decoded (the state with its type
    tags removed); events/<position>.state.json is the state exactly as stored.
    Both must agree with the leaf file, and so must each entry of bundle.json.
 5. consistency/<size>.json proves that an older tree head (for instance one an
    acknowledgement in this bundle recorded) is a prefix of this checkpoint's
    tree (RFC 9162 section 2.1.4.2).
 6. documents/<sha256>[.ext] are the documents the events reference, where the
    ledger holds them: each file's SHA-256 is its name (an e-mail keeps .eml).

report.html tells the story in plain words and checks itself when opened in
a browser (no network needed): it shows "Verified in this browser" and the key's
fingerprint, or names the event that fails. The files above are the evidence.
"""
