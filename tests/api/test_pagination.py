"""Cursor pagination of the lists, and the item index behind them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import CLIENT, TEAM, TM, Api, make_settings


def make(api: Api, n: int) -> list[str]:
    return [
        str(
            api.ledger.make_commitment(
                TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement=f"c{i}"
            ).id
        )
        for i in range(n)
    ]


def pages(api: Api, path: str, limit: int) -> list[list[str]]:
    found: list[list[str]] = []
    cursor = None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(api.url(path + query)).json()
        found.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_pages_in_creation_order_without_gaps_or_repeats(api: Api) -> None:
    ids = make(api, 5)
    assert pages(api, "/commitments", 2) == [ids[:2], ids[2:4], ids[4:]]
    assert pages(api, "/commitments", 5) == [ids]
    assert pages(api, "/commitments", 200) == [ids]


def test_items_created_between_pages_appear_later(api: Api) -> None:
    ids = make(api, 3)
    first = api.get(api.url("/commitments?limit=2")).json()
    more = make(api, 2)
    rest = api.get(api.url(f"/commitments?limit=10&cursor={first['next_cursor']}")).json()
    assert [i["id"] for i in rest["items"]] == [ids[2], *more]


def test_items_made_as_a_side_effect_are_listed(api: Api) -> None:
    meeting = api.ledger.hold_meeting(TM, api.project_id, title="M", attendees=[TM, CLIENT]).id
    api.ledger.record_minutes(
        TM,
        api.project_id,
        meeting,
        action_items=[{"owner": TEAM, "description": "a"}, {"owner": TM, "description": "b"}],
    )
    listed = api.get(api.url("/commitments")).json()["items"]
    assert [c["statement"] for c in listed] == ["a", "b"]
    assert {c["source"]["id"] for c in listed} == {str(meeting)}


def test_the_index_rebuilds_from_the_log(api: Api, database_url: str) -> None:
    ids = make(api, 3)
    assert pages(api, "/commitments", 10) == [ids]
    services = api.client.app.state.services  # type: ignore[attr-defined]
    with services.db.transaction() as tx:
        for table in ("api_items", "api_members"):
            tx.execute(f"DELETE FROM {table}")
        tx.execute("UPDATE api_index_tracking SET position = 0")
    # Another process (another app on the same database) rebuilds it, exactly once.
    with TestClient(create_app(make_settings(database_url))) as other:
        response = other.get(api.url("/commitments"), headers=api.headers())
        assert [c["id"] for c in response.json()["items"]] == ids
    services.index._known = -1  # this process forgets what it saw
    assert pages(api, "/commitments", 10) == [ids]
    count = services.db.query("SELECT COUNT(*) FROM api_items WHERE kind = 'commitment'")[0][0]
    assert count == 3
