"""The integrity layer's byte formats, without storage: leaf data, signed notes and keys (with
Go's ``sumdb/note`` reference vector), checkpoints, the key file, the decoded view, grades."""

from __future__ import annotations

import base64
import os
import stat
import struct
import threading
from hashlib import sha256
from pathlib import Path
from uuid import UUID

import pytest

from ledger.integrity.bundle_format import decoded_event, referenced_digests, untag
from ledger.integrity.checkpoints import (
    CheckpointError,
    checkpoint_text,
    parse_checkpoint,
    parse_checkpoint_text,
)
from ledger.integrity.merkle import leaf_hash
from ledger.integrity.records import (
    MalformedRecordError,
    StoredRecord,
    leaf_data,
    leaf_hash_of,
    parse_leaf_data,
)
from ledger.integrity.report import EvidenceGrade, ReportInput, grade_commitments, render
from ledger.integrity.signing import (
    KeyFileError,
    NoteError,
    Signer,
    Verifier,
    default_key_file,
    load_or_create_signer,
    load_signer,
    open_note,
    sign_note,
)
from ledger.storage.settings import parse_database_url

RECORD = StoredRecord(
    position=258,
    originator_id=UUID("00112233-4455-6677-8899-aabbccddeeff").bytes,
    originator_version=3,
    topic="ledger.commitment:Commitment.Made",
    state=b'{"a":1}',
)

# golang.org/x/mod/sumdb/note's documented example (note.go, note_test.go).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZIn"
    "NIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


# ------------------------------------------------------------------------------- leaf data


def test_leaf_data_is_the_documented_byte_layout() -> None:
    topic = RECORD.topic.encode()
    expected = (
        b"\x01"
        + (258).to_bytes(8, "big")
        + bytes.fromhex("00112233445566778899aabbccddeeff")
        + (3).to_bytes(8, "big")
        + len(topic).to_bytes(4, "big")
        + topic
        + (7).to_bytes(4, "big")
        + b'{"a":1}'
    )
    assert leaf_data(RECORD) == expected
    assert len(expected) == 41 + len(topic) + 7
    assert leaf_hash_of(RECORD) == sha256(b"\x00" + expected).digest() == leaf_hash(expected)
    # Pinned (also in docs/integrity.md), so that a change of format cannot pass unnoticed.
    assert leaf_hash_of(RECORD).hex() == (
        "f6548fc91c6b565b3b212eae8cd102c45e715d4b801d07cb03a431aeaaf902ef"
    )


def test_leaf_data_round_trips() -> None:
    assert parse_leaf_data(leaf_data(RECORD)) == RECORD


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty", b""),
        ("wrong version", b"\x02" + leaf_data(RECORD)[1:]),
        ("trailing byte", leaf_data(RECORD) + b"\x00"),
        ("truncated state", leaf_data(RECORD)[:-1]),
        ("topic runs past the end", leaf_data(RECORD)[:40]),
        (
            "topic not UTF-8",
            struct.pack(">BQ16sQI", 1, 1, bytes(16), 1, 1) + b"\xff" + struct.pack(">I", 0),
        ),
    ],
)
def test_malformed_leaf_data_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(MalformedRecordError):
        parse_leaf_data(data)


@pytest.mark.parametrize(
    "field",
    ["position", "originator_id", "originator_version", "topic", "state"],
)
def test_every_stored_field_changes_the_leaf(field: str) -> None:
    changed = {
        "position": StoredRecord(259, *_fields(RECORD)[1:]),
        "originator_id": StoredRecord(258, bytes(16), 3, RECORD.topic, RECORD.state),
        "originator_version": StoredRecord(
            258, RECORD.originator_id, 4, RECORD.topic, RECORD.state
        ),
        "topic": StoredRecord(258, RECORD.originator_id, 3, RECORD.topic + "x", RECORD.state),
        "state": StoredRecord(258, RECORD.originator_id, 3, RECORD.topic, b'{"a":2}'),
    }[field]
    assert leaf_hash_of(changed) != leaf_hash_of(RECORD)


def test_length_prefixes_keep_topic_and_state_apart() -> None:
    a = StoredRecord(1, bytes(16), 1, "ab", b"c")
    b = StoredRecord(1, bytes(16), 1, "a", b"bc")
    assert leaf_data(a) != leaf_data(b)


def _fields(r: StoredRecord) -> tuple[object, ...]:
    return (r.position, r.originator_id, r.originator_version, r.topic, r.state)


# --------------------------------------------------------------------------- signed notes


def test_go_reference_keys_and_note() -> None:
    signer = Signer.parse(GO_SKEY)
    assert signer.skey == GO_SKEY
    assert signer.verifier.vkey == GO_VKEY
    assert Verifier.parse(GO_VKEY) == signer.verifier
    assert sign_note(GO_TEXT, signer) == GO_NOTE  # Ed25519 is deterministic
    opened = open_note(GO_NOTE, [Verifier.parse(GO_VKEY)])
    assert opened.text == GO_TEXT


def test_key_id_is_the_c2sp_formula() -> None:
    verifier = Verifier.parse(GO_VKEY)
    expected = sha256(b"PeterNeumann\n\x01" + verifier.public_key).digest()[:4]
    assert verifier.key_id == int.from_bytes(expected, "big") == 0xC74F20A3


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("altered text", GO_NOTE.replace("cryptography", "cryptographY")),
        ("altered signature", GO_NOTE.replace("x08go", "x08gp")),
        ("no blank line", GO_NOTE.replace("\n\n", "\n")),
        ("no signature", GO_TEXT + "\n"),
        ("control character", GO_NOTE.replace("answer", "ans\x07wer")),
        ("missing final newline", GO_NOTE[:-1]),
    ],
)
def test_tampered_notes_are_refused(name: str, note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [Verifier.parse(GO_VKEY)])


def test_unknown_keys_are_ignored_but_one_trusted_signature_is_needed() -> None:
    other = Signer.generate("someone.else/log")
    both = GO_NOTE + sign_note(GO_TEXT, other).split("\n\n", 1)[1]
    assert open_note(both, [Verifier.parse(GO_VKEY)]).text == GO_TEXT
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(GO_NOTE, [other.verifier])


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3+AhpjdZAcFDw4TEHoMMW84SqogX7FZJqqvywxOIs1stdE",  # type 2
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short key
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(ValueError, match="key"):
        Verifier.parse(vkey)


def test_base64_keys_holding_a_plus_parse() -> None:
    # transparency-dev/formats' test key: its base64 contains a '+'.
    verifier = Verifier.parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert verifier.name == "TEST"
    assert verifier.vkey == "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_note_is_c2sp_tlog_checkpoint() -> None:
    signer = Signer.generate("example.com/log")
    root = sha256(b"root").digest()
    note = sign_note(checkpoint_text(signer.name, 20852163, root), signer)
    lines = note.split("\n")
    assert lines[:4] == ["example.com/log", "20852163", base64.b64encode(root).decode(), ""]
    assert lines[4].startswith("\u2014 example.com/log ")
    checkpoint = parse_checkpoint(note, [signer.verifier])
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (signer.name, 20852163, root)


@pytest.mark.parametrize(
    "text",
    [
        "log\n012\nAAAA\n",  # leading zero
        "log\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "log\n1\nnot base64!\n",
        "log\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "log\n1\n",
        "log\n\n" + base64.b64encode(bytes(32)).decode() + "\n",
    ],
)
def test_malformed_checkpoint_texts_are_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint_text(text)


def test_a_checkpoint_of_another_origin_is_refused() -> None:
    signer = Signer.generate("example.com/log")
    note = sign_note(checkpoint_text("example.com/other", 1, bytes(32)), signer)
    with pytest.raises(CheckpointError, match=r"not 'example\.com/log'"):
        parse_checkpoint(note, [signer.verifier])


# ------------------------------------------------------------------------------ key file


def test_key_file_is_created_owner_only_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "data" / "accord-log.key"
    signer = load_or_create_signer(path, origin="acme.example/ledger")
    assert signer.name == "acme.example/ledger"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_signer(path) == signer
    assert path.read_text().startswith("PRIVATE+KEY+acme.example/ledger+")


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    load_or_create_signer(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signer(path)


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    found: list[Signer] = []
    threads = [
        threading.Thread(target=lambda: found.append(load_or_create_signer(path))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({s.skey for s in found}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]


def test_key_file_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ACCORD_KEY_FILE", raising=False)
    monkeypatch.delenv("ACCORD_DATA_DIR", raising=False)
    sqlite = parse_database_url(f"sqlite:///{tmp_path}/db/x.db")
    assert default_key_file(sqlite) == (tmp_path / "db" / "accord-log.key").resolve()
    postgres = parse_database_url("postgresql://u@localhost/accord")
    assert default_key_file(postgres) == Path("accord-data/accord-log.key")
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path / "data"))
    assert default_key_file(sqlite) == tmp_path / "data" / "accord-log.key"
    monkeypatch.setenv("ACCORD_KEY_FILE", str(tmp_path / "elsewhere.key"))
    assert default_key_file(postgres) == tmp_path / "elsewhere.key"


# -------------------------------------------------------------------------- decoded view


def test_untag_removes_type_tags_and_spells_uuids_out() -> None:
    stored = {
        "project_id": {"_type_": "uuid_hex", "_data_": "00112233445566778899aabbccddeeff"},
        "due_at": {"_type_": "datetime_iso", "_data_": "2026-03-01T10:00:00+00:00"},
        "source": {
            "_type_": "Source",
            "_data_": {"kind": {"_type_": "SourceKind", "_data_": "meeting"}},
        },
        "to": ["a@x.test"],
        "n": 1,
    }
    assert untag(stored) == {
        "project_id": "00112233-4455-6677-8899-aabbccddeeff",
        "due_at": "2026-03-01T10:00:00+00:00",
        "source": {"kind": "meeting"},
        "to": ["a@x.test"],
        "n": 1,
    }
    decoded = decoded_event(RECORD, 7)
    assert decoded["fields"] == {"a": 1}
    assert (decoded["position"], decoded["leaf_index"], decoded["type"]) == (
        258,
        7,
        "Commitment.Made",
    )


def test_referenced_digests() -> None:
    a, b = "a" * 64, "b" * 64
    fields = {"body_sha256": a, "attachments": [{"sha256": b}, {"sha256": a}], "x": "c" * 64}
    assert referenced_digests(fields) == [a, b]


# ------------------------------------------------------------------------- evidence grade

PM, DEV, CLIENT = "pm@acme.test", "dev@acme.test", "sue@client.test"
PROJECT = "00000000-0000-0000-0000-000000000001"
COMMITMENT = "00000000-0000-0000-0000-0000000000c1"


def _event(position: int, kind: str, **fields: object) -> dict[str, object]:
    base = {"actor": PM, "attributed_to": None, "project_id": PROJECT}
    return {
        "position": position,
        "leaf_index": position - 1,
        "originator_id": PROJECT if kind.startswith("Project.") else COMMITMENT,
        "originator_version": 1,
        "topic": f"x:{kind}",
        "type": kind,
        "fields": {**base, **fields},
    }


MEMBERS = [
    _event(1, "Project.MemberAdded", member={"email": PM, "name": "P", "party": "team"}),
    _event(2, "Project.MemberAdded", member={"email": DEV, "name": "D", "party": "team"}),
    _event(3, "Project.MemberAdded", member={"email": CLIENT, "name": "S", "party": "client"}),
]


@pytest.mark.parametrize(
    ("story", "grade"),
    [
        # The client's promise, recorded by the team: the other side.
        ([_event(4, "Commitment.Made", promisor=CLIENT, promisee=PM, attributed_to=CLIENT)],
         EvidenceGrade.RECORDED_BY_COUNTERPARTY),
        # The team's promise, recorded by a team member.
        ([_event(4, "Commitment.Made", promisor=DEV, promisee=CLIENT)],
         EvidenceGrade.RECORDED_OR_CONFIRMED_BY_PROMISOR),
        # ... which the client acknowledged.
        ([_event(4, "Commitment.Made", promisor=DEV, promisee=CLIENT),
          _event(5, "Commitment.Acknowledged", actor=CLIENT, by=CLIENT)],
         EvidenceGrade.ACKNOWLEDGED_IN_LEDGER),
        # ... and whose source is a held document.
        ([_event(4, "Commitment.Made", promisor=DEV, promisee=CLIENT,
                 source={"kind": "document", "sha256": "d" * 64}),
          _event(5, "Commitment.Acknowledged", actor=CLIENT, by=CLIENT)],
         EvidenceGrade.ACKNOWLEDGED_WITH_HASHED_SOURCE),
        # The client's promise confirmed by the client: promisor on record.
        ([_event(4, "Commitment.Made", promisor=CLIENT, promisee=PM),
          _event(5, "Commitment.Acknowledged", actor=CLIENT, by=CLIENT)],
         EvidenceGrade.ACKNOWLEDGED_IN_LEDGER),
    ],
)  # fmt: skip
def test_evidence_grades(story: list[dict[str, object]], grade: EvidenceGrade) -> None:
    (graded,) = grade_commitments(MEMBERS + story)
    assert graded.grade is grade


def test_report_is_deterministic_and_escapes_everything() -> None:
    events = [*MEMBERS, _event(4, "Commitment.Made", promisor=DEV, promisee=CLIENT,
                               statement="<script>alert(1)</script>")]  # fmt: skip
    index = {"scope": {"kind": "project", "id": PROJECT}, "created_at": "2026-01-01T00:00:00"}
    page = render(ReportInput(index, events, {}, {}, ""))
    assert page == render(ReportInput(index, list(reversed(events)), {}, {}, ""))
    assert b"<script>alert" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # The embedded data cannot close its script element either.
    assert page.count(b"</script>") == 2
