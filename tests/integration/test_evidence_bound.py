"""Evidence bundles bind every statement (issue 11), on SQLite and PostgreSQL: a change
request's bundle tells its whole story; every field of every ``bundle.json`` entry, every
top-level field, the order of the events, an event from another bundle, a proof into another
tree size and an omitted event are each caught — even when the manifest is re-signed with the
log's own key, so the checks do not lean on the signature — and a rewritten manifest is caught
by its signature. ``to`` is inclusive; ``accord evidence verify`` says VERIFIED only against a
pinned key."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.integrity import EvidenceScope, Integrity, Signer, verify_bundle
from ledger.integrity import bundle_format as layout
from ledger.integrity.bundles import pack_bundle
from ledger.interchange.demo import PM, SPONSOR, record_demo
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from tests.integration.integrity_support import open_integrity

CREATED = datetime.fromisoformat("2026-12-05T12:00:00+00:00")


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def item_of(ledger: Ledger, topic: str, needle: bytes = b"") -> UUID:
    for n in ledger.recorder.select_notifications(start=1, limit=10_000):
        if n.topic.endswith(topic) and needle in n.state:
            return n.originator_id
    raise LookupError(topic)


@dataclass
class Story:
    ledger: Ledger
    integrity: Integrity
    signer: Signer
    key: str
    change: UUID
    bundle: bytes  # the change request's


@pytest.fixture
def story(ledger: Ledger, tmp_path: Path) -> Story:
    record_demo(ledger)
    integrity = open_integrity(ledger, tmp_path)
    change = item_of(ledger, "ChangeRequest.Requested")
    bundle = integrity.export_evidence(EvidenceScope.subject(change), created_at=CREATED)
    return Story(ledger, integrity, integrity.signer, integrity.public_key(), change, bundle)


def resigned(files: dict[str, bytes], signer: Signer) -> bytes:
    """The bundle re-packed with its manifest re-made and re-signed by the log's own key: what
    only the key's holder could do, so that what remains to catch an edit is the binding of
    each statement to the hashed events."""
    return pack_bundle(files, CREATED, signer)


def failures(data: bytes, key: str) -> list[str]:
    result = verify_bundle(data, key=key)
    assert not result.ok
    return result.failures


def test_a_change_requests_bundle_tells_its_whole_story(story: Story) -> None:
    result = verify_bundle(story.bundle, key=story.key)
    assert result.verified, result.failures
    files = unzip(story.bundle)
    index = orjson.loads(files["bundle.json"])
    roles = {(e["topic"].rpartition(":")[2], e["role"]) for e in index["events"]}
    assert {
        ("ChangeRequest.Requested", "subject"),
        ("ChangeRequest.Approved", "subject"),
        ("Expectation.Proposed", "revised expectation"),
        ("Expectation.AgreementGiven", "revised expectation"),
        ("Expectation.Revised", "revised expectation"),
        ("Project.MemberAdded", "context"),
    } <= roles
    report = files["report.html"].decode()
    assert (
        "Sam Okafor (the client&#x27;s approver) approved change request “Single sign-on with "
        "Azure AD”: milestone “Beta release” moved from"
    ) in report
    assert "budget “Fixed budget” moved from 120,000 EUR to 129,500 EUR" in report
    assert "ChangeRequest.ImpactAssessed</code>" in report  # only in the technical appendix
    # The expectation's bundle brings the change request that revised it.
    beta = item_of(story.ledger, "Expectation.Proposed", b"Beta release")
    data = story.integrity.export_evidence(EvidenceScope.subject(beta))
    entries = orjson.loads(unzip(data)["bundle.json"])["events"]
    assert {e["role"] for e in entries if e["originator_id"] == str(story.change)} == {
        "revising change request"
    }
    assert verify_bundle(data, key=story.key).ok
    # Chinese, on request.
    chinese = story.integrity.export_evidence(
        EvidenceScope.subject(story.change), language="zh-Hans"
    )
    page = unzip(chinese)["report.html"].decode()
    assert "客户审批人Sam Okafor批准了变更请求" in page
    assert verify_bundle(chinese, key=story.key).ok


def test_an_acknowledgement_request_brings_what_was_acknowledged(
    ledger: Ledger, tmp_path: Path
) -> None:
    project = ledger.open_project(PM, name="W", client_org="C", team_org="A").id
    ledger.add_member(PM, project, email=SPONSOR, name="Sam", party="client",
                      role="client_approver")  # fmt: skip
    promise = ledger.make_commitment(
        PM, project, promisor=PM, promisee=SPONSOR, statement="Ship it"
    ).id
    request = ledger.request_acknowledgement(
        PM, project, subject_kind="commitment", subject_id=promise, person=SPONSOR
    ).id
    ledger.acknowledge(SPONSOR, project, request, comment="Agreed")
    with open_integrity(ledger, tmp_path) as integrity:
        data = integrity.export_evidence(EvidenceScope.subject(request))
        key = integrity.public_key()
    entries = orjson.loads(unzip(data)["bundle.json"])["events"]
    assert {e["role"] for e in entries if e["originator_id"] == str(promise)} == {
        "acknowledged subject"
    }
    assert verify_bundle(data, key=key).ok
    page = unzip(data)["report.html"].decode()
    assert "Sam (the client&#x27;s approver) acknowledged the promise “Ship it”" in page


def _altered(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        if value.endswith("ChangeRequest.Approved"):
            return value.replace("Approved", "Rejected")
        return "context" if value != "context" else "subject"
    return None


def test_every_field_of_every_entry_is_bound(story: Story) -> None:
    files = unzip(story.bundle)
    index = orjson.loads(files["bundle.json"])
    assert len(index["events"]) >= 10
    for number, entry in enumerate(index["events"]):
        for name in entry:
            changed = orjson.loads(files["bundle.json"])
            changed["events"][number][name] = _altered(entry[name])
            edited = {**files, "bundle.json": layout.dump_json(changed)}
            found = failures(resigned(edited, story.signer), story.key)
            assert any(
                f"events[{number}]" in f or f"position {entry['position']}" in f for f in found
            ), (number, name, found)


TOP_LEVEL_EDITS: list[tuple[str, Any, str]] = [
    ("format", "accord-evidence/0", "unknown format"),
    ("leaf_format", 2, "leaf_format"),
    ("report_format", 1, "report_format"),
    ("language", "fr", "language"),
    ("language", "zh-Hans", "report.html"),
    ("created_at", "yesterday", "created_at"),
    (
        "scope",
        {
            "kind": "subject",
            "id": "00000000-0000-0000-0000-000000000001",
            "person": None,
            "project_id": None,
            "from": None,
            "to": None,
        },
        "not part of this bundle's scope",
    ),
    (
        "log",
        {"origin": "x", "tree_size": 1, "root": "", "checkpoint": "checkpoint.txt"},
        "log.origin",
    ),
    ("public_key", "key.txt", "public_key"),
    ("public_key_vkey", "x+00000000+AQ==", "public_key_vkey"),
    ("public_key_sha256", "00" * 32, "public_key_sha256"),
    ("manifest_signature", "m.sig", "manifest_signature"),
    ("consistency", [{"old_size": 3, "file": "consistency/3.json"}], "consistency/3.json"),
    (
        "documents",
        [
            {
                "sha256": "ab" * 32,
                "file": "documents/x",
                "filename": None,
                "media_type": None,
                "size": 1,
            }
        ],
        "documents[0]",
    ),
    ("documents_not_held", ["ab" * 32], "documents_not_held"),
]


def test_every_top_level_field_is_bound(story: Story) -> None:
    files = unzip(story.bundle)
    for field, value, named in TOP_LEVEL_EDITS:
        index = orjson.loads(files["bundle.json"])
        index[field] = value
        edited = {**files, "bundle.json": layout.dump_json(index)}
        found = failures(resigned(edited, story.signer), story.key)
        assert any(named in f for f in found), (field, found)


def test_reordered_omitted_and_foreign_events_are_caught(story: Story) -> None:
    files = unzip(story.bundle)
    index = orjson.loads(files["bundle.json"])
    # Reordered.
    reordered = {**index, "events": list(reversed(index["events"]))}
    found = failures(resigned({**files, "bundle.json": layout.dump_json(reordered)},
                              story.signer), story.key)  # fmt: skip
    assert any("out of log order" in f for f in found), found
    # An event of the story left out (the impact assessment): its item's history has a gap.
    dropped = next(e for e in index["events"] if e["topic"].endswith("ImpactAssessed"))
    kept = {n: c for n, c in files.items() if f"{dropped['position']:012d}" not in n}
    fewer = {**index, "events": [e for e in index["events"] if e is not dropped]}
    kept["bundle.json"] = layout.dump_json(fewer)
    found = failures(resigned(kept, story.signer), story.key)
    assert any(f"item {story.change}: its events are not all here" in f for f in found), found
    # An event from another bundle (same checkpoint: its proof is genuine) swapped in.
    hosting = item_of(story.ledger, "Commitment.Made", b"Confirm the hosting provider")
    other = story.integrity.export_evidence(EvidenceScope.subject(hosting), created_at=CREATED)
    other_files = unzip(other)
    other_index = orjson.loads(other_files["bundle.json"])
    foreign = next(e for e in other_index["events"] if e["role"] == "subject")
    p = foreign["position"]
    swapped = {**files}
    for name in (foreign["leaf"], foreign["state"], foreign["decoded"], foreign["proof"]):
        swapped[name] = other_files[name]
    entries = sorted([*index["events"], {**foreign, "role": "source"}],
                     key=lambda e: e["position"])  # fmt: skip
    swapped["bundle.json"] = layout.dump_json({**index, "events": entries})
    found = failures(resigned(swapped, story.signer), story.key)
    assert any(f"event at position {p}" in f and "not part of" in f for f in found), found


def test_a_proof_from_another_tree_size_is_caught(story: Story) -> None:
    files = unzip(story.bundle)
    index = orjson.loads(files["bundle.json"])
    project = UUID(orjson.loads(files[index["events"][0]["decoded"]])["fields"]["project_id"])
    story.ledger.record_interaction(
        PM, project, channel="phone", subject="Later", summary="s", from_address=PM
    )
    bigger = story.integrity.make_checkpoint()
    entry = index["events"][3]
    proof = story.integrity.inclusion_proof(entry["position"], bigger.size)
    files[entry["proof"]] = layout.dump_json(
        layout.proof_object(
            proof.position, proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.path
        )
    )
    found = failures(resigned(files, story.signer), story.key)
    assert any(f"event at position {entry['position']} (events[3]): its proof is into a tree of "
               f"{bigger.size} events" in f for f in found), found  # fmt: skip


def test_the_manifest_is_signed(story: Story) -> None:
    files = unzip(story.bundle)
    assert files["manifest.sig"].decode().startswith("accord-evidence-manifest/1\n")
    index = orjson.loads(files["bundle.json"])
    index["created_at"] = "2027-01-01T00:00:00+00:00"  # well formed: only the signature binds it
    edited = {**files, "bundle.json": layout.dump_json(index)}
    found = failures(pack_bundle(edited, CREATED), story.key)  # manifest rewritten, not signed
    assert any("manifest.sig: the signed manifest digest" in f for f in found), found
    impostor = Signer.generate(Signer.parse(story.signer.skey).name)
    found = failures(pack_bundle(edited, CREATED, impostor), story.key)
    assert any(f.startswith("manifest.sig:") for f in found), found
    del files["manifest.sig"]
    found = failures(pack_bundle(files, CREATED), story.key)
    assert any("manifest.sig is missing" in f for f in found), found


def test_to_is_inclusive_and_originals_keep_their_extension(ledger: Ledger, tmp_path: Path) -> None:
    demo = record_demo(ledger)
    store = DocumentStore(ledger.storage)
    digest = store.put(
        b"From: sam\n\nOK", filename="original.EML", media_type="message/rfc822",
        project_id=demo.project_id, stored_by=PM,
    )  # fmt: skip
    store.close()
    at = datetime.fromisoformat("2026-11-30T10:00:00+00:00")
    call = ledger.record_interaction(
        PM, demo.project_id, channel="email", subject="Hosting", summary="Sam promises",
        from_address=SPONSOR, to=[PM], body_sha256=digest, occurred_at=at,
    ).id  # fmt: skip
    with open_integrity(ledger, tmp_path) as integrity:
        data = integrity.export_evidence(EvidenceScope.subject(call, end=at))
        key = integrity.public_key()
    files = unzip(data)
    assert f"documents/{digest}.eml" in files
    assert any(e["originator_id"] == str(call)
               for e in orjson.loads(files["bundle.json"])["events"])  # fmt: skip
    assert verify_bundle(data, key=key).ok


def test_verify_says_verified_only_against_a_pinned_key(story: Story, tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(story.bundle)
    fingerprint = story.signer.verifier.fingerprint
    runner = CliRunner()
    unpinned = runner.invoke(app, ["evidence", "verify", str(path)])
    assert unpinned.exit_code == 7, unpinned.output
    assert "VERIFIED" not in unpinned.output
    assert "intact and internally consistent" in unpinned.output
    assert fingerprint in unpinned.output
    pinned = runner.invoke(app, ["evidence", "verify", str(path), "--fingerprint", fingerprint])
    assert pinned.exit_code == 0, pinned.output
    assert "VERIFIED" in pinned.output
    wrong = runner.invoke(app, ["evidence", "verify", str(path), "--fingerprint", "00" * 32])
    assert wrong.exit_code == 1
    shown = runner.invoke(app, ["key", "show", "--key-file", str(tmp_path / "log.key")])
    assert shown.exit_code == 0
    assert fingerprint in shown.output
