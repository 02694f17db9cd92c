"""The calendar feed with its calendar tokens, and exports, over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar

from ledger.interchange.exports import read_csv
from tests.api.conftest import APPROVER, AUDITOR, CLIENT, OUTSIDER, TEAM, TM, Api

DUE = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def issue_token(api: Api, who: str = CLIENT, **body: Any) -> dict[str, Any]:
    response = api.post(api.url("/calendar-tokens"), body, who=who)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def summaries(data: bytes) -> dict[str, str]:
    """UID → SUMMARY of the feed's events."""
    calendar = Calendar.from_ical(data)
    return {str(e["uid"]): str(e["summary"]) for e in calendar.walk("VEVENT")}


# ---------------------------------------------------------------------------- calendar


def test_a_calendar_token_opens_its_persons_feed_without_headers(api: Api) -> None:
    owed = api.ledger.make_commitment(
        TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement="Send the plan", due_at=DUE
    ).id
    not_theirs = api.ledger.make_commitment(
        TM, api.project_id, promisor=TEAM, promisee=TM, statement="Internal", due_at=DUE
    ).id
    issued = issue_token(api, label="phone")
    assert issued["person"] == CLIENT
    assert issued["token"].startswith("acal_")
    assert issued["url"].endswith(
        f"/v1/projects/{api.project_id}/calendar.ics?token={issued['token']}"
    )
    assert issued["webcal_url"].startswith("webcal://")

    # A calendar app sends no Authorization header.
    feed = api.client.get(path_of(issued["url"]))
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.headers["referrer-policy"] == "no-referrer"
    events = summaries(feed.content)
    assert events[f"commitment-{owed}@accord"] == "Due to you: Send the plan"
    assert f"commitment-{not_theirs}@accord" not in events

    # Unchanged: 304 to a calendar that sends the ETag back; changed: a new feed.
    etag = feed.headers["etag"]
    unchanged = api.client.get(path_of(issued["url"]), headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    api.ledger.fulfil_commitment(TEAM, api.project_id, owed)
    changed = api.client.get(path_of(issued["url"]), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert f"commitment-{owed}@accord" not in summaries(changed.content)


def test_a_calendar_token_opens_nothing_else(api: Api) -> None:
    token = issue_token(api)["token"]
    as_bearer = api.client.get(api.url(""), headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401
    other = api.new_project("Other")
    wrong_project = api.client.get(api.url(f"/calendar.ics?token={token}", project_id=other))
    assert wrong_project.status_code == 401
    assert api.client.get(api.url("/calendar.ics?token=acal_nonsense")).status_code == 401
    assert api.client.get(api.url("/calendar.ics")).status_code == 401


def test_revoking_a_calendar_token_stops_its_feed_at_once(api: Api) -> None:
    issued = issue_token(api)
    assert api.client.get(path_of(issued["url"])).status_code == 200
    revoked = api.post(api.url(f"/calendar-tokens/{issued['token_id']}/revoke"), who=CLIENT)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = api.client.get(path_of(issued["url"]))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    # Revoking again changes nothing; the list still shows it, revoked.
    again = api.post(api.url(f"/calendar-tokens/{issued['token_id']}/revoke"), who=CLIENT)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    listed = api.get(api.url("/calendar-tokens"), who=CLIENT).json()["tokens"]
    assert [(t["token_id"], t["revoked_at"] is not None) for t in listed] == [
        (issued["token_id"], True)
    ]
    assert "token" not in listed[0]


def test_leaving_the_project_stops_the_feed(api: Api) -> None:
    issued = issue_token(api, who=APPROVER)
    assert api.client.get(path_of(issued["url"])).status_code == 200
    api.ledger.remove_member(TM, api.project_id, email=APPROVER, reason="left")
    assert api.client.get(path_of(issued["url"])).status_code == 404


def test_team_managers_issue_tokens_for_members_others_only_for_themselves(api: Api) -> None:
    for_client = issue_token(api, who=TM, person=CLIENT)
    assert (for_client["person"], for_client["created_by"]) == (CLIENT, TM)
    assert api.client.get(path_of(for_client["url"])).status_code == 200
    refused = api.post(api.url("/calendar-tokens"), {"person": TM}, who=CLIENT)
    assert refused.status_code == 403
    stranger = api.post(api.url("/calendar-tokens"), {"person": OUTSIDER}, who=TM)
    assert stranger.status_code == 422
    assert stranger.json()["field"] == "person"
    # An auditor's feed only reads: auditors may have one too.
    assert issue_token(api, who=AUDITOR)["person"] == AUDITOR
    # A team manager sees every member's tokens; a member only their own.
    everyone = {t["person"] for t in api.get(api.url("/calendar-tokens")).json()["tokens"]}
    assert everyone == {CLIENT, AUDITOR}
    own = api.get(api.url("/calendar-tokens"), who=AUDITOR).json()["tokens"]
    assert {t["person"] for t in own} == {AUDITOR}
    # ...and may not revoke another's (it is not theirs to see).
    theirs = api.post(api.url(f"/calendar-tokens/{for_client['token_id']}/revoke"), who=AUDITOR)
    assert theirs.status_code == 404


def test_a_bearer_token_reads_your_own_feed(api: Api) -> None:
    api.ledger.make_commitment(
        TM, api.project_id, promisor=TM, promisee=CLIENT, statement="Kick-off deck", due_at=DUE
    )
    feed = api.get(api.url("/calendar.ics"))
    assert feed.status_code == 200
    assert "Due: Kick-off deck" in summaries(feed.content).values()
    assert api.get(api.url("/calendar.ics"), who=OUTSIDER).status_code == 404


# ----------------------------------------------------------------------------- exports


def test_export_events_as_jsonl_has_every_event_of_the_project(api: Api) -> None:
    api.ledger.make_commitment(TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement="S")
    response = api.get(api.url("/export?view=events&format=jsonl"), who=AUDITOR)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jsonl")
    rows = [json.loads(line) for line in response.content.splitlines()]
    listed = api.get(f"/v1/events?project_id={api.project_id}&limit=200").json()["events"]
    assert [r["position"] for r in rows] == [e["position"] for e in listed]
    assert int(response.headers["accord-export-rows"]) == len(rows)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="portal-events-')
    assert disposition.endswith('.jsonl"')


def test_export_commitments_as_csv_round_trips(api: Api) -> None:
    statement = '=SUM(A1) "quoted", with a comma and é'
    made = api.ledger.make_commitment(
        TM, api.project_id, promisor=TEAM, promisee=CLIENT, statement=statement, due_at=DUE
    ).id
    response = api.get(api.url("/export?view=commitments&format=csv"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets look for
    rows = read_csv(response.content)
    row = next(r for r in rows if r["id"] == str(made))
    assert row["statement"] == statement
    assert row["promisor"] == TEAM
    assert datetime.fromisoformat(row["due_at"]) == DUE


def test_export_of_the_projections_views_includes_what_was_just_recorded(api: Api) -> None:
    issue = api.post(
        api.url("/issues"), {"kind": "question", "title": "Which PSP?", "description": "d"}
    )
    assert issue.status_code == 201
    open_items = api.get(api.url("/export?view=open-items&format=jsonl"))
    assert open_items.status_code == 200
    rows = [json.loads(line) for line in open_items.content.splitlines()]
    assert issue.json()["id"] in {r["id"] for r in rows}
    audit = read_csv(api.get(api.url("/export?view=audit&format=csv")).content)
    assert audit[-1]["subject_id"] == issue.json()["id"]
    assert audit[-1]["actor"] == TM


def test_export_refuses_what_it_does_not_know(api: Api) -> None:
    unknown = api.get(api.url("/export?view=secrets"))
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "view"
    assert api.get(api.url("/export?format=xlsx")).json()["field"] == "format"
    assert api.get(api.url("/export"), who=OUTSIDER).status_code == 404
