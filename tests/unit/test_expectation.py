"""Expectation lifecycle and value shapes: every allowed step and every refused one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.expectation import (
    DeliveryState,
    Expectation,
    ExpectationKind,
    ExpectationState,
    ExpectationValue,
    RevisionCause,
)
from ledger.domain.roles import Party
from ledger.domain.values import Source, SourceKind

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "sponsor@client.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
CR = uuid4()

VALID: dict[ExpectationKind, dict[str, Any]] = {
    ExpectationKind.SCOPE_ITEM: {"text": "Public website with 5 pages"},
    ExpectationKind.GOAL: {
        "metric": "p95 page load",
        "target": "under 2 s",
        "deadline": date(2026, 6, 30),
    },
    ExpectationKind.MILESTONE: {"date": date(2026, 4, 1), "text": "Beta live"},
    ExpectationKind.DELIVERABLE: {"text": "Design system", "date": date(2026, 5, 1)},
    ExpectationKind.BUDGET: {"amount": Decimal("12000.00"), "currency": "EUR"},
    ExpectationKind.TIMELINE: {"start": date(2026, 3, 1), "end": date(2026, 9, 30)},
    ExpectationKind.ASSUMPTION: {"text": "Client supplies copy"},
    ExpectationKind.CONSTRAINT: {"text": "Hosted in the EU"},
    ExpectationKind.ACCEPTANCE_CRITERION: {"text": "WCAG 2.2 AA"},
}


def act(who: str = PM, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def value(**fields: Any) -> ExpectationValue:
    return ExpectationValue(**fields)


def expectation(kind: ExpectationKind = ExpectationKind.MILESTONE, **fields: Any) -> Expectation:
    return Expectation.establish(
        act(),
        id=uuid4(),
        project_id=uuid4(),
        kind=kind,
        title=fields.pop("title", f"The {kind}"),
        value=fields.pop("value", value(**VALID[kind])),
        agreed_by=fields.pop("agreed_by", (PM, CLIENT)),
        source=fields.pop("source", None),
    )


def event_names(e: Expectation) -> list[str]:
    return [type(ev).__name__ for ev in e.collect_events()]


def revise(e: Expectation, new: ExpectationValue, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "value": new,
        "cause": RevisionCause.AGREEMENT,
        "change_request_id": None,
        "agreed_by": (PM, CLIENT),
        "reason": "Agreed in the steering meeting",
    }
    fields.update(overrides)
    e.revise(act(), **fields)


def withdraw(e: Expectation, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "cause": RevisionCause.AGREEMENT,
        "change_request_id": None,
        "agreed_by": (PM, CLIENT),
        "reason": "No longer needed",
    }
    fields.update(overrides)
    e.withdraw(act(), **fields)


# ------------------------------------------------------------------------------- setting


@pytest.mark.parametrize("kind", list(ExpectationKind))
def test_every_kind_is_set_with_its_shape(kind: ExpectationKind) -> None:
    source = Source(kind=SourceKind.DOCUMENT, sha256="a" * 64, note="signed SOW")
    e = expectation(kind, source=source)
    assert e.kind is kind
    assert e.state is ExpectationState.ACTIVE
    assert e.delivery is None
    assert e.value == value(**VALID[kind])
    assert e.agreed_by == (PM, CLIENT)
    assert e.source == source
    (event,) = e.collect_events()
    assert isinstance(event, Expectation.Set)
    assert (event.actor, event.occurred_at, event.project_id) == (PM, NOW, e.project_id)


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        (ExpectationKind.SCOPE_ITEM, "text"),
        (ExpectationKind.GOAL, "metric"),
        (ExpectationKind.GOAL, "target"),
        (ExpectationKind.GOAL, "deadline"),
        (ExpectationKind.MILESTONE, "date"),
        (ExpectationKind.DELIVERABLE, "text"),
        (ExpectationKind.BUDGET, "amount"),
        (ExpectationKind.BUDGET, "currency"),
        (ExpectationKind.TIMELINE, "start"),
        (ExpectationKind.TIMELINE, "end"),
        (ExpectationKind.ASSUMPTION, "text"),
        (ExpectationKind.CONSTRAINT, "text"),
        (ExpectationKind.ACCEPTANCE_CRITERION, "text"),
    ],
)
def test_a_value_missing_a_required_field_is_refused(kind: ExpectationKind, missing: str) -> None:
    fields = {k: v for k, v in VALID[kind].items() if k != missing}
    with pytest.raises(InvalidInputError, match=rf"value\.{missing}: is required for a {kind}"):
        expectation(kind, value=value(**fields))


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (ExpectationKind.MILESTONE, {"amount": Decimal(1), "currency": "EUR"}),
        (ExpectationKind.SCOPE_ITEM, {"date": date(2026, 1, 1)}),
        (ExpectationKind.BUDGET, {"deadline": date(2026, 1, 1)}),
        (ExpectationKind.GOAL, {"start": date(2026, 1, 1)}),
    ],
)
def test_fields_of_another_kind_are_refused(kind: ExpectationKind, extra: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError, match=r"is not part of a"):
        expectation(kind, value=value(**VALID[kind], **extra))


def test_optional_fields_are_allowed() -> None:
    assert expectation(ExpectationKind.DELIVERABLE, value=value(text="Logo")).value.date is None
    goal = expectation(ExpectationKind.GOAL, value=value(**VALID[ExpectationKind.GOAL], text="x"))
    assert goal.value.text == "x"


def test_a_timeline_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"value\.end: must not be before the start"):
        expectation(
            ExpectationKind.TIMELINE, value=value(start=date(2026, 5, 1), end=date(2026, 4, 1))
        )
    one_day = expectation(
        ExpectationKind.TIMELINE, value=value(start=date(2026, 5, 1), end=date(2026, 5, 1))
    )
    assert one_day.value.start == one_day.value.end


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"value\.amount: must not be negative"):
        expectation(ExpectationKind.BUDGET, value=value(amount=Decimal("-1"), currency="EUR"))


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"currency": "euro"}, "currency"),
        ({"amount": "NaN"}, "amount"),
        ({"date": datetime(2026, 4, 1, tzinfo=UTC)}, "calendar date"),
        ({"date": 1_770_000_000}, "calendar date"),
        ({"text": "   "}, "blank"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_malformed_values_are_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        ExpectationValue.parse(fields, "value")


def test_values_parse_from_plain_json_types() -> None:
    parsed = ExpectationValue.parse({"amount": "12000.50", "currency": "EUR"}, "value")
    assert parsed.amount == Decimal("12000.50")
    assert ExpectationValue.parse({"date": "2026-04-01"}, "value").date == date(2026, 4, 1)


def test_title_is_required_and_duplicates_in_agreed_by_refused() -> None:
    with pytest.raises(InvalidInputError, match="title"):
        expectation(title="  ")
    with pytest.raises(InvalidInputError, match="agreed_by"):
        expectation(agreed_by=(PM, PM))


def test_an_expectation_may_be_set_without_named_agreement() -> None:
    assert expectation(agreed_by=()).agreed_by == ()


# ------------------------------------------------------------------------------ revising


def test_revision_by_agreement_changes_the_value_and_who_agreed() -> None:
    e = expectation()
    new = value(date=date(2026, 4, 15), text="Beta live")
    revise(e, new, agreed_by=(DEV, CLIENT))
    assert e.value == new
    assert e.agreed_by == (DEV, CLIENT)
    assert e.change_request_ids == ()
    assert event_names(e) == ["Set", "Revised"]


def test_revision_by_change_request_names_it() -> None:
    e = expectation()
    revise(
        e,
        value(date=date(2026, 5, 1)),
        cause=RevisionCause.CHANGE_REQUEST,
        change_request_id=CR,
        agreed_by=(CLIENT,),
        reason="",
    )
    assert e.change_request_ids == (CR,)
    event = e.collect_events()[-1]
    assert isinstance(event, Expectation.Revised)
    assert (event.cause, event.change_request_id) == (RevisionCause.CHANGE_REQUEST, CR)


def test_an_unchanged_value_is_not_a_revision() -> None:
    e = expectation()
    with pytest.raises(InvalidInputError, match="same as the current value"):
        revise(e, value(**VALID[ExpectationKind.MILESTONE]))


def test_the_kind_never_changes_a_revision_must_keep_its_shape() -> None:
    e = expectation(ExpectationKind.MILESTONE)
    with pytest.raises(InvalidInputError, match=r"value\.date: is required for a milestone"):
        revise(e, value(amount=Decimal(10), currency="EUR"))
    assert e.kind is ExpectationKind.MILESTONE


@pytest.mark.parametrize(
    ("cause", "cr_id", "match"),
    [
        (RevisionCause.CHANGE_REQUEST, None, "name the approved change request"),
        (RevisionCause.AGREEMENT, CR, "names no change request"),
    ],
)
def test_cause_and_change_request_must_agree(
    cause: RevisionCause, cr_id: object, match: str
) -> None:
    e = expectation()
    with pytest.raises(InvalidInputError, match=match):
        revise(e, value(date=date(2026, 5, 1)), cause=cause, change_request_id=cr_id)
    with pytest.raises(InvalidInputError, match=match):
        withdraw(e, cause=cause, change_request_id=cr_id)


def test_revision_needs_who_agreed_and_a_reason_for_an_agreement() -> None:
    e = expectation()
    with pytest.raises(InvalidInputError, match="agreed_by"):
        revise(e, value(date=date(2026, 5, 1)), agreed_by=())
    with pytest.raises(InvalidInputError, match="reason"):
        revise(e, value(date=date(2026, 5, 1)), reason=" ")


def test_check_revision_checks_without_recording() -> None:
    e = expectation()
    new = value(date=date(2026, 5, 1))
    assert e.check_revision(new, "revisions[0].value") == new
    with pytest.raises(InvalidInputError, match=r"revisions\[0\]\.value\.date"):
        e.check_revision(value(text="x"), "revisions[0].value")
    assert event_names(e) == ["Set"]


# ---------------------------------------------------------------------------- withdrawing


def test_withdrawal_ends_the_expectation_and_nothing_follows() -> None:
    e = expectation()
    withdraw(e)
    assert e.state is ExpectationState.WITHDRAWN
    assert not e.is_active
    assert not e.is_changeable
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        withdraw(e)
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        revise(e, value(date=date(2026, 5, 1)))
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        e.check_withdrawal()
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        e.submit_delivery(act(DEV), party=Party.TEAM)
    assert event_names(e) == ["Set", "Withdrawn"]


def test_withdrawal_by_change_request_names_it_and_needs_who_agreed() -> None:
    e = expectation()
    with pytest.raises(InvalidInputError, match="agreed_by"):
        withdraw(e, agreed_by=())
    withdraw(
        e, cause=RevisionCause.CHANGE_REQUEST, change_request_id=CR, agreed_by=(CLIENT,), reason=""
    )
    assert e.change_request_ids == (CR,)


# ------------------------------------------------------------------------------- delivery


def test_delivery_is_submitted_by_the_team_and_accepted_by_the_client() -> None:
    e = expectation(ExpectationKind.DELIVERABLE)
    evidence = Source(kind=SourceKind.INTERACTION, id=uuid4())
    e.submit_delivery(act(DEV), party=Party.TEAM, note="see link", evidence=evidence)
    assert e.delivery is DeliveryState.SUBMITTED
    e.accept_delivery(act(CLIENT), party=Party.CLIENT, note="Looks good")
    assert e.delivery is DeliveryState.ACCEPTED
    events = e.collect_events()
    assert [type(ev).__name__ for ev in events] == ["Set", "DeliverySubmitted", "DeliveryAccepted"]
    submitted = events[1]
    assert isinstance(submitted, Expectation.DeliverySubmitted)
    assert submitted.evidence == evidence


def test_a_rejected_delivery_can_be_submitted_again() -> None:
    e = expectation(ExpectationKind.MILESTONE)
    e.submit_delivery(act(DEV), party=Party.TEAM)
    e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="Search is missing")
    assert e.delivery is DeliveryState.REJECTED
    e.submit_delivery(act(DEV), party=Party.TEAM, note="search added")
    e.accept_delivery(act(CLIENT), party=Party.CLIENT)
    assert e.delivery is DeliveryState.ACCEPTED


def test_rejection_needs_a_reason() -> None:
    e = expectation()
    e.submit_delivery(act(DEV), party=Party.TEAM)
    with pytest.raises(InvalidInputError, match="reason"):
        e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="")


@pytest.mark.parametrize("kind", [k for k in ExpectationKind if not k.has_delivery])
def test_only_milestones_and_deliverables_are_delivered(kind: ExpectationKind) -> None:
    e = expectation(kind)
    with pytest.raises(InvalidTransitionError, match="only milestones and deliverables"):
        e.submit_delivery(act(DEV), party=Party.TEAM)
    with pytest.raises(InvalidTransitionError, match="only milestones and deliverables"):
        e.accept_delivery(act(CLIENT), party=Party.CLIENT)
    with pytest.raises(InvalidTransitionError, match="only milestones and deliverables"):
        e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="no")


def test_accept_or_reject_only_after_submission() -> None:
    e = expectation()
    with pytest.raises(InvalidTransitionError, match="not submitted"):
        e.accept_delivery(act(CLIENT), party=Party.CLIENT)
    with pytest.raises(InvalidTransitionError, match="not submitted"):
        e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="no")
    e.submit_delivery(act(DEV), party=Party.TEAM)
    e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="no")
    with pytest.raises(InvalidTransitionError, match="rejected"):
        e.accept_delivery(act(CLIENT), party=Party.CLIENT)
    with pytest.raises(InvalidTransitionError, match="rejected"):
        e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="again")


def test_a_submitted_delivery_is_not_submitted_twice() -> None:
    e = expectation()
    e.submit_delivery(act(DEV), party=Party.TEAM)
    with pytest.raises(InvalidTransitionError, match="already submitted"):
        e.submit_delivery(act(DEV), party=Party.TEAM)


@pytest.mark.parametrize("party", [Party.CLIENT, Party.THIRD_PARTY])
def test_only_the_team_side_submits(party: Party) -> None:
    e = expectation()
    with pytest.raises(NotPermittedError, match="team side"):
        e.submit_delivery(act(CLIENT), party=party)


@pytest.mark.parametrize("party", [Party.TEAM, Party.THIRD_PARTY])
def test_only_the_client_side_accepts_or_rejects(party: Party) -> None:
    e = expectation()
    e.submit_delivery(act(DEV), party=Party.TEAM)
    with pytest.raises(NotPermittedError, match="client side"):
        e.accept_delivery(act(PM), party=party)
    with pytest.raises(NotPermittedError, match="client side"):
        e.reject_delivery(act(PM), party=party, reason="no")
    assert e.delivery is DeliveryState.SUBMITTED


def test_an_accepted_delivery_closes_the_item() -> None:
    e = expectation()
    e.submit_delivery(act(DEV), party=Party.TEAM)
    e.accept_delivery(act(CLIENT), party=Party.CLIENT)
    assert e.is_active
    assert not e.is_changeable
    with pytest.raises(InvalidTransitionError, match="accepted"):
        e.submit_delivery(act(DEV), party=Party.TEAM)
    with pytest.raises(InvalidTransitionError, match="accepted"):
        e.accept_delivery(act(CLIENT), party=Party.CLIENT)
    with pytest.raises(InvalidTransitionError, match="accepted"):
        e.reject_delivery(act(CLIENT), party=Party.CLIENT, reason="changed my mind")
    with pytest.raises(InvalidTransitionError, match="delivery was accepted"):
        revise(e, value(date=date(2026, 5, 1)))
    with pytest.raises(InvalidTransitionError, match="delivery was accepted"):
        withdraw(e)


def test_a_revision_leaves_a_pending_delivery_as_it_is() -> None:
    e = expectation()
    e.submit_delivery(act(DEV), party=Party.TEAM)
    revise(e, value(date=date(2026, 4, 20)))
    assert e.delivery is DeliveryState.SUBMITTED


def test_accept_and_reject_on_behalf_of_the_client() -> None:
    e = expectation()
    e.submit_delivery(act(PM, for_=DEV), party=Party.TEAM)
    e.accept_delivery(act(PM, for_=CLIENT), party=Party.CLIENT)
    accepted = e.collect_events()[-1]
    assert (accepted.actor, accepted.attributed_to) == (PM, CLIENT)  # type: ignore[attr-defined]


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    e = expectation()
    e.submit_delivery(act(DEV), party=Party.TEAM)
    revise(e, value(date=date(2026, 4, 20)))
    events = e.collect_events()
    copy: Expectation | None = None
    for event in events:
        copy = event.mutate(copy)
    assert copy is not None
    assert (copy.value, copy.delivery, copy.version) == (e.value, e.delivery, e.version)


# ------------------------------------------------------------- agreement in person


def test_a_proposed_item_joins_the_baseline_with_the_last_agreement() -> None:
    e = Expectation.propose(
        act(),
        id=uuid4(),
        project_id=uuid4(),
        kind=ExpectationKind.SCOPE_ITEM,
        title="SSO",
        value=value(text="SSO"),
        agreed_by=(CLIENT, DEV),
        proposed_by=PM,
    )
    assert e.state is ExpectationState.PROPOSED
    assert e.pending_proposal is not None
    assert e.pending_proposal.agreed_by == (PM, CLIENT, DEV)  # the proposer agrees by proposing
    assert e.pending_proposal.awaiting == (CLIENT, DEV)
    with pytest.raises(InvalidTransitionError, match="proposed"):
        e.propose_change(act(), value=None, agreed_by=(CLIENT,), proposed_by=PM, reason="r")
    e.agree(act(CLIENT), by=CLIENT, proposal_version=1)
    assert e.state is ExpectationState.PROPOSED
    with pytest.raises(InvalidTransitionError, match="already agreed"):
        e.agree(act(CLIENT), by=CLIENT, proposal_version=1)
    e.agree(act(DEV), by=DEV, proposal_version=1)
    assert (e.state, e.agreed_by, e.pending_proposal) == (
        ExpectationState.ACTIVE,
        (PM, CLIENT, DEV),
        None,
    )
    assert event_names(e) == ["Proposed", "AgreementGiven", "AgreementGiven"]


def test_a_revision_applies_only_when_agreed_and_a_decline_drops_it() -> None:
    e = expectation(agreed_by=())
    e.propose_change(
        act(), value=value(date=date(2026, 5, 1)), agreed_by=(CLIENT,), proposed_by=PM, reason="r"
    )
    assert e.value == value(**VALID[ExpectationKind.MILESTONE])
    with pytest.raises(NotPermittedError, match="not named") as refused:
        e.agree(act(DEV), by=DEV, proposal_version=2)
    assert refused.value.field == "agreed_by"
    with pytest.raises(InvalidTransitionError, match="version 2, not 1"):
        e.agree(act(CLIENT), by=CLIENT, proposal_version=1)
    e.decline(act(CLIENT), by=CLIENT, proposal_version=2, reason="no")
    assert (e.state, e.pending_proposal) == (ExpectationState.ACTIVE, None)
    e.propose_change(act(), value=None, agreed_by=(CLIENT,), proposed_by=PM, reason="drop")
    e.agree(act(CLIENT), by=CLIENT, proposal_version=4)
    assert e.state is ExpectationState.WITHDRAWN
