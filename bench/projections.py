"""Projection throughput and query latency on a generated ledger.

    .venv/bin/python bench/projections.py [--events 1000000] [--projects 1000] [--seed 7]
                                           [--big-project 10000] [--database-url URL]

Generates (deterministically, from ``--seed``) a ledger of ``--events`` events spread over
``--projects`` projects, plus one project of ``--big-project`` events, by driving the domain
aggregates directly and saving them in large batches (the commands' checks are not what is
measured here). Then prints JSON with:

* ``catch_up`` — the runner building every view from zero, events/s, beside a raw
  read-and-decode of the same notifications in the same run (``select_notifications`` pages
  + ``mapper.to_domain_event``): the target ratio is >= 0.25;
* ``queries`` — p50/p99 of the open-items, expectations and audit (first page) queries for
  random projects (target p99 < 20 ms on SQLite);
* ``as_of`` — open items as of an instant for the big project, replayed in memory (target
  < 250 ms).

Without ``--database-url`` it writes a fresh SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.domain.acknowledgement import AcknowledgementRequest, AcknowledgementSubjectKind
from ledger.domain.change_request import ChangeRequest, ProposedRevision
from ledger.domain.commitment import Commitment
from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.expectation import (
    Expectation,
    ExpectationKind,
    ExpectationValue,
    RevisionCause,
)
from ledger.domain.interaction import Interaction
from ledger.domain.issue import Issue, IssueKind, Severity
from ledger.domain.project import Cadence, Channel, Project
from ledger.domain.roles import Party, Role
from ledger.domain.status_report import StatusReport
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.runner import ProjectionRunner

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class ProjectGenerator:
    """One project's history, built through the aggregates' own methods."""

    def __init__(self, rnd: random.Random, index: int) -> None:
        self.rnd = rnd
        self.index = index
        domain = f"p{index}.example"
        self.pm, self.dev = f"pm@team-{domain}", f"dev@team-{domain}"
        self.sponsor, self.client = f"sponsor@client-{domain}", f"contact@client-{domain}"
        self.t = START + timedelta(hours=rnd.uniform(0, 24 * 200))
        self.pending: list[LedgerAggregate] = []
        self.events = 0

    def act(self, who: str, *, for_: str | None = None) -> Act:
        self.t += timedelta(minutes=self.rnd.uniform(1, 240))
        return Act(who, occurred_at=self.t, attributed_to=for_, now=self.t + timedelta(days=1))

    def keep(self, aggregate: LedgerAggregate) -> LedgerAggregate:
        self.pending.append(aggregate)
        return aggregate

    def build(self, target: int) -> list[LedgerAggregate]:
        rnd = self.rnd
        project = Project.open(
            self.act(self.pm),
            id=uuid4(),
            name=f"Project {self.index}",
            client_org="Client",
            team_org="Team",
        )
        for email, party, role in (
            (self.pm, Party.TEAM, Role.TEAM_MANAGER),
            (self.dev, Party.TEAM, Role.TEAM_MEMBER),
            (self.sponsor, Party.CLIENT, Role.CLIENT_APPROVER),
            (self.client, Party.CLIENT, Role.CLIENT_MEMBER),
        ):
            project.add_member(
                self.act(self.pm), email=email, name=email.split("@")[0], party=party, role=role
            )
        project.set_communication_plan(
            self.act(self.pm),
            channels=(Channel(channel="email", purpose="formal"),),
            cadences=(
                Cadence(kind="weekly_report", every="P7D", owner=self.pm, starts_on=self.t.date()),
            ),
        )
        self.keep(project)
        self.members = project.members
        pid = project.id
        milestones = []
        for k in range(5):
            e = Expectation.establish(
                self.act(self.pm),
                id=uuid4(),
                project_id=pid,
                kind=ExpectationKind.MILESTONE,
                title=f"Milestone {k}",
                value=ExpectationValue(date=(self.t + timedelta(days=30 * k)).date()),
                agreed_by=(self.pm, self.sponsor),
            )
            milestones.append(self.keep(e))
        steps: list[Callable[[], None]] = [
            lambda: self.interaction(pid),
            lambda: self.interaction(pid),
            lambda: self.commitment(pid),
            lambda: self.commitment(pid),
            lambda: self.issue(pid),
            lambda: self.ack(pid),
            lambda: self.report(pid),
            lambda: self.change(pid, milestones),
        ]
        while sum(len(a.pending_events) for a in self.pending) < target:
            rnd.choice(steps)()
        self.events = sum(len(a.pending_events) for a in self.pending)
        return self.pending

    def interaction(self, pid: UUID) -> None:
        who = self.rnd.choice((self.pm, self.sponsor, self.client))
        self.keep(
            Interaction.record(
                self.act(self.pm, for_=None),
                id=uuid4(),
                project_id=pid,
                channel="email",
                subject=f"Re: topic {self.rnd.randint(1, 50)}",
                summary="Discussed the next steps.",
                from_address=who,
                to=(self.pm if who != self.pm else self.sponsor,),
            )
        )

    def commitment(self, pid: UUID) -> None:
        promisor, promisee = self.rnd.choice(
            ((self.dev, self.sponsor), (self.pm, self.client), (self.client, self.pm))
        )
        c = Commitment.make(
            self.act(self.pm),
            id=uuid4(),
            project_id=pid,
            promisor=promisor,
            promisee=promisee,
            statement="Deliver the next increment",
            due_at=self.t + timedelta(days=self.rnd.randint(1, 30)),
        )
        self.keep(c)
        c.acknowledge(self.act(promisee))
        roll = self.rnd.random()
        if roll < 0.6:
            c.fulfil(self.act(self.pm, for_=promisor if promisor != self.pm else None))
            if self.rnd.random() < 0.8:
                c.accept_fulfilment(self.act(promisee))
        elif roll < 0.7:
            c.withdraw(self.act(promisor), reason="no longer needed")

    def issue(self, pid: UUID) -> None:
        i = Issue.raise_issue(
            self.act(self.client),
            id=uuid4(),
            project_id=pid,
            kind=IssueKind.PROBLEM,
            title="Something broke",
            description="Details",
            expected_resolution="Fix it",
            severity=Severity.MEDIUM,
            raiser_party=Party.CLIENT,
        )
        self.keep(i)
        i.respond(self.act(self.pm), response="Looking at it", party=Party.TEAM)
        if self.rnd.random() < 0.7:
            i.resolve(self.act(self.pm), resolution="Fixed")

    def ack(self, pid: UUID) -> None:
        subject = uuid4()
        r = AcknowledgementRequest.request(
            self.act(self.pm),
            project_id=pid,
            subject_kind=AcknowledgementSubjectKind.DOCUMENT,
            subject_id=subject,
            subject_version=1,
            person=self.sponsor,
            due_at=self.t + timedelta(days=3),
        )
        self.keep(r)
        if self.rnd.random() < 0.7:
            r.acknowledge(self.act(self.sponsor), comment="ok")

    def report(self, pid: UUID) -> None:
        self.keep(
            StatusReport.issue(
                self.act(self.pm),
                id=uuid4(),
                project_id=pid,
                members=self.members,
                period_start=self.t.date(),
                period_end=self.t.date(),
                progress=("progress",),
                problems=(),
                next_steps=("next",),
                to=(self.sponsor,),
                cadence_kind="weekly_report",
            )
        )

    def change(self, pid: UUID, milestones: list[Any]) -> None:
        target = self.rnd.choice(milestones)
        new_date = ExpectationValue(
            date=(START + timedelta(days=self.rnd.randint(30, 3000))).date()
        )
        if target.value == new_date or not target.is_changeable:
            return
        cr = ChangeRequest.request(
            self.act(self.sponsor),
            id=uuid4(),
            project_id=pid,
            title="Change scope",
            description="d",
            rationale="r",
            requesting_party=Party.CLIENT,
            affected_expectations=(target.id,),
        )
        self.keep(cr)
        cr.assess_impact(
            self.act(self.pm),
            party=Party.TEAM,
            scope_impact="small",
            schedule_delta_days=7,
            revisions=(ProposedRevision(expectation_id=target.id, value=new_date),),
        )
        if self.rnd.random() < 0.7:
            act = self.act(self.sponsor)
            cr.approve(act, approver_role=Role.CLIENT_APPROVER, conditions="")
            target.revise(
                act,
                value=new_date,
                cause=RevisionCause.CHANGE_REQUEST,
                change_request_id=cr.id,
                agreed_by=(self.sponsor,),
                reason="approved",
            )


def generate(
    ledger: Ledger, projects: int, per_project: int, seed: int, big: int
) -> tuple[int, UUID | None]:
    rnd = random.Random(seed)
    total, big_id = 0, None
    started = time.perf_counter()
    sizes = [per_project] * projects + ([big] if big else [])
    for index, size in enumerate(sizes):
        aggregates = ProjectGenerator(rnd, index).build(size)
        if size == big and index == len(sizes) - 1:
            big_id = aggregates[0].id
        for start in range(0, len(aggregates), 300):
            ledger.save(*aggregates[start : start + 300])
        total += sum(a.version for a in aggregates)
        if index % 50 == 0:
            rate = total / (time.perf_counter() - started)
            print(f"generated {total:,} events ({rate:,.0f}/s)", file=sys.stderr)
    return total, big_id


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def timed_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description="Projection catch-up and query latency")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--big-project", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='accord-bench-')}/p.db"
    ledger = Ledger(url)
    per_project = max(20, (args.events - args.big_project) // args.projects)
    t0 = time.perf_counter()
    _total, big_id = generate(ledger, args.projects, per_project, args.seed, args.big_project)
    generation_s = time.perf_counter() - t0
    head = ledger.recorder.max_notification_id() or 0

    # Raw read-and-decode of the same notifications.
    t0 = time.perf_counter()
    position, decoded = 0, 0
    while True:
        page = ledger.recorder.select_notifications(position, 2000, inclusive_of_start=False)
        if not page:
            break
        for n in page:
            ledger.mapper.to_domain_event(n)
        decoded += len(page)
        position = page[-1].id
    raw_rate = decoded / (time.perf_counter() - t0)

    runner = ProjectionRunner(ledger)
    t0 = time.perf_counter()
    runner.catch_up()
    catch_up_rate = head / (time.perf_counter() - t0)

    views = LiveViews(runner)
    audit_view = runner.view("audit")
    project_ids = sorted(
        {
            r[0]
            for r in runner.db.query(
                f"SELECT DISTINCT project_id FROM {audit_view.tables['audit_events'].physical(1)}"
            )
        }
    )
    rnd = random.Random(args.seed)
    now = START + timedelta(days=400)
    latencies: dict[str, list[float]] = {"open_items": [], "expectations": [], "audit": []}
    for _ in range(args.queries):
        pid = rnd.choice(project_ids)
        latencies["open_items"].append(timed_ms(lambda p=pid: q.open_items(views, p, now)))
        latencies["expectations"].append(timed_ms(lambda p=pid: q.expectations(views, p)))
        latencies["audit"].append(timed_ms(lambda p=pid: q.audit(views, p, limit=50)))

    as_of_ms: list[float] = []
    big_events = 0
    if big_id is not None:
        until = datetime.now(UTC)
        for _ in range(5):
            as_of_ms.append(
                timed_ms(
                    lambda: q.open_items(
                        replay(runner, str(big_id), until, views=["open_items"]), str(big_id), until
                    )
                )
            )
        big_events = len(q.audit(views, str(big_id), limit=1)[0]) and sum(
            1
            for _ in runner.db.query(
                f"SELECT position FROM {audit_view.tables['audit_events'].physical(1)} "
                "WHERE project_id = ?",
                (str(big_id),),
            )
        )

    report = {
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "storage": runner.db.dialect,
        "events": head,
        "projects": len(project_ids),
        "generation_seconds": round(generation_s, 1),
        "catch_up": {
            "raw_read_and_decode_events_per_s": round(raw_rate),
            "catch_up_all_views_events_per_s": round(catch_up_rate),
            "ratio": round(catch_up_rate / raw_rate, 3),
            "target_ratio": 0.25,
            "views": list(runner.projections),
        },
        "queries_ms": {
            name: {
                "p50": round(percentile(v, 50), 2),
                "p99": round(percentile(v, 99), 2),
                "runs": len(v),
            }
            for name, v in latencies.items()
        },
        "as_of_open_items_ms": {
            "project_events": big_events,
            "median": round(statistics.median(as_of_ms), 1) if as_of_ms else None,
            "max": round(max(as_of_ms), 1) if as_of_ms else None,
            "target": 250,
        },
    }
    runner.close()
    ledger.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
