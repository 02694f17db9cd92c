"""The runner: exactly once under re-delivery and crashes, rebuild without downtime,
read-your-writes, several runners at once."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

from ledger.domain.commitment import Commitment
from ledger.interchange.demo import PM, SPONSOR
from ledger.service.application import Ledger
from projections.asof import LiveViews
from projections.audit import AuditProjection
from projections.framework import View
from projections.open_items import OpenItemsProjection
from projections.runner import ALL_PROJECTIONS, ProjectionRunner
from tests.projections.helpers import dump, dump_generation
from tests.scenarios import record_tour


def test_a_redelivered_batch_changes_nothing(ledger: Ledger, runner: ProjectionRunner) -> None:
    record_tour(ledger)
    runner.catch_up()
    before = dump(LiveViews(runner), runner)
    events = [
        (n.id, ledger.mapper.to_domain_event(n))
        for n in ledger.recorder.select_notifications(start=1, limit=50)
    ]
    for name in runner.projections:
        generation = runner.active_generation(name)
        # Re-deliver the first 50 events as if the view were still at position 0.
        assert runner._apply(name, generation, 0, events) is False
    assert dump(LiveViews(runner), runner) == before
    assert runner.position() == ledger.recorder.max_notification_id()


class Crashing(OpenItemsProjection):
    """Open items that crash on the 3rd commitment they see (a bug, a lost connection...)."""

    seen = 0

    def handle(self, view: View, event: Any, position: int) -> None:
        if isinstance(event, Commitment.Made):
            Crashing.seen += 1
            if Crashing.seen == 3:
                raise RuntimeError("crash between events")
        super().handle(view, event, position)


def test_a_crash_between_events_loses_nothing(ledger: Ledger, database_url: str) -> None:
    record_tour(ledger)
    crashing = ProjectionRunner(ledger, projections=[Crashing], batch_size=500)
    try:
        Crashing.seen = 0
        with pytest.raises(RuntimeError, match="crash between events"):
            crashing.catch_up()
        assert crashing.position() == 0  # the whole batch rolled back
        assert dump(LiveViews(crashing), crashing)["open_items"] == []
        crashing.catch_up()  # the "fixed" process starts again (seen is past 3 now)
        recovered = dump(LiveViews(crashing), crashing)
    finally:
        crashing.close()
    clean_ledger = Ledger(database_url)
    clean = ProjectionRunner(clean_ledger, projections=[OpenItemsProjection])
    try:
        clean.rebuild("open_items")
        assert dump(LiveViews(clean), clean) == recovered
    finally:
        clean.close()
        clean_ledger.close()


def test_rebuild_gives_the_live_rows_and_keeps_serving(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    record_tour(ledger)
    runner.catch_up()
    live_rows = {name: dump_generation(runner, name, 1) for name in runner.projections}
    for name in runner.projections:
        served: list[int] = []

        def progress(
            position: int, head: int, name: str = name, served: list[int] = served
        ) -> None:
            # While the new generation fills, the live one still answers.
            served.append(runner.active_generation(name))

        assert runner.rebuild(name, progress) == 2
        assert set(served) == {1}
        assert dump_generation(runner, name, 2) == live_rows[name]
        assert runner.active_generation(name) == 2
    # New events after the switch land in the new generation.
    project = record_tour(ledger, close=False)
    runner.catch_up()
    assert runner.position() == ledger.recorder.max_notification_id()
    assert any(
        str(project) in str(row) for row in dump_generation(runner, "audit", 2)["audit_events"]
    )
    # A third rebuild drops generation 1, keeps 2 for readers that were on it.
    runner.rebuild("audit")
    generations = [g for g, _, _ in runner._generations("audit")]
    assert generations == [2, 3]


def test_wait_for_a_commands_position(ledger: Ledger, runner: ProjectionRunner) -> None:
    project = ledger.open_project(PM, name="W", client_org="C", team_org="A").id
    ledger.add_member(PM, project, email=SPONSOR, name="S", party="client", role="client_approver")
    recorded = ledger.make_commitment(PM, project, promisor=PM, promisee=SPONSOR, statement="s")
    assert runner.wait_for(recorded.position, timeout=0.05) is False
    thread = runner.start_in_background(poll_interval=0.01)
    try:
        assert runner.wait_for(recorded.position, timeout=10) is True
        assert runner.position() >= recorded.position
    finally:
        runner.stop()
        thread.join(timeout=5)


def test_two_runners_at_once_apply_each_event_once(ledger: Ledger, database_url: str) -> None:
    record_tour(ledger)
    other_ledger = Ledger(database_url)
    first = ProjectionRunner(ledger, batch_size=5)
    second = ProjectionRunner(other_ledger, batch_size=5)
    try:
        errors: list[BaseException] = []

        def run(r: ProjectionRunner) -> None:
            try:
                r.catch_up()
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(r,)) for r in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        both = dump(LiveViews(first), first)
    finally:
        first.close()
        second.close()
        other_ledger.close()
    clean = ProjectionRunner(ledger, projections=ALL_PROJECTIONS)
    try:
        for name in clean.projections:
            clean.rebuild(name)
        assert dump(LiveViews(clean), clean) == both
    finally:
        clean.close()


def test_a_crash_in_one_view_rolls_back_the_batch_of_every_view(ledger: Ledger) -> None:
    record_tour(ledger)
    crashing = ProjectionRunner(ledger, projections=[AuditProjection, Crashing], batch_size=500)
    try:
        Crashing.seen = 0
        with pytest.raises(RuntimeError, match="crash between events"):
            crashing.catch_up()
        # The audit view was applied before open items crashed, in the same transaction.
        assert crashing.position(["audit"]) == 0
        assert dump(LiveViews(crashing), crashing)["audit_events"] == []
        assert gc.isenabled()  # the collector paused for the batch runs again
        crashing.catch_up()
        assert crashing.position() == ledger.recorder.max_notification_id()
    finally:
        crashing.close()


def test_a_view_another_runner_moved_is_skipped_the_others_applied(
    ledger: Ledger, runner: ProjectionRunner
) -> None:
    record_tour(ledger)
    events = [
        (n.id, ledger.mapper.to_domain_event(n))
        for n in ledger.recorder.select_notifications(start=1, limit=30)
    ]
    # Another runner applied the first 30 events to the audit view.
    assert runner._apply("audit", 1, 0, events) is True
    audit_before = dump_generation(runner, "audit", 1)
    # This runner still believes every view is at 0: audit is skipped, the others applied.
    stale = [(name, 1, 0) for name in runner.projections]
    applied = runner._apply_all(stale, events)
    assert [name for name, _ in applied] == sorted(n for n in runner.projections if n != "audit")
    assert dump_generation(runner, "audit", 1) == audit_before
    runner.catch_up()
    live = dump(LiveViews(runner), runner)
    for name in runner.projections:
        runner.rebuild(name)
    assert dump(LiveViews(runner), runner) == live


def test_a_view_built_with_other_tables_is_built_again_from_zero(
    ledger: Ledger, database_url: str
) -> None:
    """After an upgrade that changes a view's tables, the runner does not write into the old
    ones: the view gets a new generation, caught up from position zero, equal to a fresh one."""
    record_tour(ledger)
    first = ProjectionRunner(ledger)
    try:
        first.catch_up()
        expected = dump(LiveViews(first), first)
        generations = {name: first.active_generation(name) for name in first.projections}
        # As if the audit view had been built by an older release (another layout), and the
        # open items view before layouts were recorded at all.
        first.db.execute_script(
            [
                "UPDATE projection_layouts SET layout = 'older' WHERE view = 'audit'",
                "DELETE FROM projection_layouts WHERE view = 'open_items'",
            ]
        )
    finally:
        first.close()
    again = ProjectionRunner(ledger)
    try:
        moved = {n for n in again.projections if again.active_generation(n) != generations[n]}
        assert moved == {"audit", "open_items"}
        positions = {s.name: s.position for s in again.status()}
        assert positions["audit"] == positions["open_items"] == 0
        assert positions["commitments"] == ledger.recorder.max_notification_id()
        again.catch_up()
        assert dump(LiveViews(again), again) == expected
    finally:
        again.close()
    unchanged = ProjectionRunner(ledger)  # the same code again: nothing is rebuilt
    try:
        assert {n: unchanged.active_generation(n) for n in unchanged.projections} == {
            **generations,
            "audit": generations["audit"] + 1,
            "open_items": generations["open_items"] + 1,
        }
    finally:
        unchanged.close()
