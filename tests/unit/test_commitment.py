"""Commitment lifecycle: every allowed step and every refused one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from ledger.domain.commitment import Commitment, CommitmentState
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotPermittedError
from ledger.domain.values import Source, SourceKind

PM = "pm@acme.test"
CLIENT = "sponsor@client.test"
OTHER = "dev@acme.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def act(who: str, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def made(**overrides: object) -> Commitment:
    fields: dict[str, object] = {
        "id": uuid4(),
        "project_id": uuid4(),
        "promisor": PM,
        "promisee": CLIENT,
        "statement": "Deliver the revised wireframes",
        "due_at": NOW + timedelta(days=7),
        "source": Source(kind=SourceKind.MEETING, id=uuid4()),
    }
    fields.update(overrides)
    return Commitment.make(act(PM), **fields)  # type: ignore[arg-type]


def event_names(c: Commitment) -> list[str]:
    return [type(e).__name__ for e in c.collect_events()]


def test_made_commitment_is_open_with_its_terms_and_envelope() -> None:
    c = made()
    assert c.state is CommitmentState.OPEN
    assert c.statement == "Deliver the revised wireframes"
    (event,) = c.collect_events()
    assert isinstance(event, Commitment.Made)
    assert event.actor == PM
    assert event.attributed_to is None
    assert event.occurred_at == NOW
    assert event.project_id == c.project_id


def test_a_commitment_to_oneself_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="promisee"):
        made(promisee=PM)


def test_naive_due_date_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="due_at"):
        made(due_at=datetime(2026, 3, 8, 10, 0))


def test_both_sides_acknowledge_once_each_in_person() -> None:
    c = made()
    c.acknowledge(act(CLIENT))
    c.acknowledge(act(PM))
    assert c.acknowledged_by == (CLIENT, PM)
    with pytest.raises(InvalidTransitionError, match="already acknowledged"):
        c.acknowledge(act(CLIENT))


def test_acknowledgement_on_someone_elses_behalf_is_refused() -> None:
    with pytest.raises(NotPermittedError, match="themself"):
        made().acknowledge(act(PM, for_=CLIENT))


def test_a_bystander_cannot_acknowledge() -> None:
    with pytest.raises(NotPermittedError):
        made().acknowledge(act(OTHER))


def test_fulfil_then_accept() -> None:
    c = made()
    c.fulfil(act(PM), note="sent", evidence=Source(kind=SourceKind.DOCUMENT, sha256="a" * 64))
    assert c.state is CommitmentState.FULFILLED
    c.accept_fulfilment(act(CLIENT))
    assert c.state is CommitmentState.ACCEPTED
    assert event_names(c) == ["Made", "Fulfilled", "FulfilmentAccepted"]


def test_fulfilment_recorded_for_the_promisor_by_someone_else() -> None:
    c = made(promisor=OTHER)
    c.fulfil(act(PM, for_=OTHER))
    assert c.state is CommitmentState.FULFILLED


def test_disputed_fulfilment_can_be_fulfilled_again() -> None:
    c = made()
    c.fulfil(act(PM))
    c.dispute_fulfilment(act(CLIENT), reason="two screens missing")
    assert c.state is CommitmentState.FULFILMENT_DISPUTED
    c.fulfil(act(PM), note="all screens")
    c.accept_fulfilment(act(CLIENT))
    assert c.state is CommitmentState.ACCEPTED


def test_a_withdrawn_commitment_cannot_be_fulfilled() -> None:
    c = made()
    c.withdraw(act(PM), reason="scope moved to phase 2")
    with pytest.raises(InvalidTransitionError, match="withdrawn"):
        c.fulfil(act(PM))


@pytest.mark.parametrize(
    ("step", "who"),
    [
        (lambda c, a: c.fulfil(a), CLIENT),
        (lambda c, a: c.withdraw(a, reason="x"), CLIENT),
        (lambda c, a: c.release(a, reason="x"), PM),
    ],
    ids=["client-fulfils", "client-withdraws", "promisor-releases"],
)
def test_steps_of_the_wrong_side_are_refused(
    step: Callable[[Commitment, Act], None], who: str
) -> None:
    with pytest.raises(NotPermittedError):
        step(made(), act(who))


@pytest.mark.parametrize(
    "step",
    [
        lambda c: c.accept_fulfilment(act(CLIENT)),
        lambda c: c.dispute_fulfilment(act(CLIENT), reason="x"),
    ],
    ids=["accept", "dispute"],
)
def test_acceptance_and_dispute_need_a_fulfilment(step: Callable[[Commitment], None]) -> None:
    with pytest.raises(InvalidTransitionError, match="open"):
        step(made())


@pytest.mark.parametrize(
    "close",
    [
        lambda c: c.withdraw(act(PM), reason="x"),
        lambda c: c.release(act(CLIENT), reason="x"),
        lambda c: (c.fulfil(act(PM)), c.accept_fulfilment(act(CLIENT))),
    ],
    ids=["withdrawn", "released", "accepted"],
)
def test_closed_commitments_never_go_back(close: Callable[[Commitment], object]) -> None:
    c = made()
    close(c)
    for step in (
        lambda: c.fulfil(act(PM)),
        lambda: c.withdraw(act(PM), reason="x"),
        lambda: c.release(act(CLIENT), reason="x"),
        lambda: c.acknowledge(act(CLIENT)),
        lambda: c.propose_renegotiation(act(PM), reason="x", due_at=NOW),
    ):
        with pytest.raises(InvalidTransitionError):
            step()


def test_renegotiation_agreed_by_the_other_side_changes_the_terms() -> None:
    c = made()
    new_due = NOW + timedelta(days=14)
    c.propose_renegotiation(act(PM), reason="designer ill", due_at=new_due)
    with pytest.raises(InvalidTransitionError, match="already proposed"):
        c.propose_renegotiation(act(CLIENT), reason="x", statement="y")
    with pytest.raises(NotPermittedError, match="other side"):
        c.agree_renegotiation(act(PM))
    c.agree_renegotiation(act(CLIENT))
    assert c.due_at == new_due
    assert c.statement == "Deliver the revised wireframes"
    assert c.proposal is None
    events = c.collect_events()
    renegotiated = events[-1]
    assert isinstance(renegotiated, Commitment.Renegotiated)
    assert (renegotiated.proposed_by, renegotiated.agreed_by) == (PM, CLIENT)


def test_declined_renegotiation_keeps_the_old_terms() -> None:
    c = made()
    old_due = c.due_at
    c.propose_renegotiation(act(CLIENT), reason="need it sooner", due_at=NOW + timedelta(days=2))
    c.decline_renegotiation(act(PM), reason="not feasible")
    assert c.due_at == old_due
    with pytest.raises(InvalidTransitionError, match="no new terms"):
        c.agree_renegotiation(act(PM))


def test_renegotiation_must_change_something() -> None:
    with pytest.raises(InvalidInputError):
        made().propose_renegotiation(act(PM), reason="just because")


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    c = made()
    c.acknowledge(act(CLIENT))
    c.propose_renegotiation(act(PM), reason="r", statement="Deliver wireframes and copy")
    c.agree_renegotiation(act(CLIENT))
    c.fulfil(act(PM))
    events = c.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(c)
