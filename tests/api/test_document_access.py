"""Naming a digest grants nothing: a document is served only to members of a project that
holds it (its bytes were stored through that project) and references it. Project A imports an
mbox; a member of project B (who is also in A's team: the same people) names A's digests in
every field of B that can carry one — and gets 404 every time, while A still gets the bytes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ledger.integrity.bundles import EvidenceScope
from tests.api.conftest import APPROVER, CLIENT, TEAM, TM, Api
from tests.api.test_imports_http import EML, upload


def _digests(api: Api) -> tuple[str, str]:
    """A body digest and an attachment digest that project A holds."""
    eml = EML / "03-attachments.eml"
    files = [("files", (eml.name, eml.read_bytes(), "message/rfc822"))]
    assert upload(api, "/imports/eml", files).status_code == 200
    items = api.get(api.url("/interactions?limit=50")).json()["items"]
    body = next(i["body_sha256"] for i in items if i["body_sha256"])
    attachment = next(a["sha256"] for i in items for a in i["attachments"])
    return body, attachment


def test_a_digest_named_in_another_project_grants_nothing(api: Api) -> None:
    body, attachment = _digests(api)
    b = api.new_project("B")

    def url(path: str) -> str:
        return api.url(path, project_id=b)

    def post(path: str, payload: dict[str, Any], who: str = TM) -> Any:
        response = api.post(url(path), payload, who=who)
        assert response.status_code in (200, 201), response.text
        return response.json()

    source = {"kind": "document", "sha256": body}
    post(
        "/interactions",
        {
            "channel": "email",
            "from_address": TM,
            "participants": [CLIENT],
            "subject": "Copy",
            "summary": "names A's digests",
            "body_sha256": body,
            "attachments": [{"name": "a.pdf", "sha256": attachment, "size": 1}],
        },
    )
    commitment = post(
        "/commitments", {"promisor": TM, "promisee": CLIENT, "statement": "X", "source": source}
    )
    post(f"/commitments/{commitment['id']}/fulfil", {"evidence": source})
    post("/decisions", {"statement": "D", "decided_by": [TM], "source": source})
    post(
        "/issues",
        {"kind": "question", "title": "Q", "description": "Why?", "source": source},
        who=CLIENT,
    )
    post(
        "/expectations",
        {
            "kind": "scope_item",
            "title": "S",
            "value": {"text": "the portal"},
            "agreed_by": [TM, APPROVER],
            "source": source,
        },
        who=APPROVER,
    )
    for digest in (body, attachment):
        assert api.get(url(f"/documents/{digest}")).status_code == 404
        assert api.get(url(f"/documents/{digest}"), who=TEAM).status_code == 404
        assert api.get(api.url(f"/documents/{digest}")).status_code == 200  # A holds it
    # An evidence bundle of B's commitment does not carry A's bytes either.
    services = api.client.app.state.services  # type: ignore[attr-defined]
    bundle = services.integrity.export_evidence(EvidenceScope.subject(UUID(commitment["id"])))
    assert f"documents/{body}".encode() not in bundle
