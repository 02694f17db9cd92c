"""Consent belongs to its owner, for the agreed baseline (SQLite and PostgreSQL): naming someone
in ``agreed_by`` is a proposal, never their agreement. The baseline — in the ledger, in the live
views and in the as-of replay — changes only when everyone named agreed with their own
credential or through a delegate they named; until then it awaits them, as an open item on
their side."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from ledger.domain.errors import InvalidTransitionError, NotPermittedError
from ledger.domain.expectation import Expectation, ExpectationState
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.runner import ProjectionRunner
from tests import builders
from tests.builders import DEV, PM, SPONSOR, positions

CLIENT = "member@client.test"


def project(ledger: Ledger) -> UUID:
    return builders.project_with_members(ledger, (CLIENT, "Cal", "client", "client_member"))


def active_milestone(ledger: Ledger, project_id: UUID) -> UUID:
    """A milestone the PM set with nobody else named: in the baseline at once."""
    return ledger.set_expectation(
        PM, project_id, kind="milestone", title="Beta", value={"date": "2026-04-01"}
    ).id


def baseline(live: LiveViews, project_id: UUID) -> dict[str, dict[str, object]]:
    return {e["title"]: e for e in q.expectations(live, str(project_id))}


def test_naming_the_client_changes_nothing_until_the_client_agrees_in_person(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = project(ledger)
    beta = active_milestone(ledger, project_id)
    proposed = ledger.revise_expectation(
        DEV,
        project_id,
        beta,
        value={"date": "2026-05-01"},
        agreed_by=[SPONSOR],
        reason="the client agreed on the phone",
    )
    e = ledger.get_expectation(project_id, beta)
    assert str(e.value.date) == "2026-04-01"
    assert e.pending_proposal is not None
    assert e.pending_proposal.awaiting == (SPONSOR,)
    assert e.pending_proposal.agreed == (DEV,)

    runner.catch_up()
    entry = baseline(live, project_id)["Beta"]
    assert entry["value"] == {"date": "2026-04-01"}
    assert entry["awaiting_agreement"]["awaiting"] == [SPONSOR]  # type: ignore[index]
    assert entry["awaiting_agreement"]["change"] == "revision"  # type: ignore[index]
    items = [
        i
        for i in q.open_items(live, str(project_id), datetime.now(UTC))
        if i["kind"] == "expectation_agreement"
    ]
    assert [i["ball_in_court"] for i in items] == [{"party": "client", "person": SPONSOR}]

    # The sponsor agrees with their own credential: now the baseline moves.
    before_agreement = datetime.now(UTC)
    agreed = ledger.agree_expectation(SPONSOR, project_id, beta, proposal_version=proposed.version)
    e = ledger.get_expectation(project_id, beta)
    assert str(e.value.date) == "2026-05-01"
    assert e.agreed_by == (DEV, SPONSOR)
    assert e.pending_proposal is None
    event = list(ledger.events.get(beta))[-1]
    assert isinstance(event, Expectation.AgreementGiven)
    assert (event.actor, event.attributed_to, event.by, event.completes) == (
        SPONSOR,
        None,
        SPONSOR,
        True,
    )
    runner.catch_up()
    entry = baseline(live, project_id)["Beta"]
    assert entry["value"] == {"date": "2026-05-01"}
    assert entry["awaiting_agreement"] is None
    assert entry["agreed_by"] == [DEV, SPONSOR]
    last = entry["provenance"][-1]  # type: ignore[index]
    assert (last["event"], last["recorded_by"], last["cause"]) == (
        "Expectation.AgreementGiven",
        SPONSOR,
        "agreement",
    )
    assert not [
        i
        for i in q.open_items(live, str(project_id), datetime.now(UTC))
        if i["kind"] == "expectation_agreement"
    ]
    # As of before the agreement, the baseline had the old date and awaited the sponsor.
    for basis in ("recorded", "occurred"):
        (then,) = q.expectations_as_of(live, str(project_id), before_agreement, basis)
        assert then["value"] == {"date": "2026-04-01"}
        assert then["awaiting_agreement"]["awaiting"] == [SPONSOR]
    (now,) = q.expectations_as_of(live, str(project_id), datetime.now(UTC))
    assert (now["value"], now["awaiting_agreement"]) == ({"date": "2026-05-01"}, None)
    # The in-memory replay (as-of, rebuilds) runs the same logic to the same answer.
    memory = replay(runner, str(project_id), views=["expectations"])
    assert baseline(memory, project_id)["Beta"]["value"] == {"date": "2026-05-01"}  # type: ignore[arg-type]
    assert agreed.version == proposed.version + 1


def test_nobody_agrees_for_someone_else_but_a_delegate_they_named(ledger: Ledger) -> None:
    project_id = project(ledger)
    beta = active_milestone(ledger, project_id)
    version = ledger.withdraw_expectation(
        PM, project_id, beta, agreed_by=[SPONSOR], reason="dropped"
    ).version
    stored = positions(ledger)
    # The PM cannot record the sponsor's agreement "as" the sponsor, nor can a client colleague
    # the sponsor did not name; nor can anyone not named agree in their own name.
    for actor in (PM, CLIENT):
        with pytest.raises(NotPermittedError, match=f"consent of {SPONSOR}") as refused:
            ledger.agree_expectation(
                actor, project_id, beta, proposal_version=version, attributed_to=SPONSOR
            )
        assert refused.value.field == "attributed_to"
    with pytest.raises(NotPermittedError, match="not named") as refused:
        ledger.agree_expectation(CLIENT, project_id, beta, proposal_version=version)
    assert refused.value.field == "agreed_by"
    with pytest.raises(InvalidTransitionError, match="already agreed"):
        ledger.agree_expectation(PM, project_id, beta, proposal_version=version)
    with pytest.raises(InvalidTransitionError, match=f"version {version}, not 1"):
        ledger.agree_expectation(SPONSOR, project_id, beta, proposal_version=1)
    assert positions(ledger) == stored
    assert ledger.get_expectation(project_id, beta).state is ExpectationState.ACTIVE

    # The sponsor names a colleague with their own credential; the colleague may then.
    ledger.name_delegate(SPONSOR, project_id, delegate=CLIENT)
    ledger.agree_expectation(
        CLIENT, project_id, beta, proposal_version=version, attributed_to=SPONSOR
    )
    assert ledger.get_expectation(project_id, beta).state is ExpectationState.WITHDRAWN
    event = list(ledger.events.get(beta))[-1]
    assert isinstance(event, Expectation.AgreementGiven)
    assert (event.actor, event.attributed_to, event.by) == (CLIENT, SPONSOR, SPONSOR)


def test_a_proposed_item_joins_the_baseline_only_when_agreed_and_a_decline_ends_it(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    project_id = project(ledger)
    sso = ledger.set_expectation(
        PM,
        project_id,
        kind="scope_item",
        title="SSO",
        value={"text": "Single sign-on"},
        agreed_by=[SPONSOR, CLIENT],
    )
    hosting = ledger.set_expectation(
        PM,
        project_id,
        kind="assumption",
        title="Hosting",
        value={"text": "We host"},
        agreed_by=[SPONSOR],
    ).id
    assert ledger.get_expectation(project_id, sso.id).state is ExpectationState.PROPOSED
    runner.catch_up()
    entries = baseline(live, project_id)
    assert entries["SSO"]["state"] == "proposed"
    assert entries["SSO"]["value"] is None
    assert entries["SSO"]["awaiting_agreement"]["awaiting"] == [SPONSOR, CLIENT]  # type: ignore[index]

    ledger.agree_expectation(SPONSOR, project_id, sso.id, proposal_version=1)
    runner.catch_up()
    assert baseline(live, project_id)["SSO"]["awaiting_agreement"]["awaiting"] == [CLIENT]  # type: ignore[index]
    items = {i["id"]: i for i in q.open_items(live, str(project_id), datetime.now(UTC))}
    assert items[str(sso.id)]["ball_in_court"] == {"party": "client", "person": CLIENT}
    ledger.agree_expectation(CLIENT, project_id, sso.id, proposal_version=1)
    ledger.decline_expectation(
        SPONSOR, project_id, hosting, proposal_version=1, reason="we host it ourselves"
    )
    assert ledger.get_expectation(project_id, sso.id).state is ExpectationState.ACTIVE
    assert ledger.get_expectation(project_id, hosting).state is ExpectationState.DECLINED
    runner.catch_up()
    entries = baseline(live, project_id)
    assert entries["SSO"]["state"] == "active"
    assert entries["SSO"]["value"] == {"text": "Single sign-on"}
    assert entries["SSO"]["agreed_by"] == [PM, SPONSOR, CLIENT]
    assert "Hosting" not in entries
    assert str(sso.id) not in {
        i["id"] for i in q.open_items(live, str(project_id), datetime.now(UTC))
    }
