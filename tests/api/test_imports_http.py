"""Imports over HTTP (multipart uploads) and the originals they keep, downloaded by digest
(SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.domain.interaction import interaction_id_for_source
from ledger.service.application import Ledger
from tests.api.conftest import AUDITOR, CLIENT, OUTSIDER, TEAM, TM, Api, build_api, make_settings

DATA = Path(__file__).resolve().parent.parent / "data"
MBOX = (DATA / "email" / "project.mbox").read_bytes()
EML = DATA / "email" / "eml"
MINUTES = DATA / "minutes"


def upload(api: Api, path: str, files: list[Any], who: str = TM, **headers: str) -> Any:
    return api.client.post(api.url(path), files=files, headers=api.headers(who, **headers))


def mbox_part(data: bytes = MBOX, name: str = "project.mbox") -> list[Any]:
    return [("file", (name, data, "application/mbox"))]


def minutes_text(title: str = "Design review") -> bytes:
    return (
        f"# {title}\n\nDate: 2026-03-05 10:00 Europe/Paris\nPlace: room 4\n"
        f"Attendees: {TM}, {CLIENT}, {TEAM}\n\n"
        "## Decisions\n- Two-step checkout. (decided by cl@client.test)\n\n"
        f"## Action items\n- [ ] @{TEAM} Send the estimate (due 2026-12-10)\n"
        f"- [ ] @{CLIENT} Confirm the budget\n"
    ).encode()


# ------------------------------------------------------------------------------ email


def test_an_mbox_upload_imports_every_message_and_keeps_the_originals(api: Api) -> None:
    response = upload(api, "/imports/mbox", mbox_part())
    assert response.status_code == 200, response.text
    summary = response.json()
    outcomes = [(r["where"], r["outcome"]) for r in summary["results"]]
    assert outcomes == [
        ("project.mbox #1", "imported"),
        ("project.mbox #2", "imported"),
        ("project.mbox #3", "imported"),
        ("project.mbox #4", "imported"),
        ("project.mbox #5", "duplicate"),
    ]
    assert (summary["messages"], summary["imported"], summary["duplicates"]) == (5, 4, 1)
    assert summary["replies_linked"] == 2
    assert summary["rejected"] == 0

    # Threads: the reply that came before its parent in the file is linked to it.
    root_id = interaction_id_for_source(api.project_id, "kickoff@mail.client.test")
    third_id = interaction_id_for_source(api.project_id, "kickoff-3@team.test")
    second_id = interaction_id_for_source(api.project_id, "kickoff-2@mail.client.test")
    third = api.get(api.url(f"/interactions/{third_id}")).json()
    assert third["in_reply_to"] == str(second_id)
    assert third["recorded_by"] == TM  # the credential's person, never the body's

    # The original, byte for byte, by its digest.
    root = api.get(api.url(f"/interactions/{root_id}")).json()
    digest = root["body_sha256"]
    original = api.get(api.url(f"/documents/{digest}"))
    assert original.status_code == 200
    assert hashlib.sha256(original.content).hexdigest() == digest
    assert original.content.startswith(b"From: sponsor@client.test\n")
    assert original.headers["content-type"].startswith("message/rfc822")
    assert original.headers["content-disposition"].startswith("attachment;")
    assert original.headers["x-content-type-options"] == "nosniff"
    # Any member may download it, auditors included; nobody else learns it exists.
    assert api.get(api.url(f"/documents/{digest}"), who=AUDITOR).content == original.content
    assert api.get(api.url(f"/documents/{digest}"), who=OUTSIDER).status_code == 404


def test_uploading_the_same_mbox_again_records_nothing(api: Api) -> None:
    assert upload(api, "/imports/mbox", mbox_part()).status_code == 200
    before = api.ledger.recorder.max_notification_id()
    again = upload(api, "/imports/mbox", mbox_part()).json()
    assert again["imported"] == 0
    assert again["duplicates"] == 5
    assert api.ledger.recorder.max_notification_id() == before


def test_eml_files_import_with_replies_linked_whatever_their_order(api: Api) -> None:
    names = ["12b-parent-after-reply.eml", "12a-reply-before-parent.eml", "03-attachments.eml"]
    # The reply is sent first: its parent comes later in the same request.
    files = [("files", (n, (EML / n).read_bytes(), "message/rfc822")) for n in reversed(names)]
    response = upload(api, "/imports/eml", files, who=TEAM)
    assert response.status_code == 200, response.text
    results = {r["where"]: r for r in response.json()["results"]}
    assert {r["outcome"] for r in results.values()} == {"imported"}
    reply = api.get(
        api.url(f"/interactions/{results['12a-reply-before-parent.eml']['interaction_id']}")
    ).json()
    assert reply["in_reply_to"] == results["12b-parent-after-reply.eml"]["interaction_id"]
    assert reply["recorded_by"] == TEAM

    # Attachments are kept too, and come back as stored.
    with_attachments = api.get(
        api.url(f"/interactions/{results['03-attachments.eml']['interaction_id']}")
    ).json()
    attachments = with_attachments["attachments"]
    assert [a["name"] for a in attachments] == ["part-1.png", "Offre révisée.pdf"]
    pdf = api.get(api.url(f"/documents/{attachments[1]['sha256']}"))
    assert pdf.content == (DATA / "email" / "expected-attachments" / "offre.pdf").read_bytes()
    assert "filename*=UTF-8''Offre%20r%C3%A9vis%C3%A9e.pdf" in pdf.headers["content-disposition"]


def test_a_message_that_cannot_be_read_is_rejected_alone(api: Api) -> None:
    files = [
        ("files", ("14-not-an-email.eml", (EML / "14-not-an-email.eml").read_bytes(), "x/y")),
        ("files", ("01-plain.eml", (EML / "01-plain.eml").read_bytes(), "message/rfc822")),
    ]
    body = upload(api, "/imports/eml", files).json()
    assert (body["imported"], body["rejected"]) == (1, 1)
    rejected = next(r for r in body["results"] if r["outcome"] == "rejected")
    assert rejected["where"] == "14-not-an-email.eml"
    assert rejected["reason"]
    assert rejected["interaction_id"] is None


def test_what_is_not_an_mbox_is_refused_naming_the_file(api: Api) -> None:
    before = api.ledger.recorder.max_notification_id()
    response = upload(api, "/imports/mbox", mbox_part(b"Subject: hello\n\nnot an mbox\n", "x"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "file"
    assert "not an mbox" in problem["detail"]
    assert api.ledger.recorder.max_notification_id() == before


def test_an_upload_without_its_file_is_a_validation_problem(api: Api) -> None:
    response = api.post(api.url("/imports/eml"), {"files": []})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "files"


def test_auditors_and_outsiders_may_not_import(api: Api) -> None:
    assert upload(api, "/imports/mbox", mbox_part(), who=AUDITOR).status_code == 403
    assert upload(api, "/imports/mbox", mbox_part(), who=OUTSIDER).status_code == 404
    assert api.client.post(api.url("/imports/mbox"), files=mbox_part()).status_code == 401


def test_a_documents_digest_of_another_project_is_not_found(api: Api) -> None:
    other = api.new_project("Other")
    assert upload(api, "/imports/mbox", mbox_part()).status_code == 200
    root_id = interaction_id_for_source(api.project_id, "kickoff@mail.client.test")
    digest = api.get(api.url(f"/interactions/{root_id}")).json()["body_sha256"]
    # The same people are members of the other project, which never referenced it.
    assert api.get(api.url(f"/documents/{digest}", project_id=other)).status_code == 404
    assert api.get(api.url("/documents/" + "0" * 64)).status_code == 404
    assert api.get(api.url("/documents/not-a-digest")).status_code == 422


def test_a_retried_upload_with_its_idempotency_key_gets_the_first_answer(api: Api) -> None:
    # The client encodes the upload again (a new multipart boundary): the same request.
    first = upload(api, "/imports/mbox", mbox_part(), **{"Idempotency-Key": "u-1"})
    retry = upload(api, "/imports/mbox", mbox_part(), **{"Idempotency-Key": "u-1"})
    assert first.status_code == retry.status_code == 200
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.json() == first.json()
    assert first.json()["imported"] == 4
    other = upload(api, "/imports/mbox", mbox_part(MBOX + b"\n"), **{"Idempotency-Key": "u-1"})
    assert other.status_code == 422


@pytest.fixture
def small_uploads_api(database_url: str) -> Iterator[Api]:
    ledger = Ledger(database_url)
    try:
        settings = make_settings(database_url, max_upload_bytes=2_000, max_body_bytes=500)
        with TestClient(create_app(settings, ledger=ledger)) as client:
            yield build_api(client, ledger)
    finally:
        ledger.close()


def test_uploads_have_their_own_size_limit(small_uploads_api: Api) -> None:
    api = small_uploads_api
    small = (EML / "01-plain.eml").read_bytes()
    assert 500 < len(small) < 1_900  # above the body limit, under the upload limit
    files = [("files", ("01-plain.eml", small, "message/rfc822"))]
    assert upload(api, "/imports/eml", files).status_code == 200
    too_big = upload(api, "/imports/mbox", mbox_part(MBOX * 3))
    assert too_big.status_code == 413
    assert "2000 bytes" in too_big.json()["detail"]
    # An upload that does not say its length up front is cut off as it streams.
    before = api.ledger.recorder.max_notification_id()

    def streamed() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.mbox"\r\n\r\n'
        for _ in range(10):
            yield MBOX
        yield b"\r\n--b--\r\n"

    cut = api.client.post(
        api.url("/imports/mbox"),
        content=streamed(),
        headers=api.headers(**{"Content-Type": "multipart/form-data; boundary=b"}),
    )
    assert cut.status_code == 413
    assert cut.headers["content-type"] == "application/problem+json"
    assert api.ledger.recorder.max_notification_id() == before
    # Other bodies keep the smaller limit.
    long_title = api.post(api.url("/decisions"), {"statement": "x" * 600, "decided_by": [TM]})
    assert long_title.status_code == 413


# ---------------------------------------------------------------------------- minutes


def test_minutes_upload_becomes_a_meeting_with_commitments(api: Api) -> None:
    data = minutes_text()
    response = upload(api, "/imports/minutes", [("file", ("review.md", data, "text/markdown"))])
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == api.url(f"/meetings/{body['meeting_id']}")
    assert body["document_sha256"] == hashlib.sha256(data).hexdigest()
    assert len(body["commitment_ids"]) == 2
    assert len(body["decision_ids"]) == 1
    assert body["already_imported"] is False

    meeting = api.get(response.headers["location"]).json()
    assert meeting["title"] == "Design review"
    commitment = api.get(api.url(f"/commitments/{body['commitment_ids'][0]}")).json()
    assert commitment["promisor"] == TEAM
    assert commitment["statement"] == "Send the estimate"
    # The file itself, by its digest.
    kept = api.get(api.url(f"/documents/{body['document_sha256']}"))
    assert kept.content == data

    again = upload(api, "/imports/minutes", [("file", ("copy.md", data, "text/markdown"))])
    assert again.status_code == 200
    assert again.json() == {**body, "already_imported": True}


def test_minutes_with_errors_are_refused_line_by_line(api: Api) -> None:
    before = api.ledger.recorder.max_notification_id()
    data = (MINUTES / "broken.md").read_bytes()
    response = upload(api, "/imports/minutes", [("file", ("broken.md", data, "text/markdown"))])
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "file"
    lines = [e["line"] for e in problem["errors"]]
    assert lines == sorted(lines)
    assert len(lines) >= 4
    assert all(e["field"] == "file" and e["message"] for e in problem["errors"])
    assert api.ledger.recorder.max_notification_id() == before


def test_minutes_naming_a_stranger_as_owner_name_the_line(api: Api) -> None:
    data = minutes_text().replace(f"@{TEAM}".encode(), b"@stranger@else.test")
    response = upload(api, "/imports/minutes", [("file", ("m.md", data, "text/markdown"))])
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["line"] == 11
    assert "stranger@else.test" in error["message"]


def test_the_document_index_survives_a_restart(database_url: str) -> None:
    """The documents a project references are derived from the log: a new process knows them."""
    ledger = Ledger(database_url)
    try:
        with TestClient(create_app(make_settings(database_url), ledger=ledger)) as client:
            api = build_api(client, ledger)
            body = upload(api, "/imports/mbox", mbox_part()).json()
            first = UUID(body["results"][0]["interaction_id"])
            digest = api.get(api.url(f"/interactions/{first}")).json()["body_sha256"]
        with TestClient(create_app(make_settings(database_url), ledger=ledger)) as client:
            token = client.app.state.services.tokens.create(TM).token  # type: ignore[attr-defined]
            response = client.get(
                f"/v1/projects/{api.project_id}/documents/{digest}",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200
            assert hashlib.sha256(response.content).hexdigest() == digest
    finally:
        ledger.close()


def test_a_reply_uploaded_before_its_parent_is_linked_when_the_parent_comes(api: Api) -> None:
    def send(name: str) -> dict[str, Any]:
        files = [("files", (name, (EML / name).read_bytes(), "message/rfc822"))]
        response = upload(api, "/imports/eml", files)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    reply = send("12a-reply-before-parent.eml")
    assert reply["replies_unlinked"] == 1
    reply_id = reply["results"][0]["interaction_id"]
    assert api.get(api.url(f"/interactions/{reply_id}")).json()["in_reply_to"] is None
    parent = send("12b-parent-after-reply.eml")
    assert parent["replies_relinked"] == 1
    parent_id = parent["results"][0]["interaction_id"]
    linked = api.get(api.url(f"/interactions/{reply_id}")).json()
    assert linked["in_reply_to"] == parent_id
    assert linked["version"] == 2  # a new event on the reply, recorded by the importer
    assert send("12b-parent-after-reply.eml")["replies_relinked"] == 0
