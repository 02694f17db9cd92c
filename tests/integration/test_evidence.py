"""Evidence bundles on SQLite and PostgreSQL: what a scope selects (and never discloses), the
offline verifier, and every bundle tamper case: a changed byte in any file, a swapped proof, a
wrong key, an older checkpoint the verifier kept."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.integrity import (
    EvidenceNotFoundError,
    EvidenceScope,
    Integrity,
    Signer,
    verify_bundle,
)
from ledger.integrity.bundle_format import MANIFEST
from ledger.integrity.bundles import pack_bundle
from ledger.interchange.demo import DEV, PM, SPONSOR, record_demo
from ledger.service.application import Ledger
from ledger.storage.documents import DocumentStore
from tests.integration.integrity_support import open_integrity

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def decoded_events(data: bytes) -> list[dict[str, object]]:
    import orjson

    files = unzip(data)
    return [
        orjson.loads(content)
        for name, content in files.items()
        if name.startswith("events/") and name.endswith(".json") and ".state" not in name
    ]


def commitment_named(ledger: Ledger, statement: str) -> UUID:
    for n in ledger.recorder.select_notifications(start=1, limit=10_000):
        if n.topic.endswith("Commitment.Made") and statement.encode() in n.state:
            return n.originator_id
    raise LookupError(statement)


def second_project(ledger: Ledger) -> UUID:
    other = ledger.open_project("boss@other.test", name="Other", client_org="O", team_org="Acme").id
    ledger.add_member(
        "boss@other.test", other, email=SPONSOR, name="Sam", party="client", role="client_member"
    )
    ledger.make_commitment(
        "boss@other.test", other, promisor="boss@other.test", promisee=SPONSOR,
        statement="Secret deal of the other project",
    )  # fmt: skip
    return other


def test_demo_bundle_verifies_offline_with_only_the_bundle_and_the_key(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_demo(ledger)
    wireframes = commitment_named(ledger, "Deliver the revised wireframes")
    with open_integrity(ledger, tmp_path) as integrity:
        data = integrity.export_evidence(EvidenceScope.subject(wireframes))
        key = integrity.public_key()
    # A stranger's machine: the bundle and the key, no database reachable.
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "bundle.zip").write_bytes(data)
    (stranger / "key.txt").write_text(key + "\n")
    monkeypatch.chdir(stranger)
    monkeypatch.setenv("ACCORD_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    result = CliRunner().invoke(app, ["evidence", "verify", "bundle.zip", "--key", "key.txt"])
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output
    checked = verify_bundle(data, key=key)
    assert checked.ok
    assert not checked.warnings
    events = decoded_events(data)
    types = {e["type"] for e in events}
    # The commitment, its source (the kickoff minutes) and their acknowledgements; who is who.
    assert {"Commitment.Made", "Commitment.Acknowledged", "Commitment.FulfilmentAccepted"} <= types
    assert {"Meeting.MinutesRecorded", "AcknowledgementRequest.Acknowledged"} <= types
    assert {"Project.Opened", "Project.MemberAdded"} <= types
    files = unzip(data)
    assert b"good \xe2\x80\x94 both sides are on record" in files["report.html"]
    assert files["README.txt"].startswith(b"EVIDENCE BUNDLE")


def test_a_bundle_discloses_nothing_of_other_subjects_or_projects(
    ledger: Ledger, tmp_path: Path
) -> None:
    demo = record_demo(ledger)
    other = second_project(ledger)
    hosting = commitment_named(ledger, "Confirm the hosting provider")
    with open_integrity(ledger, tmp_path) as integrity:
        subject = integrity.export_evidence(EvidenceScope.subject(hosting))
        project = integrity.export_evidence(EvidenceScope.project(demo.project_id))
        person = integrity.export_evidence(
            EvidenceScope.for_person(SPONSOR, project_id=demo.project_id)
        )
        everywhere = integrity.export_evidence(EvidenceScope.for_person(SPONSOR))
        with pytest.raises(EvidenceNotFoundError):
            integrity.export_evidence(EvidenceScope.subject(hosting, project_id=other))
        with pytest.raises(EvidenceNotFoundError):
            integrity.export_evidence(EvidenceScope.subject(UUID(int=1)))
    demo_id = str(demo.project_id)
    for bundle in (subject, project, person):
        assert verify_bundle(bundle).ok
        assert b"Secret deal" not in bundle
        assert {e["fields"]["project_id"] for e in decoded_events(bundle)} == {demo_id}
    # The subject bundle: the hosting promise and the call it came from, and who is who.
    kinds = {e["type"] for e in decoded_events(subject)}
    assert kinds == {"Commitment.Made", "Interaction.Recorded", "Project.Opened",
                     "Project.MemberAdded"}  # fmt: skip
    assert b"wireframes" not in subject
    assert b"Beta release" not in subject
    members = [e for e in decoded_events(subject) if e["type"] == "Project.MemberAdded"]
    named = {e["fields"]["member"]["email"] for e in members}  # type: ignore[index]
    assert named == {PM, SPONSOR}  # not the developer, not the auditor
    assert DEV.encode() not in subject
    # The project bundle: every event of the project (the demo's 54), nothing else.
    assert len(decoded_events(project)) == 54
    # Across projects, a person's bundle holds their events of both.
    projects = {e["fields"]["project_id"] for e in decoded_events(everywhere)}
    assert projects == {demo_id, str(other)}


def test_the_time_window(ledger: Ledger, tmp_path: Path) -> None:
    demo = record_demo(ledger, now=datetime(2026, 3, 29, 12, tzinfo=UTC))
    with open_integrity(ledger, tmp_path) as integrity:
        start = datetime(2026, 3, 10, tzinfo=UTC)
        data = integrity.export_evidence(
            EvidenceScope.project(demo.project_id, start=start, end=start + timedelta(days=7))
        )
    for event in decoded_events(data):
        occurred = datetime.fromisoformat(event["fields"]["occurred_at"])  # type: ignore[index]
        if event["type"] not in ("Project.Opened", "Project.MemberAdded"):
            assert start <= occurred < start + timedelta(days=7)


@pytest.fixture
def bundle(ledger: Ledger, tmp_path: Path) -> tuple[bytes, Integrity, Ledger]:
    project_id = record_demo(ledger).project_id
    store = DocumentStore(ledger.storage)
    # Stored through the project (as an import does): the project holds it.
    digest = store.put(
        b"From: sam\n\nWe will confirm the hosting provider.", filename="m.eml",
        project_id=project_id, stored_by=PM,
    )  # fmt: skip
    store.close()
    call = ledger.record_interaction(
        PM, project_id, channel="email", subject="Hosting",
        summary="Sam promises", from_address=SPONSOR, to=[PM], body_sha256=digest,
    ).id  # fmt: skip
    integrity = open_integrity(ledger, tmp_path)
    data = integrity.export_evidence(EvidenceScope.subject(call), created_at=CREATED)
    assert f"documents/{digest}".encode() in data
    return data, integrity, ledger


def test_a_changed_byte_in_any_file_is_caught(bundle: tuple[bytes, Integrity, Ledger]) -> None:
    data, integrity, _ = bundle
    key = integrity.public_key()
    integrity.close()
    assert verify_bundle(data, key=key).ok
    files = unzip(data)
    assert {n.split("/")[0] for n in files} >= {"events", "proofs", "documents", "report.html"}
    for name, content in files.items():
        for offset in {0, len(content) // 2, len(content) - 2}:
            changed = bytearray(content)
            changed[offset] ^= 0x20
            altered = {**files, name: bytes(changed)}
            # As delivered: the manifest catches it.
            raw = _rezip(altered, keep_manifest=True)
            result = verify_bundle(raw, key=key)
            assert not result.ok, (name, offset)
            if name == MANIFEST:
                continue
            # With the manifest rewritten to match (anyone can): still caught.
            result = verify_bundle(_rezip(altered), key=key)
            assert not result.ok, (name, offset, "manifest rewritten")


def test_a_swapped_proof_is_caught(bundle: tuple[bytes, Integrity, Ledger]) -> None:
    data, integrity, _ = bundle
    key = integrity.public_key()
    integrity.close()
    files = unzip(data)
    proofs = sorted(n for n in files if n.startswith("proofs/"))
    a, b = proofs[1], proofs[2]
    swapped = {**files, a: files[b], b: files[a]}
    result = verify_bundle(_rezip(swapped), key=key)
    assert not result.ok
    assert any("proof" in f for f in result.failures)
    # Renumbered to look like the right event's proof: the path still leads elsewhere.
    import orjson

    forged = orjson.loads(files[b])
    genuine = orjson.loads(files[a])
    forged["position"], forged["leaf_hash"] = genuine["position"], genuine["leaf_hash"]
    result = verify_bundle(_rezip({**files, a: orjson.dumps(forged)}), key=key)
    assert any("inclusion proof fails" in f for f in result.failures), result.failures


def test_a_wrong_key_is_caught(bundle: tuple[bytes, Integrity, Ledger]) -> None:
    data, integrity, _ = bundle
    integrity.close()
    impostor = Signer.generate("accord.ledger/someone-else")
    result = verify_bundle(data, key=impostor.verifier.vkey)
    assert not result.ok
    assert any(f.startswith("key:") for f in result.failures)
    assert any(f.startswith("checkpoint.txt:") for f in result.failures)
    # The bundle's key replaced by the impostor's (and everything re-signed by them): the
    # verifier's own key still refuses it.
    files = unzip(data)
    files["public-key.txt"] = (impostor.verifier.vkey + "\n").encode()
    assert not verify_bundle(_rezip(files), key=integrity.public_key()).ok


def test_consistency_with_an_older_checkpoint_the_verifier_kept(
    ledger: Ledger, tmp_path: Path
) -> None:
    demo = record_demo(ledger)
    with open_integrity(ledger, tmp_path) as integrity:
        kept = integrity.make_checkpoint()  # the other side keeps this one
        ledger.record_interaction(
            PM, demo.project_id, channel="phone", subject="Later", summary="s", from_address=PM
        )
        scope = EvidenceScope.project(demo.project_id)
        data = integrity.export_evidence(scope, consistency_from=[kept.size])
        without = integrity.export_evidence(scope)
        key = integrity.public_key()
    older = verify_bundle(data, key=key, older_checkpoint=kept.note)
    assert older.ok, older.failures
    assert any("extends your checkpoint of size 54" in f for f in older.facts)
    missing = verify_bundle(without, key=key, older_checkpoint=kept.note)
    assert any("--consistency-from 54" in f for f in missing.failures)
    impostor = Signer.generate(Signer.parse(
        (tmp_path / "log.key").read_text()).name)  # fmt: skip
    forged = kept.note.replace(kept.note.split("\n")[2], "A" * 43 + "=")
    assert not verify_bundle(data, key=key, older_checkpoint=forged).ok
    from ledger.integrity.checkpoints import checkpoint_text
    from ledger.integrity.signing import sign_note

    rewritten = sign_note(checkpoint_text(impostor.name, kept.size, bytes(32)), impostor)
    assert not verify_bundle(data, key=key, older_checkpoint=rewritten).ok


def test_an_acknowledgement_witnesses_the_checkpoint_and_the_bundle_proves_it(
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
    with open_integrity(ledger, tmp_path) as integrity:
        seen = integrity.make_checkpoint()
        ledger.acknowledge(SPONSOR, project, request, comment="Agreed")
        ack = ledger.recorder.select_notifications(start=1, limit=100)[-1]
        assert b'"checkpoint_size":' + str(seen.size).encode() in ack.state
        assert seen.root_base64.encode() in ack.state
        ledger.record_interaction(
            PM, project, channel="phone", subject="Later", summary="s", from_address=PM
        )
        data = integrity.export_evidence(EvidenceScope.subject(promise))
        key = integrity.public_key()
        assert integrity.verify().witnessed == 1
    result = verify_bundle(data, key=key)
    assert result.ok, result.failures
    assert result.witnessed == 1
    assert any(f"saw (size {seen.size}) is a prefix" in f for f in result.facts)
    assert f"consistency/{seen.size}.json" in unzip(data)


def _rezip(files: dict[str, bytes], *, keep_manifest: bool = False) -> bytes:
    if not keep_manifest:
        return pack_bundle(files, CREATED)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
