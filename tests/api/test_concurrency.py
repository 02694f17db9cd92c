"""ETag on every item read, If-Match on steps (412 when stale), lost races (409) — and neither
loses the other writer's event."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.service.application import Ledger
from tests.api.conftest import CLIENT, TEAM, Api


def make(api: Api) -> dict[str, Any]:
    body = {"promisor": TEAM, "promisee": CLIENT, "statement": "S"}
    response = api.post(api.url("/commitments"), body)
    assert response.status_code == 201
    item: dict[str, Any] = response.json()
    return item


def events_of(api: Api, item_id: str) -> list[str]:
    from uuid import UUID

    return [type(e).__name__ for e in api.ledger.events.get(UUID(item_id))]


def test_item_reads_carry_the_version_as_etag(api: Api) -> None:
    c = make(api)
    read = api.get(api.url(f"/commitments/{c['id']}"))
    assert read.headers["etag"] == '"1"'
    project = api.get(api.url())
    assert project.headers["etag"] == f'"{project.json()["version"]}"'


def test_if_match_current_version_takes_the_step(api: Api) -> None:
    c = make(api)
    path = api.url(f"/commitments/{c['id']}/acknowledge")
    response = api.post(path, who=TEAM, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    both = api.post(path, who=CLIENT, headers={"If-Match": response.headers["etag"]})
    assert both.status_code == 200


def test_a_stale_if_match_is_412_and_records_nothing(api: Api) -> None:
    c = make(api)
    api.post(api.url(f"/commitments/{c['id']}/acknowledge"), who=TEAM)  # now at version 2
    stale = api.post(
        api.url(f"/commitments/{c['id']}/acknowledge"), who=CLIENT, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["type"].endswith("/precondition-failed")
    assert events_of(api, c["id"]) == ["Made", "Acknowledged"]


@pytest.mark.parametrize(
    ("header", "status"),
    [("*", 200), ('W/"1"', 412), ('"one"', 412), ("1", 412), ('"1", "2"', 422)],
)
def test_if_match_forms(api: Api, header: str, status: int) -> None:
    c = make(api)
    response = api.post(
        api.url(f"/commitments/{c['id']}/acknowledge"), who=TEAM, headers={"If-Match": header}
    )
    assert response.status_code == status
    assert (response.status_code == 200) == (events_of(api, c["id"]) == ["Made", "Acknowledged"])


def test_if_match_on_a_project_step(api: Api) -> None:
    version = api.get(api.url()).json()["version"]
    body = {"email": "z@acme.test", "name": "Z", "party": "team", "role": "team_member"}
    stale = api.post(api.url("/members"), body, headers={"If-Match": f'"{version - 1}"'})
    assert stale.status_code == 412
    fresh = api.post(api.url("/members"), body, headers={"If-Match": f'"{version}"'})
    assert fresh.status_code == 200


def test_a_lost_race_is_409_and_keeps_the_winners_event(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process writes the item between this request's read and its save."""
    c = make(api)
    other = Ledger(database_url)  # the other process
    original = api.ledger.load_for_update

    def load_then_lose(*args: Any, **kwargs: Any) -> Any:
        item = original(*args, **kwargs)
        other.acknowledge_commitment(CLIENT, api.project_id, item.id)
        return item

    try:
        monkeypatch.setattr(api.ledger, "load_for_update", load_then_lose)
        lost = api.post(api.url(f"/commitments/{c['id']}/acknowledge"), who=TEAM)
        monkeypatch.undo()
        assert lost.status_code == 409
        assert lost.json()["type"].endswith("/conflict")
        assert events_of(api, c["id"]) == ["Made", "Acknowledged"]  # the winner's
        retry = api.post(api.url(f"/commitments/{c['id']}/acknowledge"), who=TEAM)
        assert retry.status_code == 200
        assert retry.json()["acknowledged_by"] == [CLIENT, TEAM]
    finally:
        other.close()
