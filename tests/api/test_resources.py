"""Every resource's endpoints over HTTP: create, read, list, and each lifecycle step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import APPROVER, AUDITOR, CLIENT, TEAM, TM, Api

SOON = (datetime.now(UTC) + timedelta(days=7)).isoformat()
LATER = (datetime.now(UTC) + timedelta(days=14)).isoformat()


def created(api: Api, path: str, body: dict[str, Any], who: str = TM) -> dict[str, Any]:
    response = api.post(api.url(path), body, who=who)
    assert response.status_code == 201, response.json()
    item: dict[str, Any] = response.json()
    assert response.headers["location"] == api.url(f"{path}/{item['id']}")
    assert response.headers["etag"] == f'"{item["version"]}"'
    read = api.get(api.url(f"{path}/{item['id']}"), who=AUDITOR)
    assert read.status_code == 200
    assert read.json() == item
    return item


def step(api: Api, path: str, body: dict[str, Any] | None = None, who: str = TM) -> Any:
    response = api.post(api.url(path), body, who=who)
    assert response.status_code == 200, response.json()
    item = response.json()
    assert response.headers["etag"] == f'"{item["version"]}"'
    assert int(response.headers["accord-position"]) > 0
    return item


def listed(api: Api, path: str) -> list[str]:
    response = api.get(api.url(path), who=AUDITOR)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["items"]]


def test_commitments_whole_lifecycle(api: Api) -> None:
    c = created(
        api,
        "/commitments",
        {"promisor": TEAM, "promisee": CLIENT, "statement": "Ship the beta", "due_at": SOON},
    )
    assert c["state"] == "open"
    assert c["overdue"] is False
    path = f"/commitments/{c['id']}"
    assert step(api, f"{path}/acknowledge", who=TEAM)["acknowledged_by"] == [TEAM]
    step(api, f"{path}/acknowledge", {}, who=CLIENT)
    proposed = step(api, f"{path}/renegotiation", {"reason": "scope", "due_at": LATER}, who=TEAM)
    assert proposed["proposal"]["proposed_by"] == TEAM
    agreed = step(api, f"{path}/renegotiation/agree", who=CLIENT)
    assert agreed["proposal"] is None
    assert agreed["due_at"].startswith(LATER[:16])
    step(api, f"{path}/renegotiation", {"reason": "sooner", "statement": "Ship it"}, who=CLIENT)
    declined = step(api, f"{path}/renegotiation/decline", {"reason": "no"}, who=TEAM)
    assert declined["statement"] == "Ship the beta"
    step(api, f"{path}/fulfil", {"note": "done"}, who=TEAM)
    assert step(api, f"{path}/fulfilment/dispute", {"reason": "bugs"}, who=CLIENT)["state"] == (
        "fulfilment_disputed"
    )
    step(api, f"{path}/fulfil", who=TEAM)
    assert step(api, f"{path}/fulfilment/accept", who=CLIENT)["state"] == "accepted"

    w = created(api, "/commitments", {"promisor": TEAM, "promisee": CLIENT, "statement": "W"})
    assert step(api, f"/commitments/{w['id']}/withdraw", {"reason": "no"}, who=TEAM)["state"] == (
        "withdrawn"
    )
    r = created(api, "/commitments", {"promisor": TEAM, "promisee": CLIENT, "statement": "R"})
    assert step(api, f"/commitments/{r['id']}/release", {"reason": "ok"}, who=CLIENT)["state"] == (
        "released"
    )
    assert listed(api, "/commitments") == [c["id"], w["id"], r["id"]]


def test_overdue_is_derived_when_read(api: Api) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    c = created(
        api,
        "/commitments",
        {"promisor": TEAM, "promisee": CLIENT, "statement": "Late", "due_at": past},
    )
    assert c["overdue"] is True


def test_interactions_record_import_correct_retract(api: Api) -> None:
    i = created(
        api,
        "/interactions",
        {
            "channel": "email",
            "subject": "Kickoff",
            "from_address": CLIENT,
            "to": [TM],
            "source_ref": "<abc@mail.test>",
            "attachments": [{"name": "plan.pdf", "sha256": "a" * 64, "size": 12}],
        },
    )
    assert i["recorded_by"] == TM
    again = api.post(
        api.url("/interactions"),
        {
            "channel": "email",
            "subject": "Kickoff",
            "from_address": CLIENT,
            "source_ref": "abc@mail.test",
        },
    )
    assert again.status_code == 201
    assert again.json()["id"] == i["id"]
    assert again.headers["accord-position"] == "0"

    imported = api.post(
        api.url("/interactions/import"),
        {
            "items": [
                {"channel": "phone", "summary": "Call", "from_address": TM},
                {
                    "channel": "email",
                    "subject": "Re",
                    "from_address": TM,
                    "source_ref": "abc@mail.test",
                },
                {
                    "channel": "im",
                    "summary": "ping",
                    "from_address": CLIENT,
                    "idempotency_key": "k1",
                },
            ]
        },
    )
    assert imported.status_code == 200, imported.json()
    results = imported.json()["items"]
    assert results[1] == {"id": i["id"], "version": 1, "position": 0}
    assert results[0]["position"] > 0

    path = f"/interactions/{i['id']}"
    corrected = step(api, f"{path}/correct", {"changes": {"subject": "Kick-off"}, "reason": "typo"})
    assert (corrected["subject"], corrected["corrections"]) == ("Kick-off", 1)
    assert step(api, f"{path}/retract", {"reason": "wrong project"})["retracted"] is True
    assert listed(api, "/interactions") == [i["id"], results[0]["id"], results[2]["id"]]


def test_meetings_minutes_circulate_amend(api: Api) -> None:
    m = created(
        api,
        "/meetings",
        {"title": "Kickoff", "attendees": [TM, CLIENT], "agenda": ["scope"], "place": "Room 1"},
    )
    path = f"/meetings/{m['id']}"
    minutes = step(
        api,
        f"{path}/minutes",
        {
            "discussion_points": ["scope"],
            "decisions": ["weekly calls"],
            "action_items": [{"owner": TEAM, "description": "Send the plan", "due_at": SOON}],
        },
    )
    item = minutes["action_items"][0]
    assert item["promisee"] == CLIENT  # the first attendee of the other side
    commitment = api.get(api.url(f"/commitments/{item['commitment_id']}")).json()
    assert commitment["source"]["id"] == m["id"]
    circulated = step(
        api, f"{path}/minutes/circulate", {"to": [CLIENT, APPROVER], "acknowledge_by": SOON}
    )
    assert circulated["circulated_to"] == [CLIENT, APPROVER]
    requests = api.get(api.url("/acknowledgement-requests")).json()["items"]
    assert {(r["person"], r["subject_kind"]) for r in requests} == {
        (CLIENT, "minutes"),
        (APPROVER, "minutes"),
    }
    amended = step(
        api, f"{path}/minutes/amend", {"reason": "missed one", "decisions": ["calls", "demo"]}
    )
    assert amended["decisions"] == ["calls", "demo"]
    assert amended["minutes_version"] == amended["version"]
    assert listed(api, "/meetings") == [m["id"]]


def test_expectations_revise_withdraw_and_deliveries(api: Api) -> None:
    milestone = created(
        api,
        "/expectations",
        {
            "kind": "milestone",
            "title": "Beta",
            "value": {"date": "2026-12-01"},
            "agreed_by": [TM, CLIENT],
        },
    )
    assert milestone["state"] == "proposed"
    assert milestone["proposal"]["awaiting"] == [CLIENT]
    path = f"/expectations/{milestone['id']}"
    agreed = step(api, f"{path}/agree", {"proposal_version": 1}, who=CLIENT)
    assert (agreed["state"], agreed["proposal"], agreed["agreed_by"]) == (
        "active",
        None,
        [TM, CLIENT],
    )
    proposed = step(
        api,
        f"{path}/revise",
        {"value": {"date": "2026-12-15"}, "agreed_by": [TM, APPROVER], "reason": "holidays"},
    )
    assert proposed["value"]["date"] == "2026-12-01"  # not before the approver agrees
    assert proposed["proposal"]["value"]["date"] == "2026-12-15"
    revised = step(api, f"{path}/agree", {"proposal_version": proposed["version"]}, who=APPROVER)
    assert revised["value"]["date"] == "2026-12-15"
    one_sided = api.post(
        api.url(f"{path}/revise"),
        {"value": {"date": "2026-12-20"}, "agreed_by": [TM], "reason": "x"},
    )
    assert one_sided.status_code == 422
    assert one_sided.json()["field"] == "agreed_by"

    step(api, f"{path}/delivery", {"note": "deployed"}, who=TEAM)
    assert step(api, f"{path}/delivery/reject", {"reason": "broken"}, who=CLIENT)["delivery"] == (
        "rejected"
    )
    step(api, f"{path}/delivery", who=TEAM)
    assert step(api, f"{path}/delivery/accept", who=APPROVER)["delivery"] == "accepted"

    budget = created(
        api,
        "/expectations",
        {"kind": "budget", "title": "Budget", "value": {"amount": "1250.50", "currency": "EUR"}},
    )
    assert budget["value"]["amount"] == "1250.50"
    assert budget["state"] == "active"  # nobody else named: in the baseline at once
    proposed = step(
        api,
        f"/expectations/{budget['id']}/withdraw",
        {"agreed_by": [TM, CLIENT], "reason": "fixed price"},
    )
    assert proposed["state"] == "active"
    withdrawn = step(
        api,
        f"/expectations/{budget['id']}/agree",
        {"proposal_version": proposed["version"]},
        who=CLIENT,
    )
    assert withdrawn["state"] == "withdrawn"
    assert listed(api, "/expectations") == [milestone["id"], budget["id"]]


def test_change_requests_from_request_to_implemented(api: Api) -> None:
    beta = created(
        api,
        "/expectations",
        {"kind": "milestone", "title": "Beta", "value": {"date": "2026-12-01"}},
    )
    cr = created(
        api,
        "/change-requests",
        {"title": "SSO", "description": "Log in with SSO", "affected_expectations": [beta["id"]]},
        who=CLIENT,
    )
    assert (cr["state"], cr["requesting_party"]) == ("requested", "client")
    path = f"/change-requests/{cr['id']}"
    assessed = step(
        api,
        f"{path}/assess",
        {
            "scope_impact": "one more login path",
            "schedule_delta_days": 14,
            "cost_delta": {"amount": "3000", "currency": "EUR"},
            "revisions": [{"expectation_id": beta["id"], "value": {"date": "2026-12-15"}}],
        },
        who=TEAM,
    )
    assert assessed["cost_delta"] == {"amount": "3000", "currency": "EUR"}
    approved = step(api, f"{path}/approve", {"conditions": "no more changes"}, who=APPROVER)
    assert approved["state"] == "approved"
    beta_now = api.get(api.url(f"/expectations/{beta['id']}")).json()
    assert beta_now["value"]["date"] == "2026-12-15"
    assert beta_now["change_request_ids"] == [cr["id"]]
    assert step(api, f"{path}/implemented", {"note": "live"}, who=TEAM)["state"] == "implemented"

    rejected = created(api, "/change-requests", {"title": "A", "description": "a"}, who=CLIENT)
    assert (
        step(api, f"/change-requests/{rejected['id']}/reject", {"reason": "no"}, who=APPROVER)[
            "state"
        ]
        == "rejected"
    )
    withdrawn = created(api, "/change-requests", {"title": "B", "description": "b"}, who=CLIENT)
    assert (
        step(api, f"/change-requests/{withdrawn['id']}/withdraw", {"reason": "x"}, who=CLIENT)[
            "state"
        ]
        == "withdrawn"
    )
    missing = api.post(
        api.url("/change-requests"),
        {"title": "C", "description": "c", "affected_expectations": [cr["id"]]},
    )
    assert missing.status_code == 422
    assert missing.json()["field"] == "affected_expectations"
    assert listed(api, "/change-requests") == [cr["id"], rejected["id"], withdrawn["id"]]


def test_acknowledgement_requests_acknowledge_dispute_withdraw(api: Api) -> None:
    c = created(api, "/commitments", {"promisor": TEAM, "promisee": CLIENT, "statement": "S"})
    ask = {"subject_kind": "commitment", "subject_id": c["id"], "person": CLIENT, "due_at": SOON}
    request = created(api, "/acknowledgement-requests", ask)
    again = api.post(api.url("/acknowledgement-requests"), ask)
    assert again.json()["id"] == request["id"]
    assert again.headers["accord-position"] == "0"
    path = f"/acknowledgement-requests/{request['id']}"
    done = step(api, f"{path}/acknowledge", {"comment": "yes"}, who=CLIENT)
    assert done["state"] == "acknowledged"

    second = created(
        api,
        "/acknowledgement-requests",
        {"subject_kind": "commitment", "subject_id": c["id"], "person": APPROVER},
    )
    disputed = step(
        api,
        f"/acknowledgement-requests/{second['id']}/dispute",
        {"reason": "wrong date", "proposed_correction": "Friday"},
        who=APPROVER,
    )
    assert disputed["state"] == "disputed"
    third = created(
        api,
        "/acknowledgement-requests",
        {"subject_kind": "commitment", "subject_id": c["id"], "person": TEAM},
    )
    withdrawn = step(api, f"/acknowledgement-requests/{third['id']}/withdraw", {"reason": "dup"})
    assert withdrawn["state"] == "withdrawn"
    assert listed(api, "/acknowledgement-requests") == [request["id"], second["id"], third["id"]]


def test_issues_whole_lifecycle(api: Api) -> None:
    issue = created(
        api,
        "/issues",
        {"kind": "problem", "title": "Staging down", "description": "500s", "severity": "high"},
        who=CLIENT,
    )
    assert (issue["raised_by"], issue["raiser_party"]) == (CLIENT, "client")
    path = f"/issues/{issue['id']}"
    step(api, f"{path}/responses", {"response": "looking"}, who=TEAM)
    proposed = step(
        api,
        f"{path}/solution-options",
        {
            "options": [
                {"id": "A", "description": "restart", "time_days": 0},
                {"id": "B", "description": "migrate", "cost": {"amount": "500", "currency": "EUR"}},
            ]
        },
        who=TEAM,
    )
    assert [o["id"] for o in proposed["options"]] == ["A", "B"]
    assert step(api, f"{path}/solution", {"option_id": "B"}, who=CLIENT)["chosen_option_id"] == "B"
    assert (
        step(api, f"{path}/progress", {"note": "half", "percent_complete": 50}, who=TEAM)[
            "percent_complete"
        ]
        == 50
    )
    step(api, f"{path}/resolve", {"resolution": "migrated"}, who=TEAM)
    step(api, f"{path}/resolution/dispute", {"reason": "still slow"}, who=CLIENT)
    step(api, f"{path}/resolve", {"resolution": "tuned"}, who=TEAM)
    assert step(api, f"{path}/resolution/confirm", who=CLIENT)["state"] == "confirmed"
    assert step(api, f"{path}/reopen", {"reason": "back"}, who=CLIENT)["state"] == "in_progress"
    assert listed(api, "/issues") == [issue["id"]]


def test_decisions_record_and_supersede(api: Api) -> None:
    first = created(
        api,
        "/decisions",
        {"statement": "Postgres", "decided_by": [TM, APPROVER], "options_considered": ["A", "B"]},
    )
    second = created(api, "/decisions", {"statement": "SQLite", "decided_by": [TM]})
    superseded = step(
        api,
        f"/decisions/{first['id']}/supersede",
        {"by_decision_id": second["id"], "reason": "simpler"},
    )
    assert (superseded["state"], superseded["superseded_by"]) == ("superseded", second["id"])
    unknown = api.post(
        api.url(f"/decisions/{second['id']}/supersede"),
        {"by_decision_id": first["id"].replace(first["id"][:8], "00000000"), "reason": "x"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "by_decision_id"
    assert listed(api, "/decisions") == [first["id"], second["id"]]


def test_risks_assess_respond_materialise_close(api: Api) -> None:
    risk = created(
        api,
        "/risks",
        {"description": "Key dev leaves", "probability": "low", "impact": "high", "owner": TEAM},
    )
    path = f"/risks/{risk['id']}"
    assert (
        step(api, f"{path}/assess", {"probability": "medium", "impact": "high"})["probability"]
        == "medium"
    )
    planned = step(api, f"{path}/response", {"strategy": "mitigate", "plan": "pair programming"})
    assert (planned["strategy"], planned["response_owner"]) == ("mitigate", TEAM)
    materialised = step(api, f"{path}/materialise", {"issue_severity": "critical"})
    issue = api.get(api.url(f"/issues/{materialised['issue_id']}")).json()
    assert (issue["kind"], issue["severity"]) == ("problem", "critical")

    other = created(
        api,
        "/risks",
        {"description": "Vendor late", "probability": "high", "impact": "low", "owner": TM},
    )
    assert step(api, f"/risks/{other['id']}/close", {"reason": "vendor delivered"})["state"] == (
        "closed"
    )
    assert listed(api, "/risks") == [risk["id"], other["id"]]


def test_status_reports_issue_and_correct(api: Api) -> None:
    report = created(
        api,
        "/status-reports",
        {
            "period_start": "2026-03-02",
            "period_end": "2026-03-08",
            "to": [CLIENT, APPROVER],
            "progress": ["login page"],
            "acknowledge_by": SOON,
        },
    )
    requests = api.get(api.url("/acknowledgement-requests")).json()["items"]
    assert {r["person"] for r in requests if r["subject_id"] == report["id"]} == {
        CLIENT,
        APPROVER,
    }
    corrected = step(
        api,
        f"/status-reports/{report['id']}/correct",
        {"changes": {"problems": ["flaky CI"]}, "reason": "forgot"},
    )
    assert (corrected["problems"], corrected["corrections"]) == (["flaky CI"], 1)
    assert listed(api, "/status-reports") == [report["id"]]
