"""Change request commands against real storage (SQLite and PostgreSQL) — above all, that
approval revises the affected expectations in the same atomic save."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.domain.change_request import (
    ChangeRequest,
    ChangeRequestNotFoundError,
    ChangeRequestState,
)
from ledger.domain.envelope import LedgerAggregate
from ledger.domain.errors import (
    ConflictError,
    InvalidInputError,
    InvalidTransitionError,
    NotPermittedError,
)
from ledger.domain.expectation import (
    DeliveryState,
    Expectation,
    ExpectationNotFoundError,
    ExpectationState,
    ExpectationValue,
    RevisionCause,
)
from ledger.domain.values import Money
from ledger.service.application import Ledger, VersionMismatchError
from ledger.service.base import Recorded
from tests import builders
from tests.builders import DEV, PM, SPONSOR, agree_to_expectation, positions

CLIENT = "member@client.test"


def project_with_members(ledger: Ledger) -> UUID:
    return builders.project_with_members(
        ledger, (CLIENT, "Cal", "client", "client_member"), auditor=False
    )


class Baseline:
    """A project with a milestone and a scope item, and a change request affecting both."""

    def __init__(self, ledger: Ledger, *, assessed: bool = True) -> None:
        self.ledger = ledger
        self.project_id = project_with_members(ledger)
        self.milestone = ledger.set_expectation(
            PM,
            self.project_id,
            kind="milestone",
            title="Beta live",
            value={"date": "2026-04-01"},
        ).id
        self.scope = ledger.set_expectation(
            PM,
            self.project_id,
            kind="scope_item",
            title="Blog",
            value={"text": "A blog with comments"},
        ).id
        self.change = ledger.request_change(
            CLIENT,
            self.project_id,
            title="Search instead of a blog",
            description="Replace the blog with a site search",
            rationale="Nobody writes posts",
            affected_expectations=[self.milestone, str(self.scope)],
        ).id
        if assessed:
            self.assess()

    def assess(self, **overrides: Any) -> Recorded:
        fields: dict[str, Any] = {
            "scope_impact": "Blog dropped, search added",
            "schedule_delta_days": 14,
            "cost_delta": {"amount": "2500.00", "currency": "EUR"},
            "revisions": [
                {"expectation_id": str(self.milestone), "value": {"date": "2026-04-15"}},
                {"expectation_id": self.scope, "withdraw": True},
            ],
        }
        fields.update(overrides)
        return self.ledger.assess_impact(DEV, self.project_id, self.change, **fields)

    def get(self) -> ChangeRequest:
        return self.ledger.get_change_request(self.project_id, self.change)

    def expectation(self, expectation_id: UUID) -> Expectation:
        return self.ledger.get_expectation(self.project_id, expectation_id)


def test_approval_revises_the_affected_expectations_in_the_same_save(ledger: Ledger) -> None:
    b = Baseline(ledger)
    # The sponsor named a colleague to approve for them (by an event of their own).
    ledger.name_delegate(SPONSOR, b.project_id, delegate=CLIENT)
    before = positions(ledger)
    recorded = ledger.approve_change(
        CLIENT, b.project_id, b.change, attributed_to=SPONSOR, conditions="Search by May"
    )
    assert recorded.id == b.change
    assert recorded.version == 3
    # One save: exactly these three events became notifications, the last one is the result.
    batch = ledger.recorder.select_notifications(before, 10, inclusive_of_start=False)
    assert [(n.originator_id, n.topic.rsplit(".", 1)[-1]) for n in batch] == [
        (b.change, "Approved"),
        (b.milestone, "Revised"),
        (b.scope, "Withdrawn"),
    ]
    assert recorded.position == batch[-1].id == positions(ledger)

    change = b.get()
    assert change.state is ChangeRequestState.APPROVED
    assert change.conditions == "Search by May"
    m = b.expectation(b.milestone)
    assert m.value == ExpectationValue(date=date(2026, 4, 15))
    assert m.agreed_by == (SPONSOR,)
    assert m.change_request_ids == (b.change,)
    assert b.expectation(b.scope).state is ExpectationState.WITHDRAWN
    revised = list(ledger.events.get(b.milestone))[-1]
    assert isinstance(revised, Expectation.Revised)
    assert (revised.cause, revised.change_request_id) == (RevisionCause.CHANGE_REQUEST, b.change)
    assert (revised.actor, revised.attributed_to) == (CLIENT, SPONSOR)
    approved = list(ledger.events.get(b.change))[-1]
    assert isinstance(approved, ChangeRequest.Approved)
    assert len(approved.revisions) == 2


@pytest.mark.parametrize("step", ["approve", "reject"])
def test_only_the_approver_or_their_delegate_decides_for_them(ledger: Ledger, step: str) -> None:
    """Consent belongs to its owner: the team cannot approve "as" the client's approver, nor
    can a client colleague the approver did not name (or named, then revoked)."""
    b = Baseline(ledger)
    stored = positions(ledger)

    def decide(who: str) -> object:
        if step == "approve":
            return ledger.approve_change(who, b.project_id, b.change, attributed_to=SPONSOR)
        return ledger.reject_change(
            who, b.project_id, b.change, attributed_to=SPONSOR, reason="too dear"
        )

    for who in (PM, DEV, CLIENT):
        with pytest.raises(NotPermittedError, match=f"consent of {SPONSOR}"):
            decide(who)
    with pytest.raises(InvalidInputError, match="own side"):
        ledger.name_delegate(SPONSOR, b.project_id, delegate=PM)
    ledger.name_delegate(SPONSOR, b.project_id, delegate=CLIENT)
    ledger.revoke_delegate(SPONSOR, b.project_id, delegate=CLIENT)
    with pytest.raises(NotPermittedError, match=f"consent of {SPONSOR}"):
        decide(CLIENT)
    assert b.get().state is ChangeRequestState.ASSESSED
    assert positions(ledger) == stored + 2  # only the delegation, named and revoked
    decide(SPONSOR)  # in person: always


def test_approval_before_assessment_is_refused_and_nothing_stored(ledger: Ledger) -> None:
    b = Baseline(ledger, assessed=False)
    stored = positions(ledger)
    with pytest.raises(InvalidTransitionError, match="before its impact is assessed"):
        ledger.approve_change(SPONSOR, b.project_id, b.change)
    assert positions(ledger) == stored
    assert b.get().state is ChangeRequestState.REQUESTED


@pytest.mark.parametrize("who", [PM, DEV, CLIENT])
def test_approval_by_anyone_but_a_client_approver_is_refused(ledger: Ledger, who: str) -> None:
    b = Baseline(ledger)
    stored = positions(ledger)
    with pytest.raises(NotPermittedError, match="client approver"):
        ledger.approve_change(who, b.project_id, b.change)
    # Recording it on behalf of a team member does not help either.
    with pytest.raises(NotPermittedError, match=r"client approver|consent of"):
        ledger.approve_change(SPONSOR, b.project_id, b.change, attributed_to=PM)
    assert positions(ledger) == stored
    assert b.get().state is ChangeRequestState.ASSESSED
    assert b.expectation(b.milestone).value == ExpectationValue(date=date(2026, 4, 1))


def test_a_concurrent_change_to_an_affected_expectation_fails_the_approval_atomically(
    ledger: Ledger, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = Baseline(ledger)
    other = Ledger(database_url)  # another process, writing between our load and our save
    original = ledger.save_changes
    interfered: list[Recorded] = []

    def save_after_someone_else(*aggregates: LedgerAggregate) -> Recorded:
        if not interfered:
            interfered.append(other.submit_delivery(DEV, b.project_id, b.milestone))
        return original(*aggregates)

    monkeypatch.setattr(ledger, "save_changes", save_after_someone_else)
    try:
        with pytest.raises(ConflictError):
            ledger.approve_change(SPONSOR, b.project_id, b.change)
        # Nothing of the approval was stored: only the other writer's event is new.
        assert positions(ledger) == interfered[0].position
        assert b.get().state is ChangeRequestState.ASSESSED
        assert b.get().version == 2
        m = b.expectation(b.milestone)
        assert m.value == ExpectationValue(date=date(2026, 4, 1))
        assert m.delivery is DeliveryState.SUBMITTED
        assert b.expectation(b.scope).state is ExpectationState.ACTIVE
        # Reload and try again: now it goes through.
        ledger.approve_change(SPONSOR, b.project_id, b.change)
        assert b.expectation(b.milestone).value == ExpectationValue(date=date(2026, 4, 15))
        assert other.get_change_request(b.project_id, b.change).state is (
            ChangeRequestState.APPROVED
        )
    finally:
        other.close()


def test_approval_fails_whole_when_an_affected_expectation_was_withdrawn_meanwhile(
    ledger: Ledger,
) -> None:
    b = Baseline(ledger)
    ledger.withdraw_expectation(
        PM, b.project_id, b.milestone, agreed_by=[PM, SPONSOR], reason="dropped"
    )
    agree_to_expectation(ledger, b.project_id, b.milestone)
    stored = positions(ledger)
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        ledger.approve_change(SPONSOR, b.project_id, b.change)
    assert positions(ledger) == stored
    assert b.get().state is ChangeRequestState.ASSESSED
    assert b.expectation(b.scope).state is ExpectationState.ACTIVE


def test_the_latest_assessment_is_the_one_approved(ledger: Ledger) -> None:
    b = Baseline(ledger)
    b.assess(
        schedule_delta_days=-2,
        cost_delta=None,
        revisions=[{"expectation_id": str(b.milestone), "value": {"date": "2026-03-30"}}],
    )
    change = b.get()
    assert (change.assessments, change.schedule_delta_days, change.cost_delta) == (2, -2, None)
    ledger.approve_change(SPONSOR, b.project_id, b.change)
    assert b.expectation(b.milestone).value.date == date(2026, 3, 30)
    assert b.expectation(b.scope).state is ExpectationState.ACTIVE  # no longer in the revisions


def test_assessment_rules(ledger: Ledger) -> None:
    b = Baseline(ledger, assessed=False)
    stored = positions(ledger)
    with pytest.raises(NotPermittedError, match="team side"):
        ledger.assess_impact(
            SPONSOR, b.project_id, b.change, scope_impact="x", schedule_delta_days=1
        )
    with pytest.raises(InvalidInputError, match=r"revisions\[0\]\.value\.date: is required"):
        b.assess(revisions=[{"expectation_id": str(b.milestone), "value": {"text": "later"}}])
    with pytest.raises(InvalidInputError, match=r"revisions\[0\]\.value: is the same"):
        b.assess(revisions=[{"expectation_id": str(b.milestone), "value": {"date": "2026-04-01"}}])
    with pytest.raises(InvalidInputError, match=r"revisions\[0\]\.expectation_id: is not one"):
        b.assess(revisions=[{"expectation_id": str(uuid4()), "withdraw": True}])
    with pytest.raises(InvalidInputError, match=r"revisions\[0\]"):
        b.assess(revisions=[{"expectation_id": str(b.milestone)}])
    with pytest.raises(InvalidInputError, match="cost_delta"):
        b.assess(cost_delta={"amount": "1", "currency": "euro"})
    assert positions(ledger) == stored
    b.assess()
    change = b.get()
    assert change.cost_delta == Money(amount=Decimal("2500.00"), currency="EUR")
    assert change.state is ChangeRequestState.ASSESSED


def test_affected_expectations_must_exist_in_the_project_and_still_change(ledger: Ledger) -> None:
    b = Baseline(ledger, assessed=False)
    elsewhere = Baseline(ledger, assessed=False)
    stored = positions(ledger)
    with pytest.raises(ExpectationNotFoundError):
        ledger.request_change(
            CLIENT,
            b.project_id,
            title="t",
            description="d",
            affected_expectations=[b.milestone, elsewhere.milestone],
        )
    with pytest.raises(ExpectationNotFoundError):
        ledger.request_change(
            CLIENT, b.project_id, title="t", description="d", affected_expectations=[uuid4()]
        )
    with pytest.raises(InvalidInputError, match=r"affected_expectations\[0\]"):
        ledger.request_change(
            CLIENT, b.project_id, title="t", description="d", affected_expectations=["nope"]
        )
    assert positions(ledger) == stored
    ledger.withdraw_expectation(PM, b.project_id, b.scope, agreed_by=[PM, SPONSOR], reason="r")
    agree_to_expectation(ledger, b.project_id, b.scope)
    with pytest.raises(InvalidInputError, match=r"affected_expectations\[0\].*withdrawn"):
        ledger.request_change(
            CLIENT, b.project_id, title="t", description="d", affected_expectations=[b.scope]
        )


def test_requesting_with_the_same_idempotency_key_stores_nothing_twice(ledger: Ledger) -> None:
    b = Baseline(ledger, assessed=False)
    first = ledger.request_change(
        PM, b.project_id, title="t", description="d", attributed_to=DEV, idempotency_key="cr-7"
    )
    stored = positions(ledger)
    again = ledger.request_change(
        PM, b.project_id, title="t", description="d", attributed_to=DEV, idempotency_key="cr-7"
    )
    assert (again.id, again.position, again.version) == (first.id, 0, 1)
    assert positions(ledger) == stored
    change = ledger.get_change_request(b.project_id, first.id)
    assert (change.requested_by, change.requesting_party) == (DEV, "team")


def test_rejection_by_the_client_approver_only(ledger: Ledger) -> None:
    b = Baseline(ledger, assessed=False)
    with pytest.raises(NotPermittedError, match="client approver"):
        ledger.reject_change(PM, b.project_id, b.change, reason="no")
    ledger.reject_change(SPONSOR, b.project_id, b.change, reason="Not this year")
    assert b.get().state is ChangeRequestState.REJECTED
    with pytest.raises(InvalidTransitionError, match="rejected"):
        b.assess()
    with pytest.raises(InvalidTransitionError, match="rejected"):
        ledger.approve_change(SPONSOR, b.project_id, b.change)


def test_withdrawal_by_the_requesting_side_only(ledger: Ledger) -> None:
    b = Baseline(ledger)
    with pytest.raises(NotPermittedError, match="requesting side"):
        ledger.withdraw_change(PM, b.project_id, b.change, reason="we won't")
    ledger.withdraw_change(SPONSOR, b.project_id, b.change, reason="Solved otherwise")
    assert b.get().state is ChangeRequestState.WITHDRAWN
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        ledger.approve_change(SPONSOR, b.project_id, b.change)


def test_implementation_only_after_approval(ledger: Ledger) -> None:
    b = Baseline(ledger)
    with pytest.raises(InvalidTransitionError, match="only an approved change"):
        ledger.mark_change_implemented(DEV, b.project_id, b.change)
    ledger.approve_change(SPONSOR, b.project_id, b.change)
    done = ledger.mark_change_implemented(
        DEV,
        b.project_id,
        b.change,
        note="Search is live",
        evidence={"kind": "interaction", "id": str(uuid4())},
        expected_version=3,
    )
    assert done.version == 4
    assert b.get().state is ChangeRequestState.IMPLEMENTED
    with pytest.raises(InvalidTransitionError, match="only an approved change"):
        ledger.mark_change_implemented(DEV, b.project_id, b.change)


def test_change_requests_of_another_project_are_not_found(ledger: Ledger) -> None:
    b = Baseline(ledger)
    other = project_with_members(ledger)
    with pytest.raises(ChangeRequestNotFoundError):
        ledger.get_change_request(other, b.change)
    with pytest.raises(ChangeRequestNotFoundError):
        ledger.approve_change(SPONSOR, other, b.change)
    with pytest.raises(ChangeRequestNotFoundError):
        ledger.get_change_request(b.project_id, b.milestone)


def test_a_stale_expected_version_is_refused_and_nothing_stored(ledger: Ledger) -> None:
    b = Baseline(ledger)
    stored = positions(ledger)
    with pytest.raises(VersionMismatchError) as e:
        ledger.approve_change(SPONSOR, b.project_id, b.change, expected_version=1)
    assert (e.value.expected, e.value.actual) == (1, 2)
    assert positions(ledger) == stored
