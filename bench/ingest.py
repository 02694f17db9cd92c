"""Ingest throughput: Accord's commands beside a raw eventsourcing append of equally sized events.

    .venv/bin/python bench/ingest.py [--single N] [--batches M] [--batch-size K] [--rounds R]

Prints one JSON object. For each path it reports events per second for

* ``accord``  — the Ledger's commands: (a) ``record_interaction``, one command per save;
  (b) ``record_interactions``, K interactions per save (the import path);
* ``raw``     — eventsourcing's own ``Application.save`` of a plain aggregate whose single event has a
  payload padded to the same stored size as Accord's events, on a fresh SQLite file with the same
  settings (the target ratios are against this: (a) >= 0.8, (b) >= 0.7);
* ``floor``   — ``recorder.insert_events`` of ready-made stored events (no domain, no serialisation),
  the storage engine's own ceiling, for context.

Each figure is the median of R rounds; paths alternate within a round so drift hits them alike.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.application import Ledger

PM = "pm@acme.test"
CLIENT = "sponsor@client.test"


class RawNote(Aggregate):
    """The baseline: one event carrying a padded string, nothing else."""

    class Created(Aggregate.Created):
        body: str

    def __init__(self, body: str) -> None:
        self.body = body


def interaction(i: int) -> dict[str, Any]:
    return {
        "channel": "email",
        "subject": f"Re: wireframes round {i}",
        "summary": "Client asked for the revised wireframes before Friday's review.",
        "from_address": CLIENT,
        "to": [PM],
        "source_ref": f"<bench-{uuid4().hex}@client.test>",
        "occurred_at": datetime.now(UTC),
    }


def sqlite_env(path: Path) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}


def timed(n_events: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return n_events / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single", type=int, default=2000, help="commands for path (a)")
    parser.add_argument("--batches", type=int, default=100, help="saves for path (b)")
    parser.add_argument("--batch-size", type=int, default=100, help="interactions per save")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    results: dict[str, list[float]] = {
        k: []
        for k in (
            "single_accord",
            "single_raw",
            "single_floor",
            "batch_accord",
            "batch_raw",
            "batch_floor",
        )
    }
    state_sizes: list[int] = []

    for r in range(args.rounds):
        ledger = Ledger(f"sqlite:///{tmp}/accord-{r}.db")
        project_id = ledger.open_project(PM, name="Bench", client_org="C", team_org="A").id
        ledger.add_member(
            PM, project_id, email=CLIENT, name="C", party="client", role="client_member"
        )
        ledger.record_interaction(PM, project_id, **interaction(-1))  # warm caches

        def single() -> None:
            for i in range(args.single):
                ledger.record_interaction(PM, project_id, **interaction(i))

        def batch() -> None:
            for b in range(args.batches):
                ledger.record_interactions(
                    PM,
                    project_id,
                    [interaction(b * args.batch_size + i) for i in range(args.batch_size)],
                )

        results["single_accord"].append(timed(args.single, single))
        results["batch_accord"].append(timed(args.batches * args.batch_size, batch))
        last = ledger.recorder.max_notification_id() or 0
        sample = ledger.recorder.select_notifications(start=max(1, last - 999), limit=1000)
        state_sizes.extend(len(n.state) for n in sample)
        ledger.close()

        size = int(statistics.mean(state_sizes))
        raw = Application(env=sqlite_env(tmp / f"raw-{r}.db"))
        probe = raw.mapper.to_stored_event(RawNote(body="").collect_events()[0])
        body = "x" * max(0, size - len(probe.state))

        def raw_single() -> None:
            for _ in range(args.single):
                raw.save(RawNote(body=body))

        def raw_batch() -> None:
            for _ in range(args.batches):
                raw.save(*[RawNote(body=body) for _ in range(args.batch_size)])

        results["single_raw"].append(timed(args.single, raw_single))
        results["batch_raw"].append(timed(args.batches * args.batch_size, raw_batch))
        raw.close()

        floor = Application(env=sqlite_env(tmp / f"floor-{r}.db"))
        state = b"x" * size
        topic = "bench:Floor"

        def floor_single() -> None:
            for _ in range(args.single):
                floor.recorder.insert_events([StoredEvent(uuid4(), 1, topic, state)])

        def floor_batch() -> None:
            for _ in range(args.batches):
                floor.recorder.insert_events(
                    [StoredEvent(uuid4(), 1, topic, state) for _ in range(args.batch_size)]
                )

        results["single_floor"].append(timed(args.single, floor_single))
        results["batch_floor"].append(timed(args.batches * args.batch_size, floor_batch))
        floor.close()

    med = {k: round(statistics.median(v)) for k, v in results.items()}
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
                "storage": "sqlite file (WAL, synchronous=FULL)",
                "rounds": args.rounds,
                "mean_stored_event_bytes": int(statistics.mean(state_sizes)),
                "a_one_command_per_save": {
                    "events": args.single,
                    "accord_events_per_s": med["single_accord"],
                    "raw_eventsourcing_events_per_s": med["single_raw"],
                    "ratio": round(med["single_accord"] / med["single_raw"], 3),
                    "target_ratio": 0.8,
                    "recorder_floor_events_per_s": med["single_floor"],
                },
                "b_batch_per_save": {
                    "events": args.batches * args.batch_size,
                    "events_per_save": args.batch_size,
                    "accord_events_per_s": med["batch_accord"],
                    "raw_eventsourcing_events_per_s": med["batch_raw"],
                    "ratio": round(med["batch_accord"] / med["batch_raw"], 3),
                    "target_ratio": 0.7,
                    "recorder_floor_events_per_s": med["batch_floor"],
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
