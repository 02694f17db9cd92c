"""The read models' export views: open items and the audit trail, as CSV and JSON Lines."""

from __future__ import annotations

import io

import orjson

from ledger.interchange.demo import record_demo
from ledger.interchange.exports import export, read_csv
from ledger.service.application import Ledger
from projections import exports  # noqa: F401  (registers the views)


def test_open_items_as_csv(ledger: Ledger) -> None:
    project = record_demo(ledger).project_id
    out = io.BytesIO()
    count = export(ledger, project, out, view="open-items", format="csv")
    assert out.getvalue().startswith(b"\xef\xbb\xbf")
    rows = read_csv(out.getvalue())
    assert len(rows) == count
    brand = next(r for r in rows if r["title"] == "Provide brand guidelines and logo files")
    assert (brand["overdue"], brand["ball_party"]) == ("true", "client")


def test_audit_as_json_lines(ledger: Ledger) -> None:
    project = record_demo(ledger).project_id
    out = io.BytesIO()
    count = export(ledger, project, out, view="audit", format="jsonl")
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines) == ledger.recorder.max_notification_id()
    order = [(r["occurred_at"], r["position"]) for r in lines]
    assert order == sorted(order)  # the order things happened in
