"""Every error is an RFC 9457 problem: type, title, status, detail (and the offending field for
validation errors); limits answer 413/422; malformed input never gets a 500 or a trace."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CLIENT, TEAM, TM, Api

GOOD = {"promisor": TEAM, "promisee": CLIENT, "statement": "S"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://accord.dev/problems/")
    assert body["title"]
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


def test_authentication_problems(api: Api) -> None:
    url = api.url("/commitments")
    missing = api.client.get(url)
    assert problem(missing, 401)["type"].endswith("/unauthenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    problem(api.client.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    problem(api.client.get(url, headers={"Authorization": "Bearer acd_nothing"}), 401)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    issued = services.tokens.create("gone@acme.test")
    services.tokens.revoke(issued.token_id)
    problem(api.client.get("/v1/me", headers={"Authorization": f"Bearer {issued.token}"}), 401)


def test_unknown_routes_and_methods(api: Api) -> None:
    problem(api.get("/v1/nothing-here"), 404)
    problem(api.client.delete(api.url(), headers=api.headers()), 405)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "surprise": 1}, "surprise"),
        ({k: v for k, v in GOOD.items() if k != "statement"}, "statement"),
        ({**GOOD, "statement": "x" * 10_001}, "statement"),
        ({**GOOD, "statement": "bell\x07"}, "statement"),
        ({**GOOD, "statement": "nul\x00"}, "statement"),
        ({**GOOD, "promisor": 12}, "promisor"),
        ({**GOOD, "due_at": "2026-03-01T10:00:00"}, "due_at"),  # no timezone
        ({**GOOD, "due_at": "tomorrow"}, "due_at"),
        ({**GOOD, "source": {"kind": "rumour"}}, "source.kind"),
        ({**GOOD, "source": {"kind": "document", "sha256": "xyz"}}, "source.sha256"),
        ([GOOD], "body"),
        ("text", "body"),
    ],
)
def test_validation_problems_name_the_field(api: Api, body: Any, field: str) -> None:
    response = api.post(api.url("/commitments"), body)
    found = problem(response, 422)
    assert found["field"] == field
    assert found["type"].endswith("/validation")
    assert found["errors"][0]["field"] == field


def test_domain_input_problems_name_the_field(api: Api) -> None:
    future = api.post(api.url("/commitments"), {**GOOD, "occurred_at": "2999-01-01T00:00:00Z"})
    assert problem(future, 422)["field"] == "occurred_at"
    same = api.post(api.url("/commitments"), {**GOOD, "promisee": TEAM})
    assert problem(same, 422)["field"] == "promisee"
    stranger = api.post(api.url("/commitments"), {**GOOD, "attributed_to": "who@else.test"})
    assert problem(stranger, 422)["field"] == "attributed_to"
    not_email = api.post(api.url("/commitments"), {**GOOD, "promisor": "not an email"})
    assert problem(not_email, 422)["field"] == "promisor"


def test_malformed_json_and_content(api: Api) -> None:
    headers = {**api.headers(), "Content-Type": "application/json"}
    bad = api.client.post(api.url("/commitments"), content=b'{"promisor": ', headers=headers)
    assert problem(bad, 400)["field"] == "body"  # docs/api.md: malformed JSON is 400
    deep = b"[" * 100_000 + b"]" * 100_000
    assert api.client.post(api.url("/commitments"), content=deep, headers=headers).status_code in (
        400,
        422,
    )
    form = api.client.post(
        api.url("/commitments"), content=b"a=b", headers={**api.headers(), "Content-Type": "x"}
    )
    problem(form, 415)


def test_limits(api: Api) -> None:
    big = api.post(api.url("/commitments"), {**GOOD, "statement": "x" * (2 << 20)})
    assert problem(big, 413)["type"].endswith("/payload-too-large")

    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65_536

    json_type = {"Content-Type": "application/json"}
    streamed = api.client.post(
        api.url("/commitments"), content=chunks(), headers={**api.headers(), **json_type}
    )
    problem(streamed, 413)
    many = api.post(api.url("/meetings"), {"title": "M", "attendees": [TM] * 201})
    assert problem(many, 422)["field"] == "attendees"
    lying = api.client.post(
        api.url("/commitments"),
        content=b"{}",
        headers={**api.headers(), **json_type, "Content-Length": "x1"},
    )
    assert lying.status_code in (400, 422)
    huge = api.post(api.url("/issues"), {"kind": "problem", "title": "t", "description": "d"})
    issue = huge.json()["id"]
    too_big = api.post(
        api.url(f"/issues/{issue}/progress"), {"note": "n", "percent_complete": 10**30}
    )
    assert problem(too_big, 422)["field"] == "percent_complete"


def test_path_query_and_header_problems(api: Api) -> None:
    # An id that is not a UUID names no item: 404, like any unknown path.
    assert problem(api.get(api.url("/commitments/not-a-uuid")), 404)["type"].endswith("not-found")
    problem(api.get("/v1/projects/nope"), 404)
    assert problem(api.get(api.url("/commitments?cursor=zzz")), 422)["field"] == "cursor"
    assert problem(api.get(api.url("/commitments?limit=0")), 422)["field"] == "limit"
    assert problem(api.get(api.url("/commitments?limit=x")), 422)["field"] == "limit"
    assert problem(api.get("/v1/events?after=-1"), 422)["field"] == "after"


def test_state_problems(api: Api) -> None:
    c = api.post(api.url("/commitments"), GOOD).json()
    accept = api.post(api.url(f"/commitments/{c['id']}/fulfilment/accept"), who=CLIENT)
    assert problem(accept, 409)["type"].endswith("/invalid-transition")
    not_mine = api.post(api.url(f"/commitments/{c['id']}/fulfil"), who=CLIENT)
    assert problem(not_mine, 403)["type"].endswith("/forbidden")
    elsewhere = api.new_project()
    assert problem(api.get(api.url(f"/commitments/{c['id']}", project_id=elsewhere)), 404)


def test_unexpected_errors_are_500_without_details(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = api.post(api.url("/commitments"), GOOD).json()

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.ledger, "get_commitment", broken)
    with TestClient(api.client.app, raise_server_exceptions=False) as client:
        response = client.get(api.url(f"/commitments/{c['id']}"), headers=api.headers())
    body = problem(response, 500)
    assert "secret" not in response.text
    assert body["type"].endswith("/internal")


def test_a_nul_in_the_path_or_a_query_parameter_is_refused_naming_it(api: Api) -> None:
    """PostgreSQL cannot compare text with NUL: without the guard these were server errors."""
    for param in ("person", "type", "subject"):
        response = api.get(api.url(f"/audit?limit=5&{param}=a%00b"))
        assert problem(response, 422)["detail"] == f"{param}: must not contain NUL (%00)"
    assert problem(api.get(api.url("/members/a%00b@x.test")), 422)["detail"].startswith("path:")
    # "%00" as text is fine (here in an address: a filter names a person by a real address)
    assert api.get(api.url("/audit?person=a%2500b%40acme.test")).status_code == 200


@pytest.mark.parametrize("typo", ["x@y)", "x@y.com)", "a(b)@client.test"])
def test_a_mistyped_member_or_delegate_is_refused_and_nothing_is_stored(
    api: Api, typo: str
) -> None:
    version = api.ledger.get_project(api.project_id).version
    member = {"email": typo, "name": "X", "party": "client", "role": "client_member"}
    added = api.post(api.url("/members"), member)
    assert problem(added, 422)["field"] == "email"
    named = api.post(api.url("/delegates"), {"delegate": typo}, who=CLIENT)
    assert problem(named, 422)["field"] == "delegate"
    assert f"{typo!r} is not an email address" in named.json()["detail"]
    assert api.ledger.get_project(api.project_id).version == version


@pytest.mark.parametrize("typo", ["x@y)", "alice", "pm@acme.test;"])
def test_a_person_filter_that_is_not_an_address_is_refused_naming_it(api: Api, typo: str) -> None:
    """A typo in a filter used to match nothing (an empty timeline, an empty evidence bundle);
    it is refused by the ledger's one address check, naming ``person``."""
    for path, params in (
        ("/audit", {"person": typo}),
        ("/audit/commitments", {"person": typo}),
        ("/search", {"q": "anything", "person": typo}),
        ("/evidence", {"person": typo}),
    ):
        body = problem(api.get(api.url(path), params=params), 422)
        assert body["field"] == "person", path
        assert f"{typo!r} is not an email address" in body["detail"], path
    assert api.get(api.url("/audit"), params={"person": " TM@Acme.test "}).status_code == 200
