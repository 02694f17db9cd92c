"""The event feed: JSON pages in position order, only readable projects; Server-Sent Events,
bounded and resumable with Last-Event-ID."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from ledger.service.application import Ledger
from tests.api.conftest import AUDITOR, CLIENT, OUTSIDER, TEAM, TM, Api, build_api, make_settings


def all_events(api: Api, who: str = TM, query: str = "", limit: int = 3) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    for _ in range(1000):
        page = api.get(f"/v1/events?after={after}&limit={limit}{query}", who=who).json()
        events += page["events"]
        after = page["next_after"]
        if page["at_end"]:
            return events
    raise AssertionError("the feed never reached its end")


def test_the_feed_pages_through_every_readable_event_in_order(api: Api) -> None:
    api.ledger.make_commitment(TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement="S")
    events = all_events(api)
    positions = [e["position"] for e in events]
    assert positions == sorted(set(positions))
    assert positions == list(range(1, len(positions) + 1))  # one project: every event
    assert events[0]["type"] == "Project.Opened"
    last = events[-1]
    assert last["type"] == "Commitment.Made"
    assert last["data"]["promisor"] == TEAM
    assert last["actor"] == TM
    assert last["item_version"] == 1
    assert last["occurred_at"].endswith("Z")


def test_only_projects_you_are_on(api: Api) -> None:
    theirs = api.ledger.open_project(OUTSIDER, name="Theirs", client_org="C", team_org="T").id
    api.ledger.record_decision(OUTSIDER, theirs, statement="secret", decided_by=[OUTSIDER])
    mine = {e["project_id"] for e in all_events(api)}
    assert mine == {str(api.project_id)}
    outsider = {e["project_id"] for e in all_events(api, who=OUTSIDER)}
    assert outsider == {str(theirs)}
    assert {e["project_id"] for e in all_events(api, who=AUDITOR)} == {str(api.project_id)}
    filtered = api.get(f"/v1/events?project_id={theirs}", who=TM)
    assert filtered.status_code == 404
    only = all_events(api, who=OUTSIDER, query=f"&project_id={theirs}")
    assert [e["type"] for e in only][-1] == "Decision.Recorded"


def test_removed_members_stop_reading(api: Api) -> None:
    assert all_events(api, who=CLIENT) != []
    api.ledger.remove_member(TM, api.project_id, email=CLIENT)
    assert all_events(api, who=CLIENT) == []


def test_a_page_scans_a_bounded_stretch_of_the_log(database_url: str) -> None:
    ledger = Ledger(database_url)
    try:
        settings = make_settings(database_url, feed_scan_limit=5)
        with TestClient(create_app(settings, ledger=ledger)) as client:
            api = build_api(client, ledger)
            other = ledger.open_project(OUTSIDER, name="Busy", client_org="C", team_org="T").id
            for i in range(12):
                ledger.record_decision(OUTSIDER, other, statement=f"d{i}", decided_by=[OUTSIDER])
            ledger.record_decision(TM, api.project_id, statement="mine", decided_by=[TM])
            own = 6  # the project's opening and its members
            first = api.get("/v1/events?after=0&limit=100").json()
            assert [e["position"] for e in first["events"]] == [1, 2, 3, 4, 5]
            assert not first["at_end"]
            skipped = api.get(f"/v1/events?after={own}&limit=100").json()
            assert skipped["events"] == []  # five positions of another project looked at
            assert skipped["next_after"] == own + 5
            assert not skipped["at_end"]
            events = all_events(api, limit=100)
            assert events[-1]["data"]["statement"] == "mine"
            assert all(e["project_id"] == str(api.project_id) for e in events)
    finally:
        ledger.close()


def test_decimals_stay_exact(api: Api) -> None:
    api.ledger.set_expectation(
        TM,
        api.project_id,
        kind="budget",
        title="B",
        value={"amount": "1250.10", "currency": "EUR"},
    )
    event = all_events(api)[-1]
    assert event["data"]["value"]["amount"] == "1250.10"


# --------------------------------------------------------------------------------- SSE


def parse_sse(text: str) -> list[dict[str, str]]:
    blocks = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":"):
                fields.setdefault("comment", line[1:].strip())
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if fields:
            blocks.append(fields)
    return blocks


def stream(api: Api, query: str = "", who: str = TM, **headers: str) -> list[dict[str, str]]:
    with api.client.stream(
        "GET", f"/v1/events/stream?max_seconds=0.3{query}", headers=api.headers(who, **headers)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse(response.read().decode())


def test_the_stream_sends_events_and_ends_by_itself(api: Api) -> None:
    started = time.monotonic()
    blocks = stream(api)
    assert time.monotonic() - started < 5
    assert blocks[0] == {"retry": "1000"}
    events = [b for b in blocks if "event" in b]
    assert [int(b["id"]) for b in events] == list(range(1, len(events) + 1))
    assert events[0]["event"] == "Project.Opened"


def test_the_stream_resumes_after_last_event_id(api: Api) -> None:
    first = [b for b in stream(api) if "event" in b]
    api.ledger.make_commitment(TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement="S")
    resumed = [b for b in stream(api, **{"Last-Event-ID": first[-1]["id"]}) if "event" in b]
    assert [b["event"] for b in resumed] == ["Commitment.Made"]
    assert int(resumed[0]["id"]) == int(first[-1]["id"]) + 1
    # Last-Event-ID wins over `after`.
    again = stream(api, "&after=0", **{"Last-Event-ID": resumed[0]["id"]})
    assert [b for b in again if "event" in b] == []


def test_the_stream_delivers_events_recorded_while_it_is_open(api: Api) -> None:
    got: list[dict[str, str]] = []
    after = api.ledger.recorder.max_notification_id()

    def follow() -> None:
        got.extend(stream(api, f"&after={after}&max_seconds=1.5"))

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.3)
    api.ledger.make_commitment(TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement="L")
    follower.join(timeout=10)
    assert [b["event"] for b in got if "event" in b] == ["Commitment.Made"]


def test_the_stream_moves_the_resume_point_past_other_projects(api: Api) -> None:
    other = api.ledger.open_project(OUTSIDER, name="Busy", client_org="C", team_org="T").id
    api.ledger.record_decision(OUTSIDER, other, statement="d", decided_by=[OUTSIDER])
    blocks = stream(api)
    top = api.ledger.recorder.max_notification_id()
    assert blocks[-1] == {"id": str(top)}  # a bare id: no event, only the resume point


def test_stream_refusals(api: Api) -> None:
    theirs = api.ledger.open_project(OUTSIDER, name="Theirs", client_org="C", team_org="T").id
    response = api.get(f"/v1/events/stream?project_id={theirs}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert api.client.get("/v1/events/stream").status_code == 401
    bad = api.get("/v1/events/stream", headers={"Last-Event-ID": "abc"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "Last-Event-ID"
