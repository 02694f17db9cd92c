"""Both sides of a dispute take its evidence: a client approver or member takes the bundle of a
subject they are party to; managers and auditors any subject of their project; nobody anything
of another project (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ledger.integrity.offline import verify_bundle
from ledger.interchange.demo import AUDITOR, CLIENT, DEV, PM, SPONSOR, record_demo
from ledger.service.application import Ledger
from tests.integration.test_evidence import unzip


@dataclass
class World:
    client: TestClient
    project: UUID
    other_project: UUID
    change: UUID  # approved by SPONSOR
    promise: UUID  # PM to CLIENT
    secret: UUID  # a commitment of the other project
    tokens: dict[str, str]

    def get(self, who: str, project: UUID, **params: str) -> tuple[int, bytes]:
        response = self.client.get(
            f"/v1/projects/{project}/evidence",
            params=params,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )
        return response.status_code, response.content


@pytest.fixture
def world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("ACCORD_KEY_FILE", str(tmp_path / "log.key"))
    ledger = Ledger(database_url)
    project = record_demo(ledger).project_id
    change = next(
        n.originator_id
        for n in ledger.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.endswith("ChangeRequest.Requested")
    )
    promise = ledger.make_commitment(
        PM, project, promisor=PM, promisee=CLIENT, statement="Send the invoice"
    ).id
    other = ledger.open_project("boss@other.test", name="Other", client_org="O", team_org="A").id
    ledger.add_member("boss@other.test", other, email=SPONSOR, name="Sam", party="client",
                      role="client_approver")  # fmt: skip
    secret = ledger.make_commitment(
        "boss@other.test", other, promisor="boss@other.test", promisee=SPONSOR,
        statement="Secret deal of the other project",
    ).id  # fmt: skip
    app = create_app(
        Settings(database_url=database_url, run_projections=False, checkpoint_seconds=0),
        ledger=ledger,
    )
    services = app.state.services
    people = (PM, DEV, SPONSOR, CLIENT, AUDITOR, "boss@other.test")
    tokens = {e: services.tokens.create(e).token for e in people}
    try:
        with TestClient(app) as client:
            yield World(client, project, other, change, promise, secret, tokens)
    finally:
        ledger.close()


def test_the_approver_takes_the_bundle_of_the_change_she_approved(world: World) -> None:
    status, data = world.get(SPONSOR, world.project, subject=str(world.change), lang="zh-Hans")
    assert status == 200
    key = world.client.get(
        "/v1/log/key", headers={"Authorization": f"Bearer {world.tokens[SPONSOR]}"}
    )
    result = verify_bundle(data, key=key.text)
    assert result.verified, result.failures
    assert key.headers["Accord-Key-Fingerprint"] == result.fingerprint
    assert orjson.loads(unzip(data)["bundle.json"])["language"] == "zh-Hans"
    # The promisee takes her promise; the client member is no party to the change.
    assert world.get(CLIENT, world.project, subject=str(world.promise))[0] == 200
    assert world.get(CLIENT, world.project, subject=str(world.change))[0] == 403
    assert world.get(DEV, world.project, subject=str(world.change))[0] == 403
    # Project and person bundles stay with managers and auditors.
    assert world.get(SPONSOR, world.project)[0] == 403
    assert world.get(SPONSOR, world.project, person=SPONSOR)[0] == 403
    assert world.get(AUDITOR, world.project, subject=str(world.change))[0] == 200
    assert world.get(PM, world.project, subject=str(world.promise))[0] == 200


def test_nothing_of_another_project_ever(world: World) -> None:
    # A subject of another project, asked for through one's own project: not found.
    for who in (PM, AUDITOR, SPONSOR):
        status, data = world.get(who, world.project, subject=str(world.secret))
        assert status == 404, who
        assert b"Secret deal" not in data
    # Another project's path, by a member of this one only: not found either.
    assert world.get(PM, world.other_project, subject=str(world.secret))[0] == 404
    assert world.get(AUDITOR, world.other_project)[0] == 404
    # SPONSOR is in both: each project's bundles hold that project's events only.
    status, data = world.get(SPONSOR, world.other_project, subject=str(world.secret))
    assert status == 200
    projects = {
        orjson.loads(content)["fields"]["project_id"]
        for name, content in unzip(data).items()
        if name.startswith("events/") and name.endswith(".json") and ".state" not in name
    }
    assert projects == {str(world.other_project)}
    status, data = world.get(PM, world.project)
    assert status == 200
    assert b"Secret deal" not in data


def test_to_is_inclusive(world: World) -> None:
    data = world.get(PM, world.project, subject=str(world.change))[1]
    index = orjson.loads(unzip(data)["bundle.json"])
    approval = next(e for e in index["events"] if e["topic"].endswith("Approved"))
    at = orjson.loads(unzip(data)[approval["decoded"]])["fields"]["occurred_at"]
    status, bounded = world.get(PM, world.project, subject=str(world.change), to=at)
    assert status == 200
    positions = [e["position"] for e in orjson.loads(unzip(bounded)["bundle.json"])["events"]]
    assert approval["position"] in positions
    before = (datetime.fromisoformat(at) - timedelta(microseconds=1)).isoformat()
    earlier = world.get(PM, world.project, subject=str(world.change), to=before)[1]
    positions = [e["position"] for e in orjson.loads(unzip(earlier)["bundle.json"])["events"]]
    assert approval["position"] not in positions
