"""Encode and decode cost per event, by event type: the per-class codecs
(:mod:`ledger.storage.codec`) beside the generic tagged-JSON walk they replaced (the same mapper
with its codecs switched off), measured in the same run on the same events.

    .venv/bin/python bench/codec.py [--events N] [--rounds R]

The events are those of the demo project (every aggregate: envelope fields, UUIDs, datetimes,
enums, payload models), stored in a fresh SQLite file and read back as stored events, so both
paths see exactly the bytes the ledger writes; both must give the same events and bytes.
Times are the process's CPU time (``time.process_time``), so a busy machine inflates them less.
Prints one JSON object: µs per event (median of R rounds) for encode and decode, overall and
by event type, and the ratio old/new.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger
from ledger.storage.transcoding import ModelTranscoding, OrjsonTranscoder, StrictMapper


def _time_per_item(fn: Callable[[Any], Any], items: list[Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.process_time()
        for item in items:
            fn(item)
        samples.append((time.process_time() - t0) / len(items) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'codec.db'}")
        record_demo(ledger)
        stored = list(ledger.recorder.select_notifications(start=1, limit=1_000_000))
        codec = ledger.mapper
        # Today's path before the codecs: the generic walk, every payload model validated again.
        baseline = OrjsonTranscoder()
        for transcoding in baseline.names.values():
            if isinstance(transcoding, ModelTranscoding):
                transcoding.trust_stored = False
        walk = StrictMapper(baseline)
        walk._codecs = None
        events = [walk.to_domain_event(s) for s in stored]
        for s, e in zip(stored, events, strict=True):  # same answers both ways
            assert vars(codec.to_domain_event(s)) == vars(e)
            assert codec.to_stored_event(e).state == walk.to_stored_event(e).state == s.state
        by_type: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(stored):
            by_type[s.topic.partition(":")[2]].append(i)

        def timings(idx: list[int], rounds: int) -> dict[str, float]:
            st = [stored[i] for i in idx]
            ev = [events[i] for i in idx]
            return {
                f"{name}_{op}_us": round(
                    _time_per_item(
                        getattr(mapper, "to_domain_event" if op == "decode" else "to_stored_event"),
                        st if op == "decode" else ev,
                        rounds,
                    ),
                    2,
                )
                for name, mapper in (("walk", walk), ("codec", codec))
                for op in ("decode", "encode")
            }

        result: dict[str, Any] = {"events": len(stored), "rounds": args.rounds}
        result["all"] = timings(list(range(len(stored))) * 20, args.rounds)
        result["by_type"] = {
            topic: {"n": len(idx), **timings(idx * 50, 3)}
            for topic, idx in sorted(by_type.items(), key=lambda kv: -len(kv[1]))
        }
        a = result["all"]
        result["decode_speedup"] = round(a["walk_decode_us"] / a["codec_decode_us"], 2)
        result["encode_speedup"] = round(a["walk_encode_us"] / a["codec_encode_us"], 2)
        ledger.close()
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
