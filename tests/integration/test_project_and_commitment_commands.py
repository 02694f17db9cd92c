"""Project and commitment commands against real storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from ledger.domain.commitment import CommitmentNotFoundError, CommitmentState
from ledger.domain.envelope import Act
from ledger.domain.errors import ConflictError, InvalidInputError, NotPermittedError
from ledger.domain.project import NotAMemberError, ProjectNotFoundError
from ledger.service.application import Ledger, VersionMismatchError
from tests.builders import AUDITOR, DEV, PM, SPONSOR, positions, project_with_members


def test_opening_with_the_same_idempotency_key_stores_nothing_twice(ledger: Ledger) -> None:
    first = ledger.open_project(PM, name="W", client_org="C", team_org="A", idempotency_key="k-1")
    stored = positions(ledger)
    again = ledger.open_project(PM, name="W", client_org="C", team_org="A", idempotency_key="k-1")
    assert again.id == first.id
    assert again.position == 0
    assert positions(ledger) == stored
    other = ledger.open_project(PM, name="W", client_org="C", team_org="A", idempotency_key="k-2")
    assert other.id != first.id


def test_only_a_team_manager_manages_members(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    with pytest.raises(NotPermittedError, match="team manager"):
        ledger.add_member(
            DEV, project_id, email="x@acme.test", name="X", party="team", role="team_member"
        )
    with pytest.raises(InvalidInputError, match="role"):
        ledger.add_member(PM, project_id, email="x@acme.test", name="X", party="team", role="boss")


def test_commitment_lifecycle_is_stored_and_read_back(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    due = datetime.now(UTC) + timedelta(days=7)
    made = ledger.make_commitment(
        PM,
        project_id,
        promisor=DEV,
        promisee=SPONSOR,
        statement="Wireframes",
        due_at=due,
        attributed_to=DEV,
    )
    ledger.acknowledge_commitment(SPONSOR, project_id, made.id)
    ledger.fulfil_commitment(PM, project_id, made.id, note="sent", attributed_to=DEV)
    done = ledger.accept_fulfilment(SPONSOR, project_id, made.id, expected_version=3)
    assert done.version == 4
    assert done.position == positions(ledger)
    commitment = ledger.get_commitment(project_id, made.id)
    assert commitment.state is CommitmentState.ACCEPTED
    assert commitment.due_at == due
    stored = ledger.events.get(made.id)
    made_event = next(iter(stored))
    assert (made_event.actor, made_event.attributed_to) == (PM, DEV)  # type: ignore[attr-defined]


def test_promisee_must_be_a_member(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    with pytest.raises(NotAMemberError, match="promisee"):
        ledger.make_commitment(PM, project_id, promisor=PM, promisee="x@else.test", statement="s")


def test_auditors_and_strangers_cannot_record(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    with pytest.raises(NotPermittedError, match="auditor"):
        ledger.make_commitment(AUDITOR, project_id, promisor=PM, promisee=SPONSOR, statement="s")
    with pytest.raises(NotAMemberError):
        ledger.make_commitment(
            "x@else.test", project_id, promisor=PM, promisee=SPONSOR, statement="s"
        )


def test_items_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    made = ledger.make_commitment(PM, first, promisor=PM, promisee=SPONSOR, statement="s")
    with pytest.raises(CommitmentNotFoundError):
        ledger.get_commitment(second, made.id)
    with pytest.raises(CommitmentNotFoundError):
        ledger.acknowledge_commitment(SPONSOR, second, made.id)
    with pytest.raises(ProjectNotFoundError):
        ledger.get_project(made.id)
    with pytest.raises(ProjectNotFoundError):
        ledger.get_project(uuid4())


def test_a_stale_expected_version_is_refused_and_nothing_stored(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    made = ledger.make_commitment(PM, project_id, promisor=PM, promisee=SPONSOR, statement="s")
    ledger.acknowledge_commitment(SPONSOR, project_id, made.id)
    stored = positions(ledger)
    with pytest.raises(VersionMismatchError) as e:
        ledger.fulfil_commitment(PM, project_id, made.id, expected_version=1)
    assert (e.value.expected, e.value.actual) == (1, 2)
    assert positions(ledger) == stored


def test_concurrent_writers_conflict_and_neither_event_is_lost(database_url: str) -> None:
    """Two processes' applications on one database: the loser gets ConflictError, and a retry
    sees the winner's event (the cache fast-forwards)."""
    first, second = Ledger(database_url), Ledger(database_url)
    try:
        project_id = project_with_members(first)
        made = first.make_commitment(PM, project_id, promisor=PM, promisee=SPONSOR, statement="s")
        a = first.get_commitment(project_id, made.id)
        b = second.get_commitment(project_id, made.id)
        a.acknowledge(Act(SPONSOR))
        b.acknowledge(Act(PM))
        first.save_changes(a)
        with pytest.raises(ConflictError):
            second.save_changes(b)
        second.acknowledge_commitment(PM, project_id, made.id)
        assert second.get_commitment(project_id, made.id).acknowledged_by == (SPONSOR, PM)
        assert first.get_commitment(project_id, made.id).acknowledged_by == (SPONSOR, PM)
    finally:
        first.close()
        second.close()


def test_the_team_cannot_propose_new_terms_as_the_client_and_agree_to_them(
    ledger: Ledger,
) -> None:
    """Proposing terms is agreeing to them: a proposal recorded "as" the other side would let
    one side renegotiate alone. The same side may record for a colleague; a delegate may."""
    project_id = project_with_members(ledger)
    c = ledger.make_commitment(PM, project_id, promisor=DEV, promisee=SPONSOR, statement="S").id
    stored = positions(ledger)
    with pytest.raises(NotPermittedError, match=f"consent of {SPONSOR}") as refused:
        ledger.propose_commitment_renegotiation(
            DEV, project_id, c, reason="r", due_at=datetime.now(UTC) + timedelta(days=9),
            attributed_to=SPONSOR,
        )  # fmt: skip
    assert refused.value.field == "attributed_to"
    assert positions(ledger) == stored
    # A colleague on the promisor's own side may record the promisor's proposal.
    ledger.propose_commitment_renegotiation(
        PM, project_id, c, reason="r", due_at=datetime.now(UTC) + timedelta(days=9),
        attributed_to=DEV,
    )  # fmt: skip
    agreed = ledger.agree_commitment_renegotiation(SPONSOR, project_id, c)
    event = list(ledger.events.get(c))[-1]
    assert (event.actor, event.agreed_by, event.proposed_by) == (SPONSOR, SPONSOR, DEV)  # type: ignore[attr-defined]
    assert agreed.version == 3
