"""Consent belongs to its owner, over HTTP: the team cannot approve a change "as" the client's
approver (the milestone does not move), a promisor cannot accept their own fulfilment "as" the
promisee; the person themself can, and so can a delegate they named with their own token."""

from __future__ import annotations

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
