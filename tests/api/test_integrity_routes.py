"""The log over HTTP: checkpoint, key, proofs that verify with the pure functions, and an
evidence bundle that verifies offline — for the people allowed to get it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ledger.integrity import merkle
from ledger.integrity.offline import verify_bundle
from ledger.interchange.demo import AUDITOR, CLIENT, PM, record_demo
from ledger.service.application import Ledger


@pytest.fixture
def setup(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    monkeypatch.setenv("ACCORD_KEY_FILE", str(tmp_path / "log.key"))
    ledger = Ledger(database_url)
    project = str(record_demo(ledger).project_id)
    app = create_app(
        Settings(database_url=database_url, run_projections=False, checkpoint_seconds=0),
        ledger=ledger,
    )
    services = app.state.services
    tokens = {e: services.tokens.create(e).token for e in (PM, AUDITOR, CLIENT, "x@else.example")}
    try:
        with TestClient(app) as client:
            services.integrity.make_checkpoint()
            yield client, project, tokens
    finally:
        ledger.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_checkpoint_key_and_proofs(setup: tuple[TestClient, str, dict[str, str]]) -> None:
    client, _, tokens = setup
    note = client.get("/v1/log/checkpoint", headers=auth(tokens[CLIENT]))
    assert note.status_code == 200
    _origin, size_line, root_line = note.text.splitlines()[:3]
    size, root = int(size_line), base64.b64decode(root_line)
    assert client.get(f"/v1/log/checkpoints/{size}", headers=auth(tokens[CLIENT])).text == note.text
    assert "+" in client.get("/v1/log/key", headers=auth(tokens[CLIENT])).text

    proof = client.get(
        "/v1/log/proofs/inclusion", params={"position": 5}, headers=auth(tokens[CLIENT])
    ).json()
    merkle.verify_inclusion(
        base64.b64decode(proof["leaf_hash"]),
        proof["leaf_index"],
        size,
        [base64.b64decode(h) for h in proof["path"]],
        root,
    )
    stranger = client.get(
        "/v1/log/proofs/inclusion", params={"position": 5}, headers=auth(tokens["x@else.example"])
    )
    assert stranger.status_code == 404

    consistency = client.get(
        "/v1/log/proofs/consistency", params={"old_size": 10}, headers=auth(tokens[CLIENT])
    ).json()
    merkle.verify_consistency(
        10,
        size,
        base64.b64decode(consistency["old_root"]),
        root,
        [base64.b64decode(h) for h in consistency["path"]],
    )


def test_evidence_bundle_for_auditors_only(
    setup: tuple[TestClient, str, dict[str, str]], tmp_path: Path
) -> None:
    client, project, tokens = setup
    refused = client.get(f"/v1/projects/{project}/evidence", headers=auth(tokens[CLIENT]))
    assert refused.status_code == 403
    bundle = client.get(
        f"/v1/projects/{project}/evidence", params={"person": CLIENT}, headers=auth(tokens[AUDITOR])
    )
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "application/zip"
    path = tmp_path / "b.zip"
    path.write_bytes(bundle.content)
    key = client.get("/v1/log/key", headers=auth(tokens[AUDITOR])).text
    assert verify_bundle(path, key=key).ok
