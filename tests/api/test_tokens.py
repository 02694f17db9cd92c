"""Bearer tokens: issued by the CLI or the API, stored as digests only, revocable; the demo
prints tokens for its people and a curl line that works."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from ledger.interchange.demo import AUDITOR as DEMO_AUDITOR
from ledger.interchange.demo import PM as DEMO_PM
from ledger.interchange.demo import SPONSOR as DEMO_SPONSOR
from ledger.service.application import Ledger
from ledger.storage.sql import SqlDatabase
from tests.api.conftest import CLIENT, OUTSIDER, TM, Api, make_settings

runner = CliRunner()


def test_only_a_digest_is_stored(api: Api) -> None:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    issued = services.tokens.create("Someone@Acme.test", label="ci")
    assert issued.email == "someone@acme.test"
    rows = services.db.query("SELECT * FROM api_tokens WHERE token_id = ?", (issued.token_id,))
    assert issued.token not in repr(rows)
    assert hashlib.sha256(issued.token.encode()).hexdigest() in repr(rows)


def test_cli_creates_lists_and_revokes_tokens(database_url: str) -> None:
    created = runner.invoke(
        cli,
        ["token", "create", "--email", "ops@acme.test", "--admin", "--database-url", database_url],
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    assert token.startswith("acd_")
    ledger = Ledger(database_url)
    try:
        with TestClient(create_app(make_settings(database_url), ledger=ledger)) as client:
            me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["email"] == "ops@acme.test"
            assert me.json()["admin"] is True
            listed = runner.invoke(cli, ["token", "list", "--database-url", database_url])
            assert listed.exit_code == 0
            token_id = me.json()["token_id"]
            assert token_id[:10] in listed.stdout
            revoked = runner.invoke(
                cli, ["token", "revoke", token_id, "--database-url", database_url]
            )
            assert revoked.exit_code == 0, revoked.output
            gone = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert gone.status_code == 401
    finally:
        ledger.close()
    bad = runner.invoke(cli, ["token", "create", "--email", "nope", "--database-url", database_url])
    assert bad.exit_code == 2
    bad = runner.invoke(
        cli, ["token", "create", "--email", "x@y.com)", "--database-url", database_url]
    )
    assert bad.exit_code == 2
    assert "'x@y.com)' is not an email address" in bad.stderr


def test_api_tokens_for_yourself_others_need_admin(api: Api) -> None:
    me = api.get("/v1/me").json()
    assert (me["email"], me["admin"]) == (TM, False)
    mine = api.post("/v1/tokens", {"label": "integration"})
    assert mine.status_code == 201
    second = mine.json()["token"]
    assert (
        api.client.get("/v1/me", headers={"Authorization": f"Bearer {second}"}).json()["email"]
        == TM
    )
    assert api.post("/v1/tokens", {"email": CLIENT}).status_code == 403
    assert api.post("/v1/tokens", {"admin": True}).status_code == 403
    # Someone else's token is not found for you; your own is revoked.
    theirs = api.get("/v1/me", who=CLIENT).json()["token_id"]
    assert api.post(f"/v1/tokens/{theirs}/revoke").status_code == 404
    revoked = api.post(f"/v1/tokens/{mine.json()['token_id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert (
        api.client.get("/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    )

    services = api.client.app.state.services  # type: ignore[attr-defined]
    admin = services.tokens.create("root@acme.test", admin=True).token
    headers = {"Authorization": f"Bearer {admin}"}
    for typo in ("x@y)", "x@y.com)", "ops@acme.test;"):
        refused = api.client.post("/v1/tokens", json={"email": typo}, headers=headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "email"
        assert "is not an email address" in refused.json()["detail"]
    assert not [t for t in services.tokens.list() if t.email.endswith((")", ";"))]
    issued = api.client.post("/v1/tokens", json={"email": OUTSIDER}, headers=headers)
    assert issued.status_code == 201
    assert issued.json()["email"] == OUTSIDER
    assert api.client.post(f"/v1/tokens/{theirs}/revoke", headers=headers).status_code == 200


def test_the_demo_prints_working_tokens_and_stays_idempotent(database_url: str) -> None:
    first = runner.invoke(cli, ["demo", "--database-url", database_url])
    assert first.exit_code == 0, first.output
    ledger = Ledger(database_url)
    try:
        events = ledger.recorder.max_notification_id()
        second = runner.invoke(cli, ["demo", "--database-url", database_url])
        assert second.exit_code == 0, second.output
        assert ledger.recorder.max_notification_id() == events  # nothing recorded twice
        tokens_first = list(dict.fromkeys(re.findall(r"acd_[\w-]+", first.stdout)))
        tokens_second = re.findall(r"acd_[\w-]+", second.stdout)
        assert len(tokens_first) == 3  # project manager, client sponsor, auditor
        assert set(tokens_first).isdisjoint(tokens_second)
        curl = next(line for line in first.stdout.splitlines() if "curl" in line)
        url = re.search(r"http://127\.0\.0\.1:8000(\S+)", curl)
        assert url is not None
        with TestClient(create_app(make_settings(database_url), ledger=ledger)) as client:
            for token, person in zip(
                tokens_first, (DEMO_PM, DEMO_SPONSOR, DEMO_AUDITOR), strict=True
            ):
                me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
                assert me.json()["email"] == person  # earlier runs' tokens stay valid
            token = re.search(r"Bearer (acd_[\w-]+)", curl)
            assert token is not None
            response = client.get(
                url.group(1), headers={"Authorization": f"Bearer {token.group(1)}"}
            )
            assert response.status_code == 200
            assert len(response.json()["items"]) > 0
            # The printed calendar URL opens the client sponsor's feed, with no header.
            feed_url = re.search(
                r"http://127\.0\.0\.1:8000(\S+calendar\.ics\?token=acal_\S+)", first.stdout
            )
            assert feed_url is not None
            feed = client.get(feed_url.group(1))
            assert feed.status_code == 200
            assert feed.headers["content-type"].startswith("text/calendar")
            assert b"BEGIN:VEVENT" in feed.content
        db = SqlDatabase(ledger.storage)
        try:
            assert db.query("SELECT COUNT(*) FROM api_tokens WHERE label = 'demo'")[0][0] == 6
        finally:
            db.close()
    finally:
        ledger.close()
