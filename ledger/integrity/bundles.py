"""Evidence bundles: the events of one subject, project or person, with everything a stranger
needs to check them offline (layout in :mod:`ledger.integrity.bundle_format`).

What a scope selects — and nothing else, so a bundle discloses no other subject or project:

* ``subject`` (any item's id): the item's events; the acknowledgement requests about it (their
  ids are derived from subject, version and person, so they are found by key, not by a scan);
  the records it cites as its source (a ``Source`` with an id: the meeting whose minutes hold the
  action item, the interaction a promise came from) with their acknowledgement requests;
* ``project``: every event of the project (a filtered scan of the events table);
* ``person`` (an email, optionally within one project): every event naming that person in any
  field (a filtered scan);

plus, for context, the project's opening and the membership events of the people the selected
events name (who is on which side). ``start``/``end`` keep the events that *occurred* in
``[start, end)`` (context events are always kept).

Every included event is sealed and proved into one signed checkpoint — the latest, made by the
export if the log grew since. Sibling hashes in the proofs are hashes of other events' leaves:
they reveal nothing of those events (each leaf holds random ids and microsecond timestamps).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any, Final
from uuid import UUID

import orjson

from ledger.domain.acknowledgement import acknowledgement_request_id
from ledger.integrity import bundle_format as layout
from ledger.integrity.checkpoints import Checkpoint, CheckpointStore
from ledger.integrity.log import MerkleLog
from ledger.integrity.records import EventTable, StoredRecord
from ledger.integrity.report import REPORT_FORMAT, render
from ledger.integrity.signing import Verifier

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

_MEMBERSHIP: Final = frozenset(
    (
        "ledger.project:Project.Opened",
        "ledger.project:Project.MemberAdded",
        "ledger.project:Project.MemberRoleChanged",
        "ledger.project:Project.MemberRemoved",
    )
)
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
        return cls("person", person=email.strip().lower(), **bounds)

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
    fields: dict[str, Any]  # untagged state
    tagged: Any  # the state as parsed JSON, tags kept
    role: str


def _item(record: StoredRecord, role: str) -> _Item:
    try:
        tagged = orjson.loads(record.state)
    except orjson.JSONDecodeError:
        tagged = {}
    fields = layout.untag(tagged)
    return _Item(record, fields if isinstance(fields, dict) else {}, tagged, role)


# ---------------------------------------------------------------------------------------------
# Selection


def select_evidence(events: EventTable, scope: EvidenceScope) -> list[_Item]:
    """The events ``scope`` covers, in position order (see the module docstring)."""
    if scope.kind == "subject":
        items = _subject(events, scope)
    elif scope.kind == "project":
        assert scope.id is not None
        needle = b'"project_id":{"_type_":"uuid_hex","_data_":"' + scope.id.hex.encode() + b'"}'
        found = (_item(r, "scope") for r in _flatten(events.containing(needle)))
        items = [i for i in found if i.fields.get("project_id") == str(scope.id)]
    else:
        assert scope.person is not None
        needle = orjson.dumps(scope.person)
        items = []
        for record in _flatten(events.containing(needle)):
            item = _item(record, "scope")
            if _names(item.fields, scope.person) and (
                scope.project_id is None or item.fields.get("project_id") == str(scope.project_id)
            ):
                items.append(item)
    items = [i for i in items if i.role == "context" or _in_window(i.fields, scope)]
    if not [i for i in items if i.role != "context"]:
        raise EvidenceNotFoundError("no event falls within this scope")
    items += _context(events, items)
    unique = {i.record.position: i for i in sorted(items, key=_role_rank)}
    return [unique[p] for p in sorted(unique)]


def _subject(events: EventTable, scope: EvidenceScope) -> list[_Item]:
    assert scope.id is not None
    own = [_item(r, "subject") for r in events.of_originators([scope.id])]
    if not own:
        raise EvidenceNotFoundError(f"no item {scope.id}")
    project = own[0].fields.get("project_id")
    if scope.project_id is not None and project != str(scope.project_id):
        raise EvidenceNotFoundError(f"no item {scope.id} in project {scope.project_id}")
    members = _member_emails(events, project)
    items = own + _acknowledgements(events, scope.id, own, members, project, "acknowledgement")
    sources = [UUID(s) for s in dict.fromkeys(_source_ids(own)) if s != str(scope.id)]
    for source_id in sources:
        found = (_item(r, "source") for r in events.of_originators([source_id]))
        cited = [i for i in found if i.fields.get("project_id") == project]
        items += cited
        if cited:
            items += _acknowledgements(
                events, source_id, cited, members, project, "source acknowledgement"
            )
    return items


def _acknowledgements(
    events: EventTable,
    subject_id: UUID,
    subject_events: Sequence[_Item],
    members: Iterable[str],
    project: Any,
    role: str,
) -> list[_Item]:
    latest = min(max(i.record.originator_version for i in subject_events), _ACK_VERSIONS_MAX)
    ids = [
        acknowledgement_request_id(subject_id, version, person)
        for version in range(1, latest + 1)
        for person in members
    ]
    found = [_item(r, role) for r in events.of_originators(ids)]
    return [i for i in found if i.fields.get("project_id") == project]


def _member_emails(events: EventTable, project: Any) -> list[str]:
    if not isinstance(project, str):
        return []
    emails: dict[str, None] = {}
    for record in events.of_originators([UUID(project)]):
        if record.topic == "ledger.project:Project.MemberAdded":
            member = _item(record, "").fields.get("member") or {}
            if isinstance(member, dict) and isinstance(member.get("email"), str):
                emails[member["email"]] = None
    return list(emails)


def _source_ids(items: Iterable[_Item]) -> Iterator[str]:
    """Ids cited by ``Source`` values anywhere in these events (read from the type tags)."""

    def walk(value: Any) -> Iterator[str]:
        if type(value) is dict:
            if value.get("_type_") == "Source" and isinstance(value.get("_data_"), dict):
                cited = value["_data_"].get("id")
                if isinstance(cited, dict) and isinstance(cited.get("_data_"), str):
                    yield str(UUID(hex=cited["_data_"]))
            for v in value.values():
                yield from walk(v)
        elif type(value) is list:
            for v in value:
                yield from walk(v)

    for item in items:
        yield from walk(item.tagged)


def _context(events: EventTable, items: Sequence[_Item]) -> list[_Item]:
    """The opening of each project involved and the membership events of the people named."""
    projects = {i.fields.get("project_id") for i in items} - {None}
    named: set[str] = set()
    for item in items:
        named.update(_strings(item.fields))
    context: list[_Item] = []
    for project in projects:
        for record in events.of_originators([UUID(str(project))]):
            if record.topic not in _MEMBERSHIP:
                continue
            item = _item(record, "context")
            member = item.fields.get("member")
            person = member.get("email") if isinstance(member, dict) else item.fields.get("email")
            if record.topic == "ledger.project:Project.Opened" or person in named:
                context.append(item)
    return context


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _names(fields: dict[str, Any], email: str) -> bool:
    return any(s == email for s in _strings(fields))


def _in_window(fields: dict[str, Any], scope: EvidenceScope) -> bool:
    if scope.start is None and scope.end is None:
        return True
    try:
        occurred = datetime.fromisoformat(str(fields.get("occurred_at")))
    except ValueError:
        return False
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    if scope.start is not None and occurred < scope.start:
        return False
    return scope.end is None or occurred < scope.end


def _flatten(pages: Iterable[list[StoredRecord]]) -> Iterator[StoredRecord]:
    for page in pages:
        yield from page


#: When one event is selected in two roles, the later role in this list names it.
_ROLES: Final = (
    "context",
    "source acknowledgement",
    "source",
    "acknowledgement",
    "scope",
    "subject",
)


def _role_rank(item: _Item) -> int:
    return _ROLES.index(item.role)


# ---------------------------------------------------------------------------------------------
# The bundle


def build_bundle(
    items: Sequence[_Item],
    *,
    scope: EvidenceScope,
    log: MerkleLog,
    checkpoints: CheckpointStore,
    checkpoint: Checkpoint,
    verifier: Verifier,
    documents: DocumentGetter | None = None,
    consistency_from: Iterable[int] = (),
    created_at: datetime | None = None,
) -> bytes:
    """The ZIP bytes of the bundle of ``items`` proved into ``checkpoint`` (which must cover
    them all)."""
    created = created_at or datetime.now(UTC)
    positions = [i.record.position for i in items]
    proofs = log.inclusion_proofs(positions, checkpoint.size)
    files: dict[str, bytes] = {}
    entries = []
    decoded_events = []
    digests: dict[str, None] = {}
    witnessed: dict[int, None] = {}
    for item in items:
        record, proof = item.record, proofs[item.record.position]
        p = record.position
        decoded = layout.decoded_event(record, proof.leaf_index)
        decoded_events.append({**decoded})
        files[layout.leaf_file(p)] = record.leaf_data()
        files[layout.state_file(p)] = record.state
        files[layout.decoded_file(p)] = layout.dump_json(decoded)
        files[layout.proof_file(p)] = layout.dump_json(
            {
                "position": p,
                "leaf_index": proof.leaf_index,
                "tree_size": proof.tree_size,
                "leaf_hash": proof.leaf_hash.hex(),
                "path": [h.hex() for h in proof.path],
            }
        )
        entries.append(
            {
                "position": p,
                "leaf_index": proof.leaf_index,
                "originator_id": str(record.uuid),
                "originator_version": record.originator_version,
                "topic": record.topic,
                "role": item.role,
                "leaf": layout.leaf_file(p),
                "state": layout.state_file(p),
                "decoded": layout.decoded_file(p),
                "proof": layout.proof_file(p),
            }
        )
        for digest in layout.referenced_digests(item.fields):
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
        files[layout.document_file(digest)] = document.data
        held.append(
            {
                "sha256": digest,
                "file": layout.document_file(digest),
                "filename": document.filename,
                "media_type": document.media_type,
                "size": len(document.data),
            }
        )

    index = {
        "format": layout.BUNDLE_FORMAT,
        "leaf_format": 1,
        "report_format": REPORT_FORMAT,
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
        "events": entries,
        "consistency": consistency,
        "documents": held,
        "documents_not_held": not_held,
    }
    files[layout.INDEX] = layout.dump_json(index)
    files[layout.CHECKPOINT] = checkpoint.note.encode()
    files[layout.PUBLIC_KEY] = (verifier.vkey + "\n").encode()
    files[layout.REPORT] = render(index, decoded_events)
    files[layout.README] = readme(index).encode()
    return pack_bundle(files, created)


def manifest(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` lines for every file, sorted by name."""
    lines = [f"{sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)]
    return "".join(lines).encode()


def pack_bundle(files: dict[str, bytes], created: datetime) -> bytes:
    """The ZIP of ``files`` (every file but the manifest) with ``manifest-sha256.txt`` added;
    entries dated ``created``, the README and the report first."""
    files = {n: data for n, data in files.items() if n != layout.MANIFEST}
    files[layout.MANIFEST] = manifest(files)
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
    order = first + sorted(n for n in files if n not in first and n != layout.MANIFEST)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in [*order, layout.MANIFEST]:
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

    accord evidence verify THIS.zip --key '<the operator's key>'
    accord evidence verify THIS.zip --key KEY --checkpoint OLDER-CHECKPOINT.txt

The second form also checks that the log is an extension of a checkpoint you
kept earlier (for example one you received when you acknowledged something).
It exits 0 only if everything holds, and otherwise says what failed.

BY HAND (any language; full details in Accord's docs/integrity.md):

 1. manifest-sha256.txt lists the SHA-256 of every other file:
        sha256sum -c manifest-sha256.txt
    (This only catches accidental damage: anyone could rewrite it. Steps 2-4
    are what make the bundle evidence.)
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
    Both must agree with the leaf file.
 5. consistency/<size>.json proves that an older tree head (for instance one an
    acknowledgement in this bundle recorded) is a prefix of this checkpoint's
    tree (RFC 9162 section 2.1.4.2).
 6. documents/<sha256> are the documents the events reference, where the ledger
    holds them: each file's SHA-256 is its name.

report.html is a readable rendering of the events. It is not itself evidence:
the files above are.
"""
