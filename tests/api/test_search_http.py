"""``GET /v1/projects/{id}/search`` over HTTP on both backends: members only, results never
cross projects, pages, filters, and a problem (never a 5xx) for any query string."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import CLIENT, OUTSIDER, TEAM, TM, Api


def record(api: Api, summary: str, project: Any = None, who: str = TM, to: str = CLIENT) -> int:
    response = api.post(
        api.url("/interactions", project),
        {
            "channel": "email",
            "subject": "Note",
            "summary": summary,
            "from_address": who,
            "to": [to],
        },
        who=who,
    )
    assert response.status_code == 201, response.text
    return int(response.headers["Accord-Position"])


def test_search_finds_pages_and_keeps_projects_apart(api: Api) -> None:
    other = api.new_project("Other")
    record(api, "The staging server is down; 单点登录 fails.")
    record(api, "Staging fixed by Bobby.", who=TEAM)
    last = record(api, "staging secret of the other project", project=other)
    found = api.get(api.url("/search"), params={"q": "staging", "wait_for": last}).json()
    assert len(found["items"]) == 2
    assert all("other project" not in h["snippet"] for h in found["items"])
    hit = api.get(api.url("/search"), params={"q": "单点"}).json()["items"][0]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "单点"
    assert set(hit["people"]) == {TM, CLIENT}
    # Pages of one.
    first = api.get(api.url("/search"), params={"q": "staging", "limit": 1}).json()
    second = api.get(
        api.url("/search"), params={"q": "staging", "limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert second["next_cursor"] is None
    assert {first["items"][0]["position"], second["items"][0]["position"]} == {
        h["position"] for h in found["items"]
    }
    # A person filter and the newest first.
    by_team = api.get(api.url("/search"), params={"q": "staging", "person": TEAM}).json()
    assert [h["snippet"] for h in by_team["items"]] == ["Note Staging fixed by Bobby."]
    newest = api.get(api.url("/search"), params={"q": "staging", "order": "newest"}).json()
    assert newest["items"][0]["snippet"] == "Note Staging fixed by Bobby."
    # The other project sees only its own.
    theirs = api.get(api.url("/search", other), params={"q": "staging"}).json()["items"]
    assert [h["snippet"] for h in theirs] == ["Note staging secret of the other project"]


def test_members_only(api: Api) -> None:
    response = api.get(api.url("/search"), who=OUTSIDER, params={"q": "staging"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert api.client.get(api.url("/search"), params={"q": "x"}).status_code == 401


def test_bad_queries_are_problems_naming_the_parameter(api: Api) -> None:
    record(api, "anything")
    for params, field in (
        ({"q": "NOT staging"}, "q"),
        ({"q": "!!!"}, "q"),
        ({"q": "a*"}, "q"),
        ({"q": "x", "cursor": "nonsense"}, "cursor"),
        ({"q": "x", "kind": "Spaceship"}, "kind"),
    ):
        response = api.get(api.url("/search"), params=params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text
    missing = api.get(api.url("/search"))
    assert missing.status_code == 422
    for hostile in ('"', "'; DROP TABLE documents; --", "x <-> y:*", "NEAR(a b)", "((((", "\\"):
        response = api.get(api.url("/search"), params={"q": hostile})
        assert response.status_code in (200, 422), response.text
