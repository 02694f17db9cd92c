"""Ingest throughput: Accord's commands beside a raw eventsourcing append of equally sized events.

    .venv/bin/python bench/ingest.py [--single N] [--batches M] [--batch-size K] [--rounds R]

Prints one JSON object with events per second for

* ``accord`` — the Ledger's commands: (a) ``record_interaction``, one command per save (a call
  noted by hand: random id; and, separately, an email with a Message-ID, whose derived id is
  looked up first so a re-import stores nothing); (b) ``record_interactions``, K emails per
  save (the import path);
* ``raw`` — eventsourcing's own ``Application.save`` of a plain aggregate whose one event
  carries a payload padded to the mean stored size of Accord's events, on a fresh SQLite file
  with the same settings. The target ratios are against this: (a) >= 0.8, (b) >= 0.7;
* ``floor`` — ``recorder.insert_events`` of ready-made stored events of the same size (no
  domain, no serialisation): the storage engine's own ceiling, for context.

Each figure is the median of R rounds; within a round the paths run one after the other on
fresh files, so slow drift of the machine hits them alike.
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

from ledger.service.application import Ledger

PM = "pm@acme.test"
CLIENT = "sponsor@client.test"


class RawNote(Aggregate):
    """The baseline: one event carrying a padded string, nothing else."""

    class Created(Aggregate.Created):
        body: str

    def __init__(self, body: str) -> None:
        self.body = body


def interaction(i: int, *, email: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {
        "channel": "email" if email else "phone",
        "subject": f"Re: wireframes round {i}",
        "summary": "Client asked for the revised wireframes before Friday's review.",
        "from_address": CLIENT,
        "to": [PM],
        "occurred_at": datetime.now(UTC),
    }
    if email:
        item["source_ref"] = f"<bench-{uuid4().hex}@client.test>"
    return item


def per_second(n_events: int, run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return n_events / (time.perf_counter() - start)


def accord_round(path: Path, args: argparse.Namespace) -> tuple[dict[str, float], list[int]]:
    ledger = Ledger(f"sqlite:///{path}")
    try:
        pid = ledger.open_project(PM, name="Bench", client_org="C", team_org="A").id
        ledger.add_member(PM, pid, email=CLIENT, name="C", party="client", role="client_member")
        ledger.record_interaction(PM, pid, **interaction(-1))  # warm the caches
        n, k = args.single, args.batch_size
        figures = {
            "single": per_second(
                n,
                lambda: [
                    ledger.record_interaction(PM, pid, **interaction(i, email=False))
                    for i in range(n)
                ],
            ),
            "single_email": per_second(
                n, lambda: [ledger.record_interaction(PM, pid, **interaction(i)) for i in range(n)]
            ),
            "batch": per_second(
                args.batches * k,
                lambda: [
                    ledger.record_interactions(PM, pid, [interaction(b * k + i) for i in range(k)])
                    for b in range(args.batches)
                ],
            ),
        }
        last = ledger.recorder.max_notification_id() or 0
        sample = ledger.recorder.select_notifications(start=max(1, last - 999), limit=1000)
        return figures, [len(n.state) for n in sample]
    finally:
        ledger.close()


def raw_round(path: Path, size: int, args: argparse.Namespace) -> dict[str, float]:
    raw = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    try:
        probe = raw.mapper.to_stored_event(RawNote(body="").collect_events()[0])
        body = "x" * max(0, size - len(probe.state))
        n, k = args.single, args.batch_size
        return {
            "single": per_second(n, lambda: [raw.save(RawNote(body=body)) for _ in range(n)]),
            "batch": per_second(
                args.batches * k,
                lambda: [
                    raw.save(*[RawNote(body=body) for _ in range(k)]) for _ in range(args.batches)
                ],
            ),
        }
    finally:
        raw.close()


def floor_round(path: Path, size: int, args: argparse.Namespace) -> dict[str, float]:
    app = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    state, topic = b"x" * size, "bench:Floor"
    n, k = args.single, args.batch_size

    def event() -> StoredEvent:
        return StoredEvent(uuid4(), 1, topic, state)

    try:
        return {
            "single": per_second(
                n, lambda: [app.recorder.insert_events([event()]) for _ in range(n)]
            ),
            "batch": per_second(
                args.batches * k,
                lambda: [
                    app.recorder.insert_events([event() for _ in range(k)])
                    for _ in range(args.batches)
                ],
            ),
        }
    finally:
        app.close()


def codec_costs(path: Path, repeat: int = 20) -> dict[str, dict[str, float]]:
    """CPU µs per event to decode (stored -> domain event) and encode (domain event -> stored)
    with the ledger's mapper, by event type, over the events of one accord round's file."""
    ledger = Ledger(f"sqlite:///{path}")
    try:
        stored = list(ledger.recorder.select_notifications(start=1, limit=1_000_000))
        mapper = ledger.mapper
        by_type: dict[str, list[StoredEvent]] = {}
        for s in stored:
            by_type.setdefault(s.topic.partition(":")[2], []).append(s)
        costs: dict[str, dict[str, float]] = {}
        for name, found in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
            sample = found[:500] * max(1, repeat * 50 // max(1, len(found[:500])))
            t0 = time.process_time()
            events = [mapper.to_domain_event(s) for s in sample]
            decode = (time.process_time() - t0) / len(sample) * 1e6
            t0 = time.process_time()
            for e in events:
                mapper.to_stored_event(e)
            encode = (time.process_time() - t0) / len(sample) * 1e6
            costs[name] = {
                "events": len(found),
                "decode_us": round(decode, 2),
                "encode_us": round(encode, 2),
            }
        return costs
    finally:
        ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Ingest throughput beside raw eventsourcing")
    parser.add_argument("--single", type=int, default=2000, help="commands for path (a)")
    parser.add_argument("--batches", type=int, default=100, help="saves for path (b)")
    parser.add_argument("--batch-size", type=int, default=100, help="interactions per save")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    accord: list[dict[str, float]] = []
    raw: list[dict[str, float]] = []
    floor: list[dict[str, float]] = []
    sizes: list[int] = []
    for r in range(args.rounds):
        figures, sample = accord_round(tmp / f"accord-{r}.db", args)
        accord.append(figures)
        sizes.extend(sample)
        size = int(statistics.mean(sizes))
        raw.append(raw_round(tmp / f"raw-{r}.db", size, args))
        floor.append(floor_round(tmp / f"floor-{r}.db", size, args))

    def med(rounds: list[dict[str, float]], key: str) -> int:
        return round(statistics.median(r[key] for r in rounds))

    single, single_raw = med(accord, "single"), med(raw, "single")
    batch, batch_raw = med(accord, "batch"), med(raw, "batch")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    report = {
        "machine": f"{platform.machine()}, {python}",
        "storage": "SQLite file (WAL, synchronous=FULL)",
        "rounds": args.rounds,
        "mean_stored_event_bytes": int(statistics.mean(sizes)),
        "a_one_command_per_save": {
            "events": args.single,
            "accord_events_per_s": single,
            "raw_eventsourcing_events_per_s": single_raw,
            "ratio": round(single / single_raw, 3),
            "target_ratio": 0.8,
            "accord_email_with_message_id_events_per_s": med(accord, "single_email"),
            "recorder_floor_events_per_s": med(floor, "single"),
        },
        "b_batch_per_save": {
            "events": args.batches * args.batch_size,
            "events_per_save": args.batch_size,
            "accord_events_per_s": batch,
            "raw_eventsourcing_events_per_s": batch_raw,
            "ratio": round(batch / batch_raw, 3),
            "target_ratio": 0.7,
            "recorder_floor_events_per_s": med(floor, "batch"),
        },
        "codec_cpu_us_per_event_by_type": codec_costs(tmp / "accord-0.db"),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
