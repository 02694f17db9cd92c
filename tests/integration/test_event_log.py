"""The one reader of eventsourcing's tables (ledger/storage/eventlog.py), on both backends, and
the rule that nothing else names them."""

from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger
from ledger.storage.eventlog import EventLog

ROOT = Path(__file__).resolve().parents[2]


def test_reads_by_position_agree_with_the_recorder(ledger: Ledger) -> None:
    record_demo(ledger)
    every = ledger.recorder.select_notifications(start=1, limit=1000)
    log = ledger.event_log
    assert log.head() == every[-1].id
    wanted = [every[3].id, every[0].id, every[-1].id]
    assert log.at(wanted) == sorted((every[3], every[0], every[-1]), key=lambda n: n.id)
    assert [p for p, _ in log.events_at(wanted)] == sorted(wanted)
    first = log.event_at(every[0].id)
    assert first is not None
    assert first.originator_id == every[0].originator_id
    assert log.event_at(every[-1].id + 1) is None
    assert list(log.after(every[1].id, 2)) == list(every[2:4])


def test_current_versions_in_one_query(ledger: Ledger) -> None:
    record_demo(ledger)
    every = ledger.recorder.select_notifications(start=1, limit=1000)
    latest: dict = {}
    for n in every:
        latest[n.originator_id] = n.originator_version
    ids = [*list(latest)[:5], uuid4()]
    assert ledger.event_log.current_versions(ids) == {i: latest[i] for i in ids[:5]}
    assert ledger.event_log.version_of(ids[0]) == latest[ids[0]]
    assert ledger.event_log.version_of(ids[-1]) is None


def test_reads_by_position_need_a_database(ledger: Ledger) -> None:
    import pytest

    with pytest.raises(RuntimeError, match="database"):
        EventLog(ledger).at([1])


# The integrity package's record reader (ledger/integrity/records.py) reads the events table
# itself, on purpose: it must see each row exactly as stored (the recorder would normalise a
# hand-edited row) to detect tampering; it gets the table's name from ledger.storage.eventlog.
_ALLOWED = {"ledger/integrity/records.py"}
_NAMES = re.compile(
    r"stored_events|events_table_name|notifications_at\b"
    r"|select_notifications|max_notification_id|\.recorder\.select_events"
)


def test_no_module_outside_storage_reads_eventsourcings_tables() -> None:
    offenders = []
    for package in ("ledger", "projections", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("ledger/storage/") or relative in _ALLOWED:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if _NAMES.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "read the event log through ledger.storage.eventlog:\n" + "\n".join(
        offenders
    )
