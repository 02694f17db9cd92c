"""Projects and members over HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.api.conftest import APPROVER, AUDITOR, CLIENT, OUTSIDER, TEAM, TM, Api


def test_open_a_project_and_read_it_back(api: Api) -> None:
    response = api.post(
        "/v1/projects",
        {"name": "Intranet", "client_org": "Globex", "team_org": "Acme", "actor_name": "Tia"},
        who=TEAM,
    )
    assert response.status_code == 201
    project = response.json()
    assert response.headers["location"] == f"/v1/projects/{project['id']}"
    assert response.headers["etag"] == '"2"'
    assert int(response.headers["accord-position"]) > 0
    assert project["members"] == [
        {"email": TEAM, "name": "Tia", "party": "team", "role": "team_manager"}
    ]
    read = api.get(f"/v1/projects/{project['id']}", who=TEAM)
    assert read.status_code == 200
    assert read.json() == project
    assert read.headers["etag"] == '"2"'


def test_a_project_is_404_to_anyone_who_is_not_a_member(api: Api) -> None:
    response = api.get(api.url(), who=OUTSIDER)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    missing = api.get(api.url(project_id=UUID(int=7)))
    assert missing.status_code == 404
    assert response.json()["title"] == missing.json()["title"]
    # Writing is no different.
    assert api.post(api.url("/close"), {"summary": "x"}, who=OUTSIDER).status_code == 404


def test_list_my_projects_is_paginated_and_only_mine(api: Api) -> None:
    for i in range(3):
        api.new_project(f"P{i}")
    api.ledger.open_project(OUTSIDER, name="Theirs", client_org="C", team_org="T")
    page = api.get("/v1/projects?limit=2").json()
    assert [p["name"] for p in page["items"]] == ["Portal", "P0"]
    rest = api.get(f"/v1/projects?limit=2&cursor={page['next_cursor']}").json()
    assert [p["name"] for p in rest["items"]] == ["P1", "P2"]
    assert rest["next_cursor"] is None
    theirs = api.get("/v1/projects", who=OUTSIDER).json()["items"]
    assert [p["name"] for p in theirs] == ["Theirs"]


def test_members_list_get_add_change_remove(api: Api) -> None:
    members = api.get(api.url("/members?limit=2"), who=AUDITOR).json()
    assert [m["email"] for m in members["items"]] == [APPROVER, AUDITOR]
    more = api.get(api.url(f"/members?limit=10&cursor={members['next_cursor']}")).json()
    assert [m["email"] for m in more["items"]] == [CLIENT, TEAM, TM]
    assert more["next_cursor"] is None

    one = api.get(api.url(f"/members/{CLIENT}"))
    assert one.status_code == 200
    assert one.json()["role"] == "client_member"
    assert one.headers["etag"] == f'"{api.ledger.get_project(api.project_id).version}"'
    assert api.get(api.url("/members/nobody@x.test")).status_code == 404

    added = api.post(
        api.url("/members"),
        {"email": "New@Client.test", "name": "Nia", "party": "client", "role": "client_member"},
    )
    assert added.status_code == 200
    assert "new@client.test" in [m["email"] for m in added.json()["members"]]
    changed = api.post(api.url("/members/new@client.test/role"), {"role": "client_approver"})
    assert changed.status_code == 200
    roles = {m["email"]: m["role"] for m in changed.json()["members"]}
    assert roles["new@client.test"] == "client_approver"
    removed = api.post(api.url("/members/new@client.test/remove"), {"reason": "left"})
    assert removed.status_code == 200
    assert "new@client.test" not in [m["email"] for m in removed.json()["members"]]
    assert api.post(api.url("/members/nobody@x.test/remove")).status_code == 404
    wrong_side = api.post(
        api.url("/members"),
        {"email": "x@acme.test", "name": "X", "party": "team", "role": "client_approver"},
    )
    assert wrong_side.status_code == 422
    assert wrong_side.json()["field"] == "role"


def test_key_contacts_plan_and_closing(api: Api) -> None:
    contact = api.post(api.url("/key-contacts"), {"email": APPROVER, "area": "approvals"})
    assert contact.status_code == 200
    assert contact.json()["key_contacts"] == [{"area": "approvals", "email": APPROVER}]
    not_member = api.post(api.url("/key-contacts"), {"email": OUTSIDER, "area": "billing"})
    assert not_member.status_code == 422
    assert not_member.json()["field"] == "email"

    plan = api.post(
        api.url("/communication-plan"),
        {
            "channels": [{"channel": "email", "purpose": "formal notices"}],
            "cadences": [{"kind": "weekly_report", "every": "P7D", "owner": TM}],
        },
    )
    assert plan.status_code == 200
    assert plan.json()["cadences"][0]["every"] == "P7D"
    bad = api.post(
        api.url("/communication-plan"),
        {"channels": [], "cadences": [{"kind": "weekly", "every": "weekly", "owner": TM}]},
    )
    assert bad.status_code == 422
    assert bad.json()["field"].startswith("cadences[0]")

    closed = api.post(api.url("/close"), {"summary": "Delivered", "lessons_learned": "More demos"})
    assert closed.status_code == 200
    assert closed.json()["closed"] is True
    after = api.post(
        api.url("/commitments"), {"promisor": TM, "promisee": CLIENT, "statement": "x"}
    )
    assert after.status_code == 409
    assert after.json()["type"].endswith("/project-closed")
    # Still readable.
    assert api.get(api.url(), who=AUDITOR).status_code == 200


def test_project_steps_belong_to_team_managers(api: Api) -> None:
    response = api.post(api.url("/close"), {"summary": "x"}, who=TEAM)
    assert response.status_code == 403
    assert api.post(api.url("/close"), {"summary": "x"}, who=AUDITOR).status_code == 403


def test_a_command_reads_the_project_once_and_never_a_stale_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The membership check's project serves the command of the same request (one read of the
    project's new events, not two); the next request reads it again, so a member removed in
    between is refused."""
    recorder = api.ledger.recorder
    real = recorder.select_events
    reads: list[object] = []

    def counting(originator_id: object, *args: Any, **kwargs: Any) -> Any:
        if originator_id == api.project_id:
            reads.append(originator_id)
        return real(originator_id, *args, **kwargs)

    monkeypatch.setattr(recorder, "select_events", counting)
    body = {"kind": "question", "title": "Which PSP?", "description": "d"}
    assert api.post(api.url("/issues"), body, who=CLIENT).status_code == 201
    assert len(reads) == 1

    api.ledger.remove_member(TM, api.project_id, email=CLIENT, reason="left")
    assert api.post(api.url("/issues"), body, who=CLIENT).status_code == 404
    # A change to the project in a request is seen by the rest of that request.
    added = api.post(
        api.url("/members"),
        {"email": "new@client.test", "name": "New", "party": "client", "role": "client_member"},
    )
    assert added.status_code == 200
    assert "new@client.test" in {m["email"] for m in added.json()["members"]}
    assert added.headers["etag"] == f'"{api.ledger.get_project(api.project_id).version}"'
