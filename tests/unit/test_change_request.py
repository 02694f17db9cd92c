"""ChangeRequest lifecycle: every allowed step and every refused one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.domain.change_request import ChangeRequest, ChangeRequestState, ProposedRevision
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.expectation import ExpectationValue
from ledger.domain.roles import Party, Role
from ledger.domain.values import Money, Source, SourceKind

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "member@client.test"
APPROVER = "sponsor@client.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
MILESTONE = uuid4()
SCOPE = uuid4()


def act(who: str = CLIENT, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def requested(
    *, by: Act | None = None, party: Party = Party.CLIENT, affected: tuple[UUID, ...] = (MILESTONE,)
) -> ChangeRequest:
    return ChangeRequest.request(
        by or act(),
        id=uuid4(),
        project_id=uuid4(),
        requesting_party=party,
        title="Add a search page",
        description="Visitors should search the articles",
        rationale="Support asks for it",
        affected_expectations=affected,
    )


def later_date() -> ProposedRevision:
    return ProposedRevision(
        expectation_id=MILESTONE, value=ExpectationValue(date=date(2026, 4, 15))
    )


def assess(cr: ChangeRequest, *, party: Party = Party.TEAM, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "scope_impact": "One more page",
        "schedule_delta_days": 14,
        "cost_delta": Money(amount=Decimal("3000"), currency="EUR"),
        "revisions": (later_date(),),
    }
    fields.update(overrides)
    cr.assess_impact(act(PM), party=party, **fields)


def assessed() -> ChangeRequest:
    cr = requested()
    assess(cr)
    return cr


def approved() -> ChangeRequest:
    cr = assessed()
    cr.approve(act(APPROVER), approver_role=Role.CLIENT_APPROVER)
    return cr


def event_names(cr: ChangeRequest) -> list[str]:
    return [type(e).__name__ for e in cr.collect_events()]


def test_a_request_records_who_asked_and_their_side() -> None:
    cr = requested(by=act(PM, for_=CLIENT), affected=(MILESTONE, SCOPE))
    assert cr.state is ChangeRequestState.REQUESTED
    assert cr.is_pending
    assert cr.requested_by == CLIENT
    assert cr.requesting_party is Party.CLIENT
    assert cr.affected_expectations == (MILESTONE, SCOPE)
    assert cr.revisions == ()
    (event,) = cr.collect_events()
    assert isinstance(event, ChangeRequest.Requested)
    assert (event.actor, event.attributed_to) == (PM, CLIENT)


def test_a_request_may_affect_no_existing_expectation() -> None:
    assert requested(affected=()).affected_expectations == ()


def test_a_request_naming_an_expectation_twice_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="affected_expectations"):
        requested(affected=(MILESTONE, MILESTONE))


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_request_needs_a_title_and_a_description(field: str) -> None:
    fields: dict[str, Any] = {"title": "t", "description": "d", "rationale": ""}
    fields[field] = " "
    with pytest.raises(InvalidInputError, match=field):
        ChangeRequest.request(
            act(), id=uuid4(), project_id=uuid4(), requesting_party=Party.CLIENT, **fields
        )


# ---------------------------------------------------------------------------- assessment


def test_the_team_assesses_the_impact() -> None:
    cr = assessed()
    assert cr.state is ChangeRequestState.ASSESSED
    assert cr.assessments == 1
    assert (cr.scope_impact, cr.schedule_delta_days) == ("One more page", 14)
    assert cr.cost_delta == Money(amount=Decimal("3000"), currency="EUR")
    assert cr.revisions == (later_date(),)


def test_a_later_assessment_replaces_the_earlier() -> None:
    cr = assessed()
    withdraw_it = ProposedRevision(expectation_id=MILESTONE, withdraw=True)
    assess(cr, schedule_delta_days=-3, cost_delta=None, revisions=(withdraw_it,))
    assert cr.assessments == 2
    assert cr.schedule_delta_days == -3
    assert cr.cost_delta is None
    assert cr.revisions == (withdraw_it,)
    assert event_names(cr) == ["Requested", "ImpactAssessed", "ImpactAssessed"]


@pytest.mark.parametrize("party", [Party.CLIENT, Party.THIRD_PARTY])
def test_only_the_team_side_assesses(party: Party) -> None:
    cr = requested()
    with pytest.raises(NotPermittedError, match="team side"):
        assess(cr, party=party)


def test_revisions_must_name_affected_expectations_once() -> None:
    cr = requested()
    stranger = ProposedRevision(expectation_id=uuid4(), withdraw=True)
    with pytest.raises(InvalidInputError, match=r"revisions\[0\]\.expectation_id: is not one"):
        assess(cr, revisions=(stranger,))
    with pytest.raises(
        InvalidInputError, match=r"revisions\[1\]\.expectation_id: is revised twice"
    ):
        assess(cr, revisions=(later_date(), later_date()))


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"scope_impact": ""}, "scope_impact"),
        ({"schedule_delta_days": 1.5}, "schedule_delta_days"),
        ({"schedule_delta_days": True}, "schedule_delta_days"),
    ],
)
def test_malformed_assessments_are_refused(fields: dict[str, Any], match: str) -> None:
    cr = requested()
    with pytest.raises(InvalidInputError, match=match):
        assess(cr, **fields)


def test_a_proposed_revision_is_a_value_or_a_withdrawal() -> None:
    with pytest.raises(InvalidInputError, match="withdraw"):
        ProposedRevision.parse({"expectation_id": str(MILESTONE)}, "revisions[0]")
    with pytest.raises(InvalidInputError, match="carries no value"):
        ProposedRevision.parse(
            {"expectation_id": str(MILESTONE), "value": {"text": "x"}, "withdraw": True}, "r"
        )
    parsed = ProposedRevision.parse(
        {"expectation_id": str(MILESTONE), "value": {"date": "2026-04-15"}}, "r"
    )
    assert parsed == later_date()


def test_an_assessment_without_revisions_is_allowed() -> None:
    cr = requested()
    assess(cr, revisions=(), cost_delta=None, schedule_delta_days=0)
    assert cr.state is ChangeRequestState.ASSESSED


# ------------------------------------------------------------------------------ approval


def test_a_client_approver_approves_after_assessment_with_the_latest_revisions() -> None:
    cr = assessed()
    cr.approve(act(PM, for_=APPROVER), approver_role=Role.CLIENT_APPROVER, conditions="by May")
    assert cr.state is ChangeRequestState.APPROVED
    assert cr.conditions == "by May"
    event = cr.collect_events()[-1]
    assert isinstance(event, ChangeRequest.Approved)
    assert event.revisions == (later_date(),)
    assert event.attributed_to == APPROVER


def test_approval_before_assessment_is_refused() -> None:
    cr = requested()
    with pytest.raises(InvalidTransitionError, match="before its impact is assessed"):
        cr.approve(act(APPROVER), approver_role=Role.CLIENT_APPROVER)


@pytest.mark.parametrize(
    "role", [Role.TEAM_MANAGER, Role.TEAM_MEMBER, Role.CLIENT_MEMBER, Role.AUDITOR]
)
def test_only_a_client_approver_approves_or_rejects(role: Role) -> None:
    cr = assessed()
    with pytest.raises(NotPermittedError, match="client approver"):
        cr.approve(act(PM), approver_role=role)
    with pytest.raises(NotPermittedError, match="client approver"):
        cr.reject(act(PM), approver_role=role, reason="no")
    assert cr.state is ChangeRequestState.ASSESSED


def test_rejection_needs_no_assessment_but_a_reason() -> None:
    cr = requested()
    with pytest.raises(InvalidInputError, match="reason"):
        cr.reject(act(APPROVER), approver_role=Role.CLIENT_APPROVER, reason="")
    cr.reject(act(APPROVER), approver_role=Role.CLIENT_APPROVER, reason="Not this year")
    assert cr.state is ChangeRequestState.REJECTED


def test_an_assessed_request_can_be_rejected() -> None:
    cr = assessed()
    cr.reject(act(APPROVER), approver_role=Role.CLIENT_APPROVER, reason="Too expensive")
    assert cr.state is ChangeRequestState.REJECTED


# ---------------------------------------------------------------------------- withdrawal


@pytest.mark.parametrize("make", [requested, assessed])
def test_the_requesting_side_withdraws_while_pending(make: Callable[[], ChangeRequest]) -> None:
    cr = make()
    cr.withdraw(act(APPROVER), party=Party.CLIENT, reason="Solved otherwise")
    assert cr.state is ChangeRequestState.WITHDRAWN


@pytest.mark.parametrize("party", [Party.TEAM, Party.THIRD_PARTY])
def test_the_other_side_cannot_withdraw(party: Party) -> None:
    cr = requested()
    with pytest.raises(NotPermittedError, match="requesting side"):
        cr.withdraw(act(PM), party=party, reason="x")


def test_withdrawal_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        requested().withdraw(act(), party=Party.CLIENT, reason="")


# ------------------------------------------------------------------------ implementation


def test_an_approved_change_is_implemented() -> None:
    cr = approved()
    evidence = Source(kind=SourceKind.INTERACTION, id=uuid4())
    cr.mark_implemented(act(DEV), note="Search is live", evidence=evidence)
    assert cr.state is ChangeRequestState.IMPLEMENTED
    event = cr.collect_events()[-1]
    assert isinstance(event, ChangeRequest.Implemented)
    assert (event.note, event.evidence) == ("Search is live", evidence)


@pytest.mark.parametrize("make", [requested, assessed])
def test_only_an_approved_change_is_implemented(make: Callable[[], ChangeRequest]) -> None:
    with pytest.raises(InvalidTransitionError, match="only an approved change"):
        make().mark_implemented(act(DEV))


# ------------------------------------------------------------------- never going backwards


def _rejected() -> ChangeRequest:
    cr = requested()
    cr.reject(act(APPROVER), approver_role=Role.CLIENT_APPROVER, reason="no")
    return cr


def _withdrawn() -> ChangeRequest:
    cr = requested()
    cr.withdraw(act(), party=Party.CLIENT, reason="no")
    return cr


def _implemented() -> ChangeRequest:
    cr = approved()
    cr.mark_implemented(act(DEV))
    return cr


@pytest.mark.parametrize("make", [approved, _rejected, _withdrawn, _implemented])
def test_a_decided_request_takes_no_pending_step(make: Callable[[], ChangeRequest]) -> None:
    cr = make()
    state = cr.state
    with pytest.raises(InvalidTransitionError, match="cannot assess"):
        assess(cr)
    with pytest.raises(InvalidTransitionError, match="cannot approve"):
        cr.approve(act(APPROVER), approver_role=Role.CLIENT_APPROVER)
    with pytest.raises(InvalidTransitionError, match="cannot reject"):
        cr.reject(act(APPROVER), approver_role=Role.CLIENT_APPROVER, reason="no")
    with pytest.raises(InvalidTransitionError, match="cannot withdraw"):
        cr.withdraw(act(), party=Party.CLIENT, reason="no")
    assert cr.state is state


@pytest.mark.parametrize("make", [_rejected, _withdrawn, _implemented])
def test_only_an_approved_request_is_implemented_once(make: Callable[[], ChangeRequest]) -> None:
    with pytest.raises(InvalidTransitionError, match="only an approved change"):
        make().mark_implemented(act(DEV))


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    cr = assessed()
    assess(cr, schedule_delta_days=3)
    cr.approve(act(APPROVER), approver_role=Role.CLIENT_APPROVER)
    copy: Any = None
    for event in cr.collect_events():
        copy = event.mutate(copy)
    assert (copy.state, copy.assessments, copy.revisions) == (
        ChangeRequestState.APPROVED,
        2,
        (later_date(),),
    )
