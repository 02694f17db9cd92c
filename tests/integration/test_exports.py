"""Exports of a project as JSON Lines and CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from ledger.domain.errors import InvalidInputError
from ledger.domain.project import ProjectNotFoundError
from ledger.interchange.exports import (
    VIEWS,
    ExportView,
    csv_cell,
    export,
    jsonable,
    read_csv,
    register_view,
)
from ledger.service.application import Ledger
from tests.scenarios import record_tour

PM = "pm@team.test"
SPONSOR = "sponsor@client.test"


def exported(ledger: Ledger, project_id: UUID, view: str, format: str) -> bytes:
    out = io.BytesIO()
    export(ledger, project_id, out, view=view, format=format)
    return out.getvalue()


def jsonl(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_events_of_one_project_in_position_order(ledger: Ledger) -> None:
    project_id = record_tour(ledger)
    other = ledger.open_project(PM, name="Other", client_org="C", team_org="T").id
    rows = jsonl(exported(ledger, project_id, "events", "jsonl"))
    positions = [row["position"] for row in rows]
    assert positions == sorted(positions)
    assert {row["item_type"] for row in rows} >= {
        "Project",
        "Commitment",
        "Interaction",
        "Meeting",
        "Decision",
    }
    # Everything of the project, nothing of another: the tour's events are all there.
    stored = [
        n
        for n in ledger.recorder.select_notifications(1, 10_000)
        if ledger.mapper.to_domain_event(n).project_id == project_id  # type: ignore[attr-defined]
    ]
    assert positions == [n.id for n in stored]
    assert all(row["item_id"] != str(other) for row in rows)
    first = rows[0]
    assert first["event_type"] == "Project.Opened"
    assert first["payload"]["name"]  # type: ignore[index]
    assert datetime.fromisoformat(str(first["recorded_at"])).tzinfo is not None


def test_csv_round_trip_of_every_event(ledger: Ledger) -> None:
    project_id = record_tour(ledger)
    as_csv = exported(ledger, project_id, "events", "csv")
    as_jsonl = jsonl(exported(ledger, project_id, "events", "jsonl"))
    # Headings in words for the people who open the file; read_csv maps them back.
    assert as_csv.startswith("\ufeffLog position,Recorded at,Happened at,Event type,".encode())
    assert b"\r\n" in as_csv
    rows = read_csv(as_csv)
    assert list(rows[0]) == list(VIEWS["events"].columns)
    assert len(rows) == len(as_jsonl)
    for cells, row in zip(rows, as_jsonl, strict=True):
        assert cells == {column: csv_cell(row.get(column)) for column in cells}
        assert json.loads(cells["payload"]) == row["payload"]
        assert int(cells["position"]) == row["position"]
        assert datetime.fromisoformat(cells["occurred_at"]).tzinfo is not None


def test_commitments_as_they_stand(ledger: Ledger) -> None:
    project_id = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    now = datetime.now(UTC)
    late = ledger.make_commitment(
        PM,
        project_id,
        promisor=PM,
        promisee=SPONSOR,
        statement='=HYPERLINK("http://evil.test") send the plan, then sign-off',
        due_at=now - timedelta(days=1),
        occurred_at=now - timedelta(days=3),
    ).id
    kept = ledger.make_commitment(
        SPONSOR, project_id, promisor=SPONSOR, promisee=PM, statement="Sign off", due_at=None
    ).id
    ledger.acknowledge_commitment(PM, project_id, kept)
    ledger.fulfil_commitment(SPONSOR, project_id, kept, note="done")

    rows = {row["id"]: row for row in jsonl(exported(ledger, project_id, "commitments", "jsonl"))}
    assert set(rows) == {str(late), str(kept)}
    assert rows[str(late)]["overdue"] is True
    assert rows[str(late)]["state"] == "open"
    assert rows[str(late)]["recorded_by"] == PM
    assert rows[str(kept)]["state"] == "fulfilled"
    assert rows[str(kept)]["acknowledged_by"] == [PM]
    assert rows[str(kept)]["overdue"] is False

    cells = {row["id"]: row for row in read_csv(exported(ledger, project_id, "commitments", "csv"))}
    raw = exported(ledger, project_id, "commitments", "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in raw  # never a live formula in a spreadsheet...
    assert cells[str(late)]["statement"].startswith("=HYPERLINK")  # ...and read back as written
    assert cells[str(late)]["due_at"] == rows[str(late)]["due_at"]  # the same ISO text
    assert datetime.fromisoformat(cells[str(late)]["due_at"]) < now
    assert cells[str(late)]["overdue"] == "true"
    assert cells[str(kept)]["acknowledged_by"] == PM


def test_views_and_formats_are_checked(ledger: Ledger) -> None:
    project_id = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
    with pytest.raises(InvalidInputError, match="view"):
        exported(ledger, project_id, "nothing", "csv")
    with pytest.raises(InvalidInputError, match="format"):
        exported(ledger, project_id, "events", "xlsx")
    with pytest.raises(ProjectNotFoundError):
        exported(ledger, uuid4(), "events", "csv")


def test_other_layers_plug_their_views_in(ledger: Ledger) -> None:
    project_id = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
    register_view(
        ExportView(
            name="test-plugged",
            description="a view from another layer",
            columns=("a", "b"),
            rows=lambda _ledger, pid: [{"a": pid, "b": Decimal("1.50")}],
        )
    )
    try:
        assert exported(ledger, project_id, "test-plugged", "csv").decode("utf-8-sig") == (
            f"A,B\r\n{project_id},1.50\r\n"
        )
    finally:
        del VIEWS["test-plugged"]


def test_cells() -> None:
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(-3) == "-3"  # numbers are never guarded
    assert csv_cell("-3 days") == "'-3 days"
    assert csv_cell("@here") == "'@here"
    assert csv_cell(("a@x.test", "b@x.test")) == "a@x.test; b@x.test"
    assert csv_cell({"k": [1]}) == '{"k":[1]}'
    assert csv_cell(datetime(2026, 3, 1, 9, tzinfo=UTC)) == "2026-03-01T09:00:00+00:00"
    assert jsonable(Decimal("12.50")) == "12.50"
