"""The tamper-evident log at scale: sealing, full verify, inclusion proofs, one subject's evidence
bundle — and pymerkle appending and proving the same leaves, side by side.

    .venv/bin/python bench/integrity.py [--events N] [--backend sqlite|postgres] [--proofs K]
                                        [--pymerkle-leaves M] [--seed S] [--dir DIR]

Prints one JSON object. The ledger is generated fast and deterministically (``--seed``): the demo
project recorded through the commands half way through, the rest real Accord events (emails of a
bench project, built once as domain events and mapped by the ledger's own mapper) inserted
through the recorder in batches of 10,000 with ids from a seeded generator. Then, in one run:

* ``seal`` — ``Integrity.seal()`` of every event (read, leaf hash, tree, store), events/s;
* ``verify`` — ``Integrity.verify()`` (rescan, recompute, compare leaves, nodes, state and every
  checkpoint), events/s, beside ``raw_scan_sha256``: paging through the same rows with the same
  query and SHA-256 of each row's stored bytes, nothing else — the floor any verifier pays.
  Target: verify / raw >= 0.3. ``verify_rss_growth_mb``: resident memory added during verify;
* ``inclusion_proof`` — ``Integrity.inclusion_proof(position)`` into the latest checkpoint for K
  random positions: p50/p99 in ms. Target: p99 < 5 ms at 1,000,000 leaves;
* ``export_subject`` — ``Integrity.export_evidence`` for one commitment of the demo (its events,
  its source meeting, their acknowledgements, who is who), seconds, and the offline verify of
  that bundle. Target: < 2 s in a 1,000,000-event ledger;
* ``pymerkle`` — pymerkle's SQLite-backed tree (its persistent peer) appending the first M leaf
  data of the same log, and proving inclusion for the same K indexes; its root must equal ours.

PostgreSQL: ``--backend postgres`` starts a throw-away server the way the tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.integrity import EvidenceScope, Integrity, merkle, verify_bundle
from ledger.integrity.records import leaf_data
from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger

PM = "pm@bench.test"
CLIENT = "client@bench.test"
BATCH = 10_000
#: Events per recorder insert on PostgreSQL: eventsourcing 9.5 pipelines one INSERT per event,
#: and a pipeline of 10,000 (7 MB) stalled psycopg for good here (client and server both waiting
#: to write); 1,000 does not.
PG_INSERT_BATCH = 1_000
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def templates(ledger: Ledger, rng: random.Random, count: int = 64) -> list[StoredEvent]:
    """Real, decodable Accord events (emails recorded in a bench project), mapped once."""
    from ledger.domain.envelope import Act
    from ledger.domain.interaction import Interaction

    project = UUID(int=rng.getrandbits(128), version=4)
    stored = []
    for i in range(count):
        act = Act(PM, occurred_at=NOW - timedelta(days=rng.randint(0, 300)), now=NOW)
        item = Interaction.record(
            act,
            id=UUID(int=rng.getrandbits(128), version=4),
            project_id=project,
            channel="email",
            subject=f"Re: release {i} " + "x" * rng.randint(0, 40),
            summary="The client asked for the revised plan. " * rng.randint(1, 6),
            from_address=CLIENT,
            to=(PM,),
            cc=(),
            participants=(),
            body_sha256=sha256(str(i).encode()).hexdigest(),
            attachments=(),
            source_ref=f"<m{i}@bench.test>",
            in_reply_to=None,
        )
        stored.append(ledger.mapper.to_stored_event(item.collect_events()[0]))
    return stored


def generate(ledger: Ledger, events: int, rng: random.Random) -> tuple[UUID, float]:
    """Fill the ledger with ``events`` events; returns a demo commitment's id and the time."""
    batch_size = BATCH if ledger.storage.is_sqlite else PG_INSERT_BATCH
    start = time.perf_counter()
    pool = templates(ledger, rng)
    demo_at = max(0, events // 2 - 25)
    done = 0
    subject: UUID | None = None
    while done < events or subject is None:
        if subject is None and done >= demo_at:
            before = ledger.recorder.max_notification_id() or 0
            record_demo(ledger, now=NOW)
            done += (ledger.recorder.max_notification_id() or 0) - before
            for n in ledger.recorder.select_notifications(start=before + 1, limit=100):
                if n.topic.endswith("Commitment.Made") and b"revised wireframes" in n.state:
                    subject = n.originator_id
            continue
        count = min(batch_size, events - done, max(demo_at - done, 0) or batch_size)
        if count <= 0:
            count = min(batch_size, events - done)
        batch = []
        for _ in range(count):
            t = pool[rng.randrange(len(pool))]
            batch.append(
                StoredEvent(UUID(int=rng.getrandbits(128), version=4), 1, t.topic, t.state)
            )
        ledger.recorder.insert_events(batch)
        done += count
    assert subject is not None
    return subject, time.perf_counter() - start


def raw_scan_sha256(integrity: Integrity) -> tuple[int, float]:
    """Page through the same rows with the same query; SHA-256 of each row's stored bytes."""
    table = integrity.events
    start = time.perf_counter()
    rows = 0
    after = 0
    while True:
        page = table.raw_page(after, 10_000)
        if not page:
            break
        for row in page:
            sha256(row[4]).digest()
        rows += len(page)
        after = page[-1][0]
    return rows, time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_pymerkle(
    integrity: Integrity, leaves: int, indexes: list[int], workdir: Path
) -> dict[str, Any]:
    from pymerkle import SqliteTree

    data = [leaf_data(r) for page in integrity.events.scan() for r in page][:leaves]
    ours_root = integrity.log.root(len(data))
    tree = SqliteTree(str(workdir / "pymerkle.db"), algorithm="sha256")
    start = time.perf_counter()
    tree.append_entries(data, chunksize=BATCH)
    append = time.perf_counter() - start
    theirs_root = tree.get_root(len(data))
    times = []
    wanted = [i for i in indexes if i < len(data)]
    for index in wanted:
        t = time.perf_counter()
        tree.prove_inclusion(index + 1, len(data))  # pymerkle counts leaves from 1
        times.append((time.perf_counter() - t) * 1000)
    ours = []
    leaf_positions = [
        p
        for (p,) in integrity.db.query(
            "SELECT position FROM integrity_leaves WHERE leaf_index < ? ORDER BY leaf_index",
            (len(data),),
        )
    ]
    for index in wanted:
        t = time.perf_counter()
        integrity.log.inclusion_proof(leaf_positions[index], len(data))
        ours.append((time.perf_counter() - t) * 1000)
    return {
        "leaves": len(data),
        "roots_equal": theirs_root == ours_root,
        "pymerkle_append_leaves_per_s": round(len(data) / append),
        "pymerkle_proof_ms_p50": round(percentile(times, 0.5), 3),
        "pymerkle_proof_ms_p99": round(percentile(times, 0.99), 3),
        "accord_proof_ms_p50_same_tree": round(percentile(ours, 0.5), 3),
        "accord_proof_ms_p99_same_tree": round(percentile(ours, 0.99), 3),
    }


def run(args: argparse.Namespace, url: str, workdir: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    ledger = Ledger(url)
    integrity = Integrity.for_ledger(ledger, key_file=workdir / "bench.key")
    figures: dict[str, Any] = {}
    try:
        subject, took = generate(ledger, args.events, rng)
        n = integrity.events.count()
        figures["events"] = n
        figures["generate_events_per_s"] = round(n / took)

        start = time.perf_counter()
        sealed = integrity.seal()
        took = time.perf_counter() - start
        figures["seal_events_per_s"] = round(sealed.sealed / took)
        integrity.make_checkpoint()
        figures["leaves_and_nodes_rows"] = (
            int(integrity.db.query("SELECT COUNT(*) FROM integrity_nodes")[0][0]) + sealed.size
        )

        raw_rows, raw_took = raw_scan_sha256(integrity)
        rss_before = rss_mb()
        peak = [rss_before]
        start = time.perf_counter()
        result = integrity.verify(progress=lambda done, total: peak.append(rss_mb()))
        took = time.perf_counter() - start
        raw2_rows, raw2_took = raw_scan_sha256(integrity)  # again after, against drift
        assert result.ok, result.problems[:3]
        raw_rate = (raw_rows + raw2_rows) / (raw_took + raw2_took)
        figures["verify_events_per_s"] = round(n / took)
        figures["raw_scan_sha256_rows_per_s"] = round(raw_rate)
        figures["verify_to_raw_ratio"] = round((n / took) / raw_rate, 3)
        figures["verify_rss_growth_mb"] = round(max(peak) - rss_before, 1)

        positions = [
            p
            for (p,) in integrity.db.query(
                "SELECT position FROM integrity_leaves ORDER BY leaf_index"
            )
        ]
        sample = [rng.randrange(len(positions)) for _ in range(args.proofs)]
        times = []
        for index in sample:
            t = time.perf_counter()
            integrity.inclusion_proof(positions[index])
            times.append((time.perf_counter() - t) * 1000)
        figures["inclusion_proof_ms_p50"] = round(percentile(times, 0.5), 3)
        figures["inclusion_proof_ms_p99"] = round(percentile(times, 0.99), 3)
        figures["inclusion_proof_ms_max"] = round(max(times), 3)

        exports = []
        for _ in range(3):
            start = time.perf_counter()
            bundle = integrity.export_evidence(EvidenceScope.subject(subject))
            exports.append(time.perf_counter() - start)
        start = time.perf_counter()
        checked = verify_bundle(bundle, key=integrity.public_key())
        figures["export_subject_s_median_of_3"] = round(statistics.median(exports), 3)
        figures["export_subject_bundle_bytes"] = len(bundle)
        figures["export_subject_events"] = checked.events
        figures["offline_verify_bundle_s"] = round(time.perf_counter() - start, 3)
        assert checked.ok, checked.failures

        if args.pymerkle_leaves:
            figures["pymerkle"] = bench_pymerkle(
                integrity, min(args.pymerkle_leaves, n), sample, workdir
            )
        # Cross-check: the persistent root equals the pure function's (over every leaf).
        hashes = [r.leaf_hash() for page in integrity.events.scan() for r in page]
        figures["root_equals_pure_function"] = merkle.root(hashes) == integrity.log.root()
    finally:
        integrity.close()
        ledger.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--pymerkle-leaves", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    args = parser.parse_args()
    with ExitStack() as stack:
        workdir = args.dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        if args.backend == "sqlite":
            url = f"sqlite:///{workdir / 'bench.db'}"
            if os.path.exists(workdir / "bench.db"):
                raise SystemExit(f"{workdir / 'bench.db'} exists: use a fresh --dir")
        else:
            from tests.pgserver import running_postgres

            server = stack.enter_context(running_postgres())
            url = server.url(server.create_database())
        figures = run(args, url, workdir)
    print(
        json.dumps(
            {
                "backend": args.backend,
                "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                f"CPython {platform.python_version()}",
                **figures,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
