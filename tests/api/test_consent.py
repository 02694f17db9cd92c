"""Consent belongs to its owner, over HTTP: the team cannot approve a change "as" the client's
approver (the milestone does not move), a promisor cannot accept their own fulfilment "as" the
promisee; the person themself can, and so can a delegate they named with their own token."""

from __future__ import annotations

from uuid import UUID

from tests.api.conftest import APPROVER, CLIENT, TEAM, TM, Api
from tests.api.test_roles import change_request, commitment


def test_the_team_cannot_approve_as_the_clients_approver(api: Api) -> None:
    cr = change_request(api, "assessed")
    path = api.url(f"/change-requests/{cr}/approve")
    for who in (TM, TEAM, CLIENT):
        refused = api.post(path, {"attributed_to": APPROVER}, who=who)
        assert refused.status_code == 403, refused.text
        assert f"consent of {APPROVER}" in refused.json()["detail"]
        assert "acknowledgement request" in refused.json()["detail"]
    assert api.get(api.url(f"/change-requests/{cr}")).json()["state"] == "assessed"
    # The approver names a colleague (with their own token); the colleague may then.
    named = api.post(api.url("/delegates"), {"delegate": CLIENT}, who=APPROVER)
    assert named.status_code == 200, named.text
    assert named.json()["delegations"] == [{"member": APPROVER, "delegates": [CLIENT]}]
    approved = api.post(path, {"attributed_to": APPROVER}, who=CLIENT)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"


def test_a_promisor_cannot_accept_their_own_fulfilment_as_the_promisee(api: Api) -> None:
    c = commitment(api, "fulfilled")  # TEAM promised CLIENT
    for step, body in (("accept", {}), ("dispute", {"reason": "not done"})):
        path = api.url(f"/commitments/{c}/fulfilment/{step}")
        refused = api.post(path, {**body, "attributed_to": CLIENT}, who=TEAM)
        assert refused.status_code == 403, refused.text
    assert api.get(api.url(f"/commitments/{c}")).json()["state"] == "fulfilled"
    accepted = api.post(api.url(f"/commitments/{c}/fulfilment/accept"), {}, who=CLIENT)
    assert accepted.status_code == 200, accepted.text


def test_a_delegate_is_named_only_in_person(api: Api) -> None:
    refused = api.post(api.url("/delegates"), {"delegate": CLIENT, "attributed_to": APPROVER})
    assert refused.status_code == 422  # no attributed_to on this step
    other_side = api.post(api.url("/delegates"), {"delegate": TM}, who=APPROVER)
    assert other_side.status_code == 422
    assert other_side.json()["field"] == "delegate"


def test_naming_the_client_in_agreed_by_is_not_their_agreement(api: Api) -> None:
    beta = api.post(
        api.url("/expectations"),
        {"kind": "milestone", "title": "Beta", "value": {"date": "2026-12-01"}},
        who=TM,
    ).json()
    path = api.url(f"/expectations/{beta['id']}")
    proposed = api.post(
        f"{path}/revise",
        {"value": {"date": "2027-01-15"}, "agreed_by": [APPROVER], "reason": "heard on the phone"},
        who=TEAM,
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["value"]["date"] == "2026-12-01"
    assert proposed.json()["proposal"]["awaiting"] == [APPROVER]
    version = proposed.json()["proposal"]["version"]
    baseline = api.get(
        api.url("/expectations/baseline") + "?wait_for=" + proposed.headers["accord-position"]
    )
    (entry,) = baseline.json()["items"]
    assert entry["value"] == {"date": "2026-12-01"}
    assert entry["awaiting_agreement"]["awaiting"] == [APPROVER]
    # Nobody agrees "as" the approver: 403 naming the field that asked for it.
    for who in (TM, TEAM, CLIENT):
        refused = api.post(
            f"{path}/agree", {"proposal_version": version, "attributed_to": APPROVER}, who=who
        )
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["field"] == "attributed_to"
    not_named = api.post(f"{path}/agree", {"proposal_version": version}, who=CLIENT)
    assert not_named.status_code == 403
    assert not_named.json()["field"] == "agreed_by"
    stale = api.post(f"{path}/agree", {"proposal_version": version - 1}, who=APPROVER)
    assert stale.status_code == 409
    assert api.get(path).json()["value"]["date"] == "2026-12-01"
    # The approver, with their own token: now the baseline moves; the actor is theirs.
    agreed = api.post(f"{path}/agree", {"proposal_version": version}, who=APPROVER)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["value"]["date"] == "2027-01-15"
    assert agreed.json()["agreed_by"] == [TEAM, APPROVER]
    event = list(api.ledger.events.get(UUID(beta["id"])))[-1]
    assert (event.actor, event.attributed_to, event.by) == (APPROVER, None, APPROVER)


def test_a_delegate_the_client_named_agrees_for_them(api: Api) -> None:
    beta = api.post(
        api.url("/expectations"),
        {
            "kind": "milestone",
            "title": "Beta",
            "value": {"date": "2026-12-01"},
            "agreed_by": [APPROVER],
        },
        who=TM,
    ).json()
    assert beta["state"] == "proposed"
    named = api.post(api.url("/delegates"), {"delegate": CLIENT}, who=APPROVER)
    assert named.status_code == 200, named.text
    agreed = api.post(
        api.url(f"/expectations/{beta['id']}/agree"),
        {"proposal_version": 1, "attributed_to": APPROVER},
        who=CLIENT,
    )
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["state"] == "active"
    event = list(api.ledger.events.get(UUID(beta["id"])))[-1]
    assert (event.actor, event.attributed_to, event.by) == (CLIENT, APPROVER, APPROVER)
