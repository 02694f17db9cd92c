"""The layout of an evidence bundle, shared by the exporter and the offline verifier.

A bundle is a ZIP file::

    README.txt                     how a stranger verifies it, by hand or with `accord`
    report.html                    the human-readable report (a rendering of the events below)
    bundle.json                    what is in the bundle, and the scope it was made for
    checkpoint.txt                 the signed checkpoint (C2SP tlog-checkpoint) every proof leads to
    public-key.txt                 the log's public key (C2SP/Go note verifier key form)
    events/<position>.leaf         each event's leaf data: its stored fields and position, exactly
    events/<position>.state.json   each event's state bytes exactly as stored (JSON)
    events/<position>.json         each event decoded (the state with its type tags removed)
    proofs/<position>.json         each event's inclusion proof into checkpoint.txt
    consistency/<size>.json        consistency proofs from older tree heads (witnessed ones)
    documents/<sha256>[.<ext>]     the documents the events reference, where held (an
                                   original email keeps its ``.eml``)
    manifest-sha256.txt            SHA-256 of every other file (``sha256sum -c`` reads it)
    manifest.sig                   a signed note, by the log's key, over the manifest's SHA-256

``<position>`` is the event's position, zero-padded to 12 digits so names sort in log order.
Hashes inside JSON files are lower-case hex; the checkpoint's root is base64 (as C2SP says).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

import orjson

from ledger.integrity.records import StoredRecord

BUNDLE_FORMAT: Final = "accord-evidence/1"
README: Final = "README.txt"
REPORT: Final = "report.html"
INDEX: Final = "bundle.json"
CHECKPOINT: Final = "checkpoint.txt"
PUBLIC_KEY: Final = "public-key.txt"
MANIFEST: Final = "manifest-sha256.txt"
MANIFEST_SIGNATURE: Final = "manifest.sig"
MANIFEST_NOTE_HEADER: Final = "accord-evidence-manifest/1"

#: Extensions by media type, for documents whose own file name gives none (a fixed table, not
#: the platform's: a verifier elsewhere must derive the same name).
_EXTENSIONS: Final = {
    "message/rfc822": ".eml",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/html": ".html",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/zip": ".zip",
    "application/json": ".json",
}
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}")


def leaf_file(position: int) -> str:
    return f"events/{position:012d}.leaf"


def state_file(position: int) -> str:
    return f"events/{position:012d}.state.json"


def decoded_file(position: int) -> str:
    return f"events/{position:012d}.json"


def proof_file(position: int) -> str:
    return f"proofs/{position:012d}.json"


def consistency_file(old_size: int) -> str:
    return f"consistency/{old_size}.json"


def document_extension(filename: str | None, media_type: str | None) -> str:
    """The extension a held document keeps in the bundle: its file name's (lower-cased, if it
    is 1-8 letters or digits), else its media type's (from a fixed table), else none."""
    if filename:
        match = _EXTENSION.fullmatch(filename[filename.rfind(".") :]) if "." in filename else None
        if match:
            return match.group(0).lower()
    if media_type:
        return _EXTENSIONS.get(media_type.split(";")[0].strip().lower(), "")
    return ""


def document_file(sha256: str, filename: str | None = None, media_type: str | None = None) -> str:
    return f"documents/{sha256}{document_extension(filename, media_type)}"


def manifest_note_text(manifest: bytes) -> str:
    """The text of ``manifest.sig``'s signed note: a header line and the manifest's SHA-256."""
    return f"{MANIFEST_NOTE_HEADER}\n{hashlib.sha256(manifest).hexdigest()}\n"


def proof_object(
    position: int, leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes]
) -> dict[str, Any]:
    """The content of ``proofs/<position>.json``."""
    return {
        "position": position,
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "leaf_hash": leaf_hash.hex(),
        "path": [h.hex() for h in path],
    }


def event_entry(record: StoredRecord, leaf_index: int, role: str) -> dict[str, Any]:
    """One entry of ``bundle.json``'s ``events``: every field derived from the record, its
    leaf index and its role in the closure (the verifier re-derives each)."""
    p = record.position
    return {
        "position": p,
        "leaf_index": leaf_index,
        "originator_id": str(record.uuid),
        "originator_version": record.originator_version,
        "topic": record.topic,
        "role": role,
        "leaf": leaf_file(p),
        "state": state_file(p),
        "decoded": decoded_file(p),
        "proof": proof_file(p),
    }


def untag(value: Any) -> Any:
    """The stored JSON with eventsourcing's type tags removed: ``{"_type_": t, "_data_": d}``
    becomes ``d`` (itself untagged), except that a ``uuid_hex`` becomes the UUID's standard
    8-4-4-4-12 form. Everything else is kept as is (key order too)."""
    if type(value) is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            data = value["_data_"]
            if value["_type_"] == "uuid_hex" and isinstance(data, str):
                try:
                    return str(UUID(hex=data))
                except ValueError:
                    return data
            return untag(data)
        return {k: untag(v) for k, v in value.items()}
    if type(value) is list:
        return [untag(v) for v in value]
    return value


def decoded_event(record: StoredRecord, leaf_index: int) -> dict[str, Any]:
    """The decoded view of a stored event, as written to ``events/<position>.json``: a pure
    function of the leaf data (and the leaf index), so a verifier re-derives and compares it."""
    try:
        state = orjson.loads(record.state)
    except orjson.JSONDecodeError:
        state = None
    return {
        "position": record.position,
        "leaf_index": leaf_index,
        "originator_id": str(record.uuid),
        "originator_version": record.originator_version,
        "topic": record.topic,
        "type": record.topic.rpartition(":")[2],
        "fields": untag(state),
    }


def dump_json(value: Any) -> bytes:
    """The bundle's JSON files: indented, keys in the order given, newline at the end."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def referenced_digests(fields: Any) -> list[str]:
    """SHA-256 digests an event references (``sha256``, ``body_sha256``, ``subject_digest``
    fields anywhere in it), in order of appearance, without repeats."""
    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if type(value) is dict:
            for key, item in value.items():
                if (
                    key in ("sha256", "body_sha256", "subject_digest")
                    and isinstance(item, str)
                    and len(item) == 64
                    and all(c in "0123456789abcdef" for c in item)
                ):
                    found[item] = None
                else:
                    walk(item)
        elif type(value) is list:
            for item in value:
                walk(item)

    walk(fields)
    return list(found)
