"""Exports: a project's records as JSON Lines or CSV, for spreadsheets and other tools.

A *view* is a named table: its columns, and a function that yields its rows (plain dicts) for
one project. The ledger provides ``events`` (every event of the project, in position order) and
``commitments`` (each commitment as it stands, replayed from its events). Other layers add
theirs with :func:`register_view` — the read models register ``open-items`` and ``audit`` —
so this module never imports them.

Formats:

* **JSONL** — one JSON object per line, UTF-8; values keep their structure (lists, nested
  objects); times are ISO 8601 with their offset; amounts are strings (exact decimals).
* **CSV** — UTF-8 with a byte-order mark (so spreadsheet programs detect the encoding), a
  header row in words for the people who open it ("Happened at", "Whose move (side)": see
  :func:`ledger.domain.wording.header`; :func:`read_csv` maps them back to the column
  names), ``\\r\\n`` line ends, ISO 8601 times. Lists are joined with ``"; "``, nested objects
  written as JSON. A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is prefixed with ``'`` so that no spreadsheet runs it as a formula (imported email
  subjects are written by strangers); :func:`read_csv` removes that prefix again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

import orjson

from ledger.domain import catalogue, wording
from ledger.domain.commitment import Commitment, is_commitment_overdue
from ledger.domain.envelope import utcnow
from ledger.domain.errors import InvalidInputError
from ledger.domain.values import ImmutableModel
from ledger.storage.reading import project_events, project_items

if TYPE_CHECKING:
    from ledger.service.application import Ledger

Row = dict[str, Any]
RowsOf = Callable[["Ledger", UUID], Iterable[Row]]


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@dataclass(frozen=True)
class ExportView:
    name: str
    description: str
    columns: tuple[str, ...]
    rows: RowsOf


VIEWS: dict[str, ExportView] = {}


def register_view(view: ExportView) -> None:
    """Make ``view`` available to :func:`export` (a later registration of a name replaces the
    earlier one)."""
    VIEWS[view.name] = view


def export(
    ledger: Ledger,
    project_id: UUID,
    out: IO[bytes],
    *,
    view: str = "events",
    format: ExportFormat | str = ExportFormat.JSONL,
    views: Mapping[str, ExportView] | None = None,
) -> int:
    """Write the project's ``view`` to ``out`` in ``format``; returns the number of rows.
    The project must exist (``ProjectNotFoundError`` otherwise). ``views`` replaces the
    registered views (a server passes views bound to its own projection runner)."""
    known = VIEWS if views is None else views
    chosen = known.get(view)
    if chosen is None:
        raise InvalidInputError("view", f"{view!r} is not one of: {', '.join(sorted(known))}")
    try:
        kind = ExportFormat(format)
    except ValueError:
        raise InvalidInputError("format", f"{format!r} is not one of: jsonl, csv") from None
    ledger.get_project(project_id)
    rows = chosen.rows(ledger, project_id)
    if kind is ExportFormat.JSONL:
        return write_jsonl(rows, out)
    return write_csv(rows, chosen.columns, out)


# ---------------------------------------------------------------------------- writers


def jsonable(value: Any) -> Any:
    """``value`` in JSON's types: ISO 8601 times, exact decimals as strings, ids as strings,
    enums as their values, payload models as objects, tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, ImmutableModel):
        return {name: jsonable(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot export a {type(value).__name__}")


def write_jsonl(rows: Iterable[Row], out: IO[bytes]) -> int:
    count = 0
    for row in rows:
        out.write(orjson.dumps(jsonable(row)))
        out.write(b"\n")
        count += 1
    return count


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """How one value is written in a CSV cell (before quoting)."""
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        text = "; ".join(str(v) for v in value)
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def write_csv(rows: Iterable[Row], columns: Iterable[str], out: IO[bytes]) -> int:
    header = list(columns)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([wording.header(name) for name in header])
        count = 0
        for row in rows:
            writer.writerow([csv_cell(row.get(name)) for name in header])
            count += 1
        text.flush()
    finally:
        text.detach()  # leave ``out`` open for the caller
    return count


def read_csv(data: bytes) -> list[dict[str, str]]:
    """Read an export written by :func:`write_csv` back: one dict of cell texts per row, the
    formula guard removed."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [{wording.column_of(k): _unguard(v) for k, v in row.items()} for row in reader]


def _unguard(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell


# ------------------------------------------------------------------------------ views


def event_type(event: object) -> str:
    """``Commitment.Made``: the aggregate's and the event's class names."""
    return type(event).__qualname__


def _event_rows(ledger: Ledger, project_id: UUID) -> Iterator[Row]:
    for notification, event in project_events(ledger, project_id):
        fields = vars(event)
        yield {
            "position": notification.id,
            "recorded_at": event.timestamp,
            "occurred_at": event.occurred_at,
            "event_type": event_type(event),
            "item_type": event_type(event).partition(".")[0],
            "item_id": event.originator_id,
            "version": event.originator_version,
            "actor": event.actor,
            "attributed_to": event.attributed_to,
            "payload": {k: v for k, v in fields.items() if k not in catalogue.ENVELOPE},
        }


EVENTS = ExportView(
    name="events",
    description="every event of the project, in the order the ledger stored them",
    columns=(
        "position",
        "recorded_at",
        "occurred_at",
        "event_type",
        "item_type",
        "item_id",
        "version",
        "actor",
        "attributed_to",
        "payload",
    ),
    rows=_event_rows,
)


def _commitment_rows(ledger: Ledger, project_id: UUID) -> Iterator[Row]:
    now = utcnow()
    items = project_items(ledger, project_id, Commitment, Commitment.Made)
    for item in items:
        c = item.aggregate
        yield {
            "id": c.id,
            "statement": c.statement,
            "promisor": c.promisor,
            "promisee": c.promisee,
            "due_at": c.due_at,
            "state": c.state,
            "overdue": is_commitment_overdue(c.state, c.due_at, now),
            "acknowledged_by": c.acknowledged_by,
            "proposed_due_at": c.proposal.due_at if c.proposal is not None else None,
            "proposed_statement": c.proposal.statement if c.proposal is not None else None,
            "source_kind": c.source.kind if c.source is not None else None,
            "source_id": c.source.id if c.source is not None else None,
            "source_sha256": c.source.sha256 if c.source is not None else None,
            "made_at": item.created.occurred_at,
            "recorded_by": item.created.actor,
            "attributed_to": item.created.attributed_to,
            "recorded_at": c.created_on,
            "last_changed_at": c.modified_on,
            "version": c.version,
            "position": item.position,
        }


COMMITMENTS = ExportView(
    name="commitments",
    description="each commitment as it stands (overdue: at the time of the export)",
    columns=(
        "id",
        "statement",
        "promisor",
        "promisee",
        "due_at",
        "state",
        "overdue",
        "acknowledged_by",
        "proposed_due_at",
        "proposed_statement",
        "source_kind",
        "source_id",
        "source_sha256",
        "made_at",
        "recorded_by",
        "attributed_to",
        "recorded_at",
        "last_changed_at",
        "version",
        "position",
    ),
    rows=_commitment_rows,
)

register_view(EVENTS)
register_view(COMMITMENTS)


__all__ = [
    "COMMITMENTS",
    "EVENTS",
    "VIEWS",
    "ExportFormat",
    "ExportView",
    "csv_cell",
    "export",
    "jsonable",
    "read_csv",
    "register_view",
    "write_csv",
    "write_jsonl",
]
