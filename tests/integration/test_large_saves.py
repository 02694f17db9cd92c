"""Large atomic saves: a thousand long emails, ten thousand small events, in one save each
(SQLite and PostgreSQL). On PostgreSQL, eventsourcing's pipelined insert stalled for ever at
these sizes (see ledger/postgres_recorder.py); a stall fails here instead of hanging CI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar
from uuid import uuid4

import pytest

from ledger.domain.errors import ConflictError
from ledger.domain.interaction import Interaction
from ledger.service.application import Ledger

PM = "pm@team.test"
T = TypeVar("T")


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, or a test failure if it has not returned after ``seconds``."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as e:  # handed to the test's thread
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the save did not finish within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def test_a_thousand_long_emails_in_one_save(ledger: Ledger) -> None:
    project_id = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
    before = ledger.recorder.max_notification_id() or 0
    items = [
        {
            "channel": "email",
            "subject": f"Report {i}",
            "summary": f"{i} " + "long line of the report " * 780,  # ~19 KB each, ~19 MB
            "from_address": "client@client.test",
            "source_ref": f"report-{i}@client.test",
        }
        for i in range(1_000)
    ]
    recorded = within(120, lambda: ledger.record_interactions(PM, project_id, items))
    positions = [r.position for r in recorded]
    assert positions == list(range(before + 1, before + 1_001))
    last = ledger.get_interaction(project_id, recorded[-1].id)
    assert last.summary.startswith("999 long line")
    assert len(last.summary) > 18_000


def test_ten_thousand_events_in_one_save_and_a_conflict_stores_none(ledger: Ledger) -> None:
    project_id = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
    _, act = ledger.act_in(project_id, PM)

    def batch(n: int) -> list[Interaction]:
        return [
            Interaction.record(
                act,
                id=uuid4(),
                project_id=project_id,
                channel="phone",
                subject=f"call {i}",
                summary="s",
                from_address=PM,
            )
            for i in range(n)
        ]

    before = ledger.recorder.max_notification_id() or 0
    first = batch(10_000)
    within(120, lambda: ledger.save_changes(*first))
    assert ledger.recorder.max_notification_id() == before + 10_000

    # The same size again, one of them with the id of a stored item: nothing of it is stored.
    second = batch(10_000)
    clash = Interaction.record(
        act,
        id=first[0].id,
        project_id=project_id,
        channel="phone",
        subject="x",
        summary="",
        from_address=PM,
    )
    with pytest.raises(ConflictError):
        within(120, lambda: ledger.save_changes(*second, clash))
    assert ledger.recorder.max_notification_id() == before + 10_000
    assert ledger.get_interaction(project_id, first[0].id).subject == "call 0"
