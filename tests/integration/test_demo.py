"""The demo project: the story it tells, and that recording it twice adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.domain.commitment import Commitment, CommitmentState
from ledger.domain.expectation import Expectation
from ledger.domain.project import Project
from ledger.interchange.demo import CLIENT, PM, SPONSOR, record_demo
from ledger.service.application import Ledger


def aggregates(ledger: Ledger) -> dict[object, object]:
    ids = {n.originator_id for n in ledger.recorder.select_notifications(1, 100_000)}
    return {i: ledger.repository.get(i) for i in ids}


def test_demo_twice_records_it_once(ledger: Ledger) -> None:
    first = record_demo(ledger)
    stored = ledger.recorder.max_notification_id()
    again = record_demo(ledger)
    assert again.project_id == first.project_id
    assert ledger.recorder.max_notification_id() == stored
    projects = [a for a in aggregates(ledger).values() if isinstance(a, Project)]
    assert [p.name for p in projects] == ["Northwind customer portal"]


def test_demo_tells_its_story(ledger: Ledger) -> None:
    record_demo(ledger)
    everything = list(aggregates(ledger).values())
    commitments = [a for a in everything if isinstance(a, Commitment)]
    now = datetime.now(UTC)
    overdue = [c for c in commitments if c.is_live and c.due_at is not None and c.due_at < now]
    assert [(c.promisor, c.statement) for c in overdue] == [
        (CLIENT, "Provide brand guidelines and logo files")
    ]
    accepted = [c for c in commitments if c.state is CommitmentState.ACCEPTED]
    assert len(accepted) == 2
    assert all(SPONSOR in c.acknowledged_by for c in accepted)
    beta = next(a for a in everything if isinstance(a, Expectation) and a.title == "Beta release")
    assert beta.version == 3  # proposed and agreed at the kickoff, revised by the change
    assert len(beta.change_request_ids) == 1
    original = next(iter(ledger.events.get(beta.id, lte=1)))
    assert beta.value.date is not None
    assert beta.value.date - original.value.date == timedelta(days=14)  # type: ignore[attr-defined]
    project = next(a for a in everything if isinstance(a, Project))
    assert project.cadences[0].kind == "weekly_report"
    assert project.members[PM].role.value == "team_manager"
