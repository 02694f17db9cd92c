"""Ingest throughput: Accord's commands beside a raw eventsourcing append of equally sized events.

    .venv/bin/python bench/ingest.py [--single N] [--batches M] [--batch-size K] [--rounds R]
    .venv/bin/python bench/ingest.py --codec-only [--rounds R]

Prints one JSON object with events per second for

* ``accord`` — the Ledger's commands: (a) ``record_interaction``, one command per save (a call
  noted by hand: random id; and, separately, an email with a Message-ID, whose derived id is
  looked up first so a re-import stores nothing); (b) ``record_interactions``, K emails per
  save (the import path);
* ``raw`` — eventsourcing's own ``Application.save`` of a plain aggregate whose one event
  carries a payload padded to the mean stored size of Accord's events, on a fresh SQLite file
  with the same settings. The target ratios are against this: (a) >= 0.8, (b) >= 0.7;
* ``floor`` — ``recorder.insert_events`` of ready-made stored events of the same size (no
  domain, no serialisation): the storage engine's own ceiling, for context;
* ``codec_cpu_us_per_event_by_type`` — CPU µs per event to decode and encode, by event type
  (the first round's events and every type the commands store: the demo and its tour), with
  the ledger's per-class codecs (``decode_us``, ``encode_us``) beside the generic tagged-JSON
  walk they replaced (``walk_decode_us``, ``walk_encode_us``) in the same run, and the ratios.
  Also printed as a table on stderr. ``--codec-only`` measures just these (a minute).

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
from ledger.storage.transcoding import ModelTranscoding, OrjsonTranscoder, StrictMapper

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


def _walk_mapper() -> StrictMapper:
    """The baseline of issue 18: the generic tagged-JSON walk, every stored model validated
    again (the ledger's mapper with its per-class codecs switched off)."""
    transcoder = OrjsonTranscoder()
    for transcoding in transcoder.names.values():
        if isinstance(transcoding, ModelTranscoding):
            transcoding.trust_stored = False
    mapper = StrictMapper(transcoder)
    mapper._codecs = None
    return mapper


def _every_event_type(path: Path) -> list[StoredEvent]:
    """The demo project and every step it does not take (tests/scenarios.record_tour): each
    event type the commands store, as stored."""
    from tests.scenarios import record_tour

    ledger = Ledger(f"sqlite:///{path}")
    try:
        record_tour(ledger)
        return list(ledger.recorder.select_notifications(start=1, limit=1_000_000))
    finally:
        ledger.close()


def _stored_events(path: Path) -> list[StoredEvent]:
    ledger = Ledger(f"sqlite:///{path}")
    try:
        return list(ledger.recorder.select_notifications(start=1, limit=1_000_000))
    finally:
        ledger.close()


def _cpu_us(fn: Callable[[Any], object], items: list[Any]) -> float:
    t0 = time.process_time()
    for item in items:
        fn(item)
    return (time.process_time() - t0) / len(items) * 1e6


def codec_costs(
    stored: list[StoredEvent], rounds: int = 5, per_type: int = 1500
) -> dict[str, dict[str, float]]:
    """CPU µs per event to decode (stored -> domain event) and encode (domain event -> stored)
    by event type: the ledger's mapper (``decode_us``, ``encode_us``: per-class codecs) beside
    the generic walk it replaced (``walk_*``), alternating in each of ``rounds`` rounds
    (medians), over about ``per_type`` events of each type. The first row, ``all``, weighs the
    types as ``stored`` does."""
    mapper = StrictMapper(OrjsonTranscoder())
    walk = _walk_mapper()
    by_type: dict[str, list[StoredEvent]] = {"all": stored}
    for s in stored:
        by_type.setdefault(s.topic.partition(":")[2], []).append(s)
    costs: dict[str, dict[str, float]] = {}
    for name, found in sorted(by_type.items(), key=lambda kv: (kv[0] != "all", -len(kv[1]))):
        found = found[:: max(1, len(found) // 500)]  # at most about 500, spread
        sample = found * max(1, per_type // len(found))
        events = [walk.to_domain_event(s) for s in sample]
        for s, e in zip(found, events, strict=False):  # both give the same answers
            assert vars(mapper.to_domain_event(s)) == vars(e)
            assert mapper.to_stored_event(e).state == walk.to_stored_event(e).state
        figures: dict[str, list[float]] = {}
        for _ in range(rounds):
            for label, m in (("walk_", walk), ("", mapper)):
                figures.setdefault(f"{label}decode_us", []).append(
                    _cpu_us(m.to_domain_event, sample)
                )
                figures.setdefault(f"{label}encode_us", []).append(
                    _cpu_us(m.to_stored_event, events)
                )
        row: dict[str, float] = {"events": len(by_type[name])}
        row.update({k: round(statistics.median(v), 2) for k, v in figures.items()})
        row["decode_ratio"] = round(row["walk_decode_us"] / row["decode_us"], 2)
        row["encode_ratio"] = round(row["walk_encode_us"] / row["encode_us"], 2)
        costs[name] = row
    return costs


def codec_table(costs: dict[str, dict[str, float]]) -> str:
    """The per-type costs as a plain-text table (µs per event; ratio = walk / codec)."""
    head = (
        f"{'event type':<44} {'n':>5} {'decode walk':>11} {'codec':>6} {'x':>5}"
        f" {'encode walk':>11} {'codec':>6} {'x':>5}"
    )
    lines = [head, "-" * len(head)]
    for name, row in costs.items():
        lines.append(
            f"{name:<44} {int(row['events']):>5} {row['walk_decode_us']:>11.2f}"
            f" {row['decode_us']:>6.2f} {row['decode_ratio']:>5.2f}"
            f" {row['walk_encode_us']:>11.2f} {row['encode_us']:>6.2f} {row['encode_ratio']:>5.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Ingest throughput beside raw eventsourcing")
    parser.add_argument("--single", type=int, default=2000, help="commands for path (a)")
    parser.add_argument("--batches", type=int, default=100, help="saves for path (b)")
    parser.add_argument("--batch-size", type=int, default=100, help="interactions per save")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--codec-only",
        action="store_true",
        help="only the encode/decode costs per event type (every type the commands store)",
    )
    args = parser.parse_args()
    if args.codec_only:
        with tempfile.TemporaryDirectory(prefix="accord-bench-") as where:
            costs = codec_costs(_every_event_type(Path(where) / "tour.db"), args.rounds)
        print(codec_table(costs), file=sys.stderr)
        print(json.dumps({"codec_cpu_us_per_event_by_type": costs}, indent=2))
        return

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
        "codec_cpu_us_per_event_by_type": codec_costs(
            _stored_events(tmp / "accord-0.db") + _every_event_type(tmp / "tour.db"),
            args.rounds,
        ),
    }
    print(codec_table(report["codec_cpu_us_per_event_by_type"]), file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
