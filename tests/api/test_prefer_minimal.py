"""``Prefer: return=minimal`` (RFC 7240) on command routes: ``{id, version, position}`` with the
same ETag, Location and Accord-Position as the full answer, and ``Preference-Applied``."""

from __future__ import annotations

from typing import Any

from api.prefer import prefers_minimal
from tests.api.conftest import CLIENT, TEAM, TM, Api

MINIMAL = {"Prefer": "return=minimal"}


def minimal(api: Api, path: str, body: Any = None, who: str = TEAM, status: int = 200) -> Any:
    response = api.post(path, body, who=who, headers=MINIMAL)
    assert response.status_code == status, response.json()
    answer = response.json()
    assert set(answer) == {"id", "version", "position"}
    assert response.headers["preference-applied"] == "return=minimal"
    assert response.headers["etag"] == f'"{answer["version"]}"'
    assert int(response.headers["accord-position"]) == answer["position"] > 0
    return answer


def test_minimal_answers_match_the_item_on_several_routes(api: Api) -> None:
    created = api.post(
        api.url("/commitments"),
        {"promisor": TEAM, "promisee": CLIENT, "statement": "Ship"},
        headers=MINIMAL,
    )
    assert created.status_code == 201
    c = created.json()
    assert set(c) == {"id", "version", "position"}
    assert created.headers["location"] == api.url(f"/commitments/{c['id']}")
    assert created.headers["preference-applied"] == "return=minimal"
    acked = minimal(api, api.url(f"/commitments/{c['id']}/acknowledge"))
    assert (acked["id"], acked["version"]) == (c["id"], c["version"] + 1)
    assert acked["position"] > c["position"]
    item = api.get(api.url(f"/commitments/{c['id']}"))
    assert item.headers["etag"] == f'"{acked["version"]}"'
    assert item.json()["acknowledged_by"] == [TEAM]

    risk = minimal(
        api,
        api.url("/risks"),
        {"description": "Vendor late", "probability": "high", "impact": "low", "owner": TEAM},
        status=201,
    )
    assessed = minimal(
        api, api.url(f"/risks/{risk['id']}/assess"), {"probability": "low", "impact": "low"}, who=TM
    )
    assert api.get(api.url(f"/risks/{risk['id']}")).json()["version"] == assessed["version"]

    issue = minimal(
        api,
        api.url("/issues"),
        {"kind": "problem", "title": "Down", "description": "500s", "severity": "high"},
        who=CLIENT,
        status=201,
    )
    minimal(api, api.url(f"/issues/{issue['id']}/responses"), {"response": "looking"})

    project = api.post(
        "/v1/projects",
        {"name": "Lean", "client_org": "C", "team_org": "T"},
        headers=MINIMAL,
    )
    assert project.status_code == 201
    assert project.headers["location"] == f"/v1/projects/{project.json()['id']}"
    assert set(project.json()) == {"id", "version", "position"}


def test_without_the_preference_the_item_is_read_back(api: Api) -> None:
    full = api.post(
        api.url("/commitments"),
        {"promisor": TEAM, "promisee": CLIENT, "statement": "Ship"},
        headers={"Prefer": "return=representation"},
    )
    assert full.status_code == 201
    assert full.json()["statement"] == "Ship"
    assert "preference-applied" not in full.headers


def test_refused_commands_are_problems_as_before(api: Api) -> None:
    response = api.post(
        api.url("/commitments"), {"promisor": TEAM, "statement": ""}, headers=MINIMAL
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_prefer_header_parsing() -> None:
    assert prefers_minimal([b"return=minimal"])
    assert prefers_minimal([b'respond-async, Return = "minimal"; foo=bar'])
    assert prefers_minimal([b"wait=10", b"return=minimal"])
    assert not prefers_minimal([b"return=representation"])
    assert not prefers_minimal([b"minimal"])
