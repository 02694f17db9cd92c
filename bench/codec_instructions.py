"""Helper of bench/codec_instructions.sh: ``dump PATH`` stores the demo + tour events;
``run PATH walk|codec decode|encode K`` decodes or encodes them K times."""

from __future__ import annotations

import pickle
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventsourcing.persistence import StoredEvent

from ledger.storage.transcoding import ModelTranscoding, OrjsonTranscoder, StrictMapper


def dump(path: str) -> None:
    from ledger.service.application import Ledger
    from tests.scenarios import record_tour

    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{tmp}/codec.db")
        record_tour(ledger)  # the demo, then every step it does not take
        rows = [
            (s.originator_id, s.originator_version, s.topic, s.state)
            for s in ledger.recorder.select_notifications(start=1, limit=1_000_000)
        ]
        ledger.close()
    Path(path).write_bytes(pickle.dumps(rows))


def run(path: str, mode: str, op: str, k: int) -> None:
    stored = [StoredEvent(*row) for row in pickle.loads(Path(path).read_bytes())]
    transcoder = OrjsonTranscoder()
    mapper = StrictMapper(transcoder)
    if mode == "walk":  # the path before the codecs: generic walk, models validated again
        for transcoding in transcoder.names.values():
            if isinstance(transcoding, ModelTranscoding):
                transcoding.trust_stored = False
        mapper._codecs = None
    events = [mapper.to_domain_event(s) for s in stored]  # warm-up: plans made
    for e in events:
        mapper.to_stored_event(e)
    for _ in range(k):
        if op == "decode":
            for s in stored:
                mapper.to_domain_event(s)
        else:
            for e in events:
                mapper.to_stored_event(e)


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
