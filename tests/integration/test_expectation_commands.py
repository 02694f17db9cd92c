"""Expectation commands against real storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.expectation import (
    DeliveryState,
    Expectation,
    ExpectationKind,
    ExpectationNotFoundError,
    ExpectationState,
    ExpectationValue,
)
from ledger.domain.project import NotAMemberError
from ledger.service.application import Ledger, VersionMismatchError
from tests import builders
from tests.builders import AUDITOR, DEV, PM, SPONSOR, agree_to_expectation, positions

CLIENT = "member@client.test"


def project_with_members(ledger: Ledger) -> UUID:
    return builders.project_with_members(ledger, (CLIENT, "Cal", "client", "client_member"))


def milestone(ledger: Ledger, project_id: UUID, **kwargs: object) -> UUID:
    """A milestone the PM proposed and the sponsor agreed to in person (version 2)."""
    expectation_id = ledger.set_expectation(
        PM,
        project_id,
        kind="milestone",
        title="Beta live",
        value={"date": "2026-04-01"},
        agreed_by=[PM, SPONSOR],
        **kwargs,  # type: ignore[arg-type]
    ).id
    if ledger.get_expectation(project_id, expectation_id).pending_proposal is not None:
        agree_to_expectation(ledger, project_id, expectation_id)
    return expectation_id


def test_expectations_of_every_shape_are_stored_and_read_back_exactly(
    ledger: Ledger, database_url: str
) -> None:
    project_id = project_with_members(ledger)
    ledger.name_delegate(SPONSOR, project_id, delegate=CLIENT)  # consent: theirs or a delegate's
    budget = ledger.set_expectation(
        CLIENT,
        project_id,
        kind="budget",
        title="Fixed price",
        value={"amount": "48000.50", "currency": "EUR", "text": "incl. VAT"},
        agreed_by=[" PM@acme.test ", SPONSOR, PM],
        source={"kind": "document", "sha256": "b" * 64, "note": "signed SOW"},
        attributed_to=SPONSOR,
    )
    goal = ledger.set_expectation(
        DEV,
        project_id,
        kind="goal",
        title="Fast pages",
        value={"metric": "p95 load", "target": "< 2 s", "deadline": "2026-06-30"},
    )
    timeline = ledger.set_expectation(
        PM,
        project_id,
        kind="timeline",
        title="Project window",
        value={"start": "2026-03-01", "end": "2026-09-30"},
        agreed_by=[SPONSOR],
    )
    assert budget.version == 1
    assert budget.position == goal.position - 1
    agree_to_expectation(ledger, project_id, budget.id)  # the PM, in person
    fresh = Ledger(database_url)  # no cache: everything decoded from storage
    try:
        b = fresh.get_expectation(project_id, budget.id)
        assert b.kind is ExpectationKind.BUDGET
        assert b.value == ExpectationValue(
            amount=Decimal("48000.50"), currency="EUR", text="incl. VAT"
        )
        assert str(b.value.amount) == "48000.50"
        assert b.agreed_by == (PM, SPONSOR)
        assert b.source is not None
        assert b.source.note == "signed SOW"
        g = fresh.get_expectation(project_id, goal.id)
        assert g.value.deadline == date(2026, 6, 30)
        assert g.agreed_by == ()
        t = fresh.get_expectation(project_id, timeline.id)
        assert (t.value.start, t.value.end) == (date(2026, 3, 1), date(2026, 9, 30))
        assert b.state is ExpectationState.ACTIVE
        proposed, agreed = fresh.events.get(budget.id)
        assert isinstance(proposed, Expectation.Proposed)
        assert (proposed.actor, proposed.attributed_to) == (CLIENT, SPONSOR)
        assert proposed.proposed_by == SPONSOR
        assert isinstance(agreed, Expectation.AgreementGiven)
        assert (agreed.actor, agreed.by, agreed.completes) == (PM, PM, True)
        assert t.state is ExpectationState.PROPOSED  # the sponsor has not agreed yet
        assert g.state is ExpectationState.ACTIVE  # named nobody: set at once
    finally:
        fresh.close()


def test_malformed_input_is_refused_and_nothing_stored(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    stored = positions(ledger)
    with pytest.raises(InvalidInputError, match="kind: 'wish'"):
        ledger.set_expectation(PM, project_id, kind="wish", title="t", value={"text": "x"})
    with pytest.raises(InvalidInputError, match=r"value\.date: is required for a milestone"):
        ledger.set_expectation(PM, project_id, kind="milestone", title="t", value={"text": "x"})
    with pytest.raises(InvalidInputError, match=r"value\.end"):
        ledger.set_expectation(
            PM,
            project_id,
            kind="timeline",
            title="t",
            value={"start": "2026-05-01", "end": "2026-04-01"},
        )
    with pytest.raises(NotAMemberError, match=r"agreed_by\[1\]"):
        ledger.set_expectation(
            PM,
            project_id,
            kind="scope_item",
            title="t",
            value={"text": "x"},
            agreed_by=[PM, "boss@else.test"],
        )
    with pytest.raises(NotPermittedError, match="auditor"):
        ledger.set_expectation(
            AUDITOR, project_id, kind="scope_item", title="t", value={"text": "x"}
        )
    assert positions(ledger) == stored


def test_setting_with_the_same_idempotency_key_stores_nothing_twice(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    first = milestone(ledger, project_id, idempotency_key="sow-1")
    stored = positions(ledger)
    again = ledger.set_expectation(
        PM,
        project_id,
        kind="milestone",
        title="Beta live",
        value={"date": "2026-04-01"},
        idempotency_key="sow-1",
    )
    assert (again.id, again.position) == (first, 0)
    assert positions(ledger) == stored
    assert milestone(ledger, project_id, idempotency_key="sow-2") != first


def test_revision_by_agreement_needs_both_sides(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    expectation_id = milestone(ledger, project_id)
    stored = positions(ledger)
    for actor, one_side in ((PM, [PM, DEV]), (SPONSOR, [CLIENT])):
        with pytest.raises(InvalidInputError, match="one client-side and one team-side"):
            ledger.revise_expectation(
                actor,
                project_id,
                expectation_id,
                value={"date": "2026-04-15"},
                agreed_by=one_side,
                reason="slip",
            )
    assert positions(ledger) == stored
    revised = ledger.revise_expectation(
        DEV,
        project_id,
        expectation_id,
        value={"date": "2026-04-15", "text": "Beta live"},
        agreed_by=[CLIENT, DEV],
        reason="Agreed on the weekly call",
        expected_version=2,
    )
    assert revised.version == 3
    e = ledger.get_expectation(project_id, expectation_id)
    assert e.value == ExpectationValue(date=date(2026, 4, 1))  # proposed, not yet agreed
    ledger.agree_expectation(CLIENT, project_id, expectation_id, proposal_version=3)
    e = ledger.get_expectation(project_id, expectation_id)
    assert e.value == ExpectationValue(date=date(2026, 4, 15), text="Beta live")
    assert e.agreed_by == (CLIENT, DEV)
    assert e.pending_proposal is None
    event = list(ledger.events.get(expectation_id))[-1]
    assert isinstance(event, Expectation.AgreementGiven)
    assert (event.actor, event.by, event.completes) == (CLIENT, CLIENT, True)


def test_a_revision_must_change_the_value_and_keep_the_kind(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    expectation_id = milestone(ledger, project_id)
    with pytest.raises(InvalidInputError, match="same as the current value"):
        ledger.revise_expectation(
            PM,
            project_id,
            expectation_id,
            value={"date": "2026-04-01"},
            agreed_by=[PM, SPONSOR],
            reason="r",
        )
    with pytest.raises(InvalidInputError, match=r"value\.amount: is not part of a milestone"):
        ledger.revise_expectation(
            PM,
            project_id,
            expectation_id,
            value={"date": "2026-04-02", "amount": "10", "currency": "EUR"},
            agreed_by=[PM, SPONSOR],
            reason="r",
        )


def test_withdrawal_by_agreement_ends_the_expectation(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    expectation_id = milestone(ledger, project_id)
    with pytest.raises(InvalidInputError, match="one client-side and one team-side"):
        ledger.withdraw_expectation(
            SPONSOR, project_id, expectation_id, agreed_by=[SPONSOR], reason="not needed"
        )
    ledger.withdraw_expectation(
        SPONSOR, project_id, expectation_id, agreed_by=[SPONSOR, PM], reason="not needed"
    )
    assert ledger.get_expectation(project_id, expectation_id).state is ExpectationState.ACTIVE
    agree_to_expectation(ledger, project_id, expectation_id)  # the PM
    assert ledger.get_expectation(project_id, expectation_id).state is ExpectationState.WITHDRAWN
    stored = positions(ledger)
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        ledger.revise_expectation(
            PM,
            project_id,
            expectation_id,
            value={"date": "2026-05-01"},
            agreed_by=[PM, SPONSOR],
            reason="r",
        )
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        ledger.submit_delivery(DEV, project_id, expectation_id)
    assert positions(ledger) == stored


def test_delivery_is_submitted_by_the_team_and_decided_by_the_client(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    expectation_id = milestone(ledger, project_id)
    with pytest.raises(NotPermittedError, match="team side"):
        ledger.submit_delivery(CLIENT, project_id, expectation_id)
    with pytest.raises(InvalidTransitionError, match="not submitted"):
        ledger.accept_delivery(CLIENT, project_id, expectation_id)
    ledger.submit_delivery(
        DEV,
        project_id,
        expectation_id,
        note="Beta at https://beta.example",
        evidence={"kind": "interaction", "id": str(project_id)},
    )
    with pytest.raises(NotPermittedError, match="client side"):
        ledger.accept_delivery(PM, project_id, expectation_id)
    with pytest.raises(NotPermittedError, match="client side"):
        ledger.reject_delivery(DEV, project_id, expectation_id, reason="x")
    ledger.reject_delivery(CLIENT, project_id, expectation_id, reason="Login fails")
    assert ledger.get_expectation(project_id, expectation_id).delivery is DeliveryState.REJECTED
    ledger.submit_delivery(PM, project_id, expectation_id, note="fixed")
    # The PM cannot record the sponsor's acceptance "as" the sponsor: consent is theirs.
    with pytest.raises(NotPermittedError, match=f"consent of {SPONSOR}"):
        ledger.accept_delivery(PM, project_id, expectation_id, attributed_to=SPONSOR)
    # A colleague the sponsor named may: the sponsor's side counts.
    ledger.name_delegate(SPONSOR, project_id, delegate=CLIENT)
    accepted = ledger.accept_delivery(
        CLIENT, project_id, expectation_id, attributed_to=SPONSOR, note="on the call"
    )
    assert accepted.version == 6
    e = ledger.get_expectation(project_id, expectation_id)
    assert e.delivery is DeliveryState.ACCEPTED
    names = [type(ev).__name__ for ev in ledger.events.get(expectation_id)]
    assert names == [
        "Proposed",
        "AgreementGiven",
        "DeliverySubmitted",
        "DeliveryRejected",
        "DeliverySubmitted",
        "DeliveryAccepted",
    ]


def test_only_milestones_and_deliverables_are_delivered(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    scope = ledger.set_expectation(
        PM, project_id, kind="scope_item", title="Pages", value={"text": "Five pages"}
    ).id
    with pytest.raises(InvalidTransitionError, match="only milestones and deliverables"):
        ledger.submit_delivery(DEV, project_id, scope)


def test_expectations_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    expectation_id = milestone(ledger, first)
    with pytest.raises(ExpectationNotFoundError):
        ledger.get_expectation(second, expectation_id)
    with pytest.raises(ExpectationNotFoundError):
        ledger.submit_delivery(DEV, second, expectation_id)
    with pytest.raises(ExpectationNotFoundError):
        ledger.revise_expectation(
            PM,
            second,
            expectation_id,
            value={"date": "2026-05-01"},
            agreed_by=[PM, SPONSOR],
            reason="r",
        )
    with pytest.raises(ExpectationNotFoundError):
        ledger.get_expectation(first, first)  # the project itself is no expectation


def test_a_stale_expected_version_is_refused_and_nothing_stored(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    expectation_id = milestone(ledger, project_id)
    ledger.submit_delivery(DEV, project_id, expectation_id)
    stored = positions(ledger)
    with pytest.raises(VersionMismatchError) as e:
        ledger.accept_delivery(CLIENT, project_id, expectation_id, expected_version=1)
    assert (e.value.expected, e.value.actual) == (1, 3)
    assert positions(ledger) == stored
