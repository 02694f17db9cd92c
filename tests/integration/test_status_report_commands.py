"""Status report commands against real storage: issued with its acknowledgement requests in
one save, corrected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.acknowledgement import AcknowledgementState, acknowledgement_request_id
from ledger.domain.errors import InvalidInputError, NotPermittedError
from ledger.domain.project import NotAMemberError
from ledger.domain.status_report import (
    StatusReport,
    StatusReportCorrection,
    StatusReportNotFoundError,
)
from ledger.service.application import Ledger, VersionMismatchError
from tests.builders import AUDITOR, DEV, PM, SPONSOR, positions, project_with_members


def report(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "period_start": date(2026, 3, 2),
        "period_end": date(2026, 3, 6),
        "to": [SPONSOR, AUDITOR],
        "progress": ["wireframes done"],
        "next_steps": ["review"],
    }
    kwargs.update(overrides)
    return kwargs


def test_report_with_acknowledge_by_saves_requests_in_the_same_save(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    by = datetime.now(UTC) + timedelta(days=2)
    before = positions(ledger)
    issued = ledger.issue_status_report(
        PM, project_id, acknowledge_by=by, **report(to=[SPONSOR, DEV, AUDITOR, PM])
    )
    assert issued.version == 1
    assert positions(ledger) == before + 3  # report + SPONSOR + DEV (not auditor, not issuer)
    assert issued.position == before + 3
    stored = ledger.get_status_report(project_id, issued.id)
    assert isinstance(stored, StatusReport)
    assert (stored.progress, stored.problems, stored.cadence_kind) == (
        ("wireframes done",),
        (),
        "weekly_report",
    )
    request = ledger.get_acknowledgement_request(
        project_id, acknowledgement_request_id(issued.id, 1, SPONSOR)
    )
    assert (request.due_at, request.state) == (by, AcknowledgementState.REQUESTED)
    ledger.acknowledge(SPONSOR, project_id, request.id)


def test_report_without_acknowledge_by_asks_nobody(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    before = positions(ledger)
    ledger.issue_status_report(DEV, project_id, cadence_kind="monthly_review", **report())
    assert positions(ledger) == before + 1


def test_the_same_idempotency_key_is_stored_once(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    by = datetime.now(UTC) + timedelta(days=2)
    first = ledger.issue_status_report(
        PM, project_id, acknowledge_by=by, idempotency_key="w10", **report()
    )
    before = positions(ledger)
    again = ledger.issue_status_report(
        PM, project_id, acknowledge_by=by, idempotency_key="w10", **report()
    )
    assert (again.id, again.position) == (first.id, 0)
    assert positions(ledger) == before


def test_invalid_reports_store_nothing(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    before = positions(ledger)
    with pytest.raises(InvalidInputError, match="period_end"):
        ledger.issue_status_report(PM, project_id, **report(period_end=date(2026, 3, 1)))
    with pytest.raises(NotAMemberError, match="to"):
        ledger.issue_status_report(PM, project_id, **report(to=["x@else.test"]))
    with pytest.raises(InvalidInputError, match="acknowledge_by"):
        ledger.issue_status_report(
            PM, project_id, acknowledge_by=datetime.now(UTC) - timedelta(days=1), **report()
        )
    with pytest.raises(NotPermittedError, match="auditor"):
        ledger.issue_status_report(AUDITOR, project_id, **report())
    assert positions(ledger) == before


def test_correction_with_new_requests_for_the_corrected_version(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    issued = ledger.issue_status_report(DEV, project_id, **report())
    with pytest.raises(NotPermittedError):
        ledger.correct_status_report(
            SPONSOR, project_id, issued.id, changes={"problems": ["x"]}, reason="r"
        )
    before = positions(ledger)
    corrected = ledger.correct_status_report(
        PM,  # a team manager
        project_id,
        issued.id,
        changes={"problems": ["outage on Tuesday"], "period_end": "2026-03-07"},
        reason="forgot the outage",
        acknowledge_by=datetime.now(UTC) + timedelta(days=1),
        expected_version=1,
    )
    assert corrected.version == 2
    assert positions(ledger) == before + 2
    stored = ledger.get_status_report(project_id, issued.id)
    assert (stored.problems, stored.period_end) == (("outage on Tuesday",), date(2026, 3, 7))
    events = list(ledger.events.get(issued.id))
    assert isinstance(events[1], StatusReport.Corrected)
    assert events[1].correction == StatusReportCorrection(
        problems=("outage on Tuesday",), period_end=date(2026, 3, 7)
    )
    ledger.get_acknowledgement_request(
        project_id, acknowledgement_request_id(issued.id, 2, SPONSOR)
    )
    with pytest.raises(VersionMismatchError):
        ledger.correct_status_report(
            DEV, project_id, issued.id, changes={"problems": []}, reason="r", expected_version=1
        )


def test_reports_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    issued = ledger.issue_status_report(PM, first, **report())
    with pytest.raises(StatusReportNotFoundError):
        ledger.get_status_report(second, issued.id)
    with pytest.raises(StatusReportNotFoundError):
        ledger.correct_status_report(PM, second, issued.id, changes={"problems": ["x"]}, reason="r")
    with pytest.raises(StatusReportNotFoundError):
        ledger.get_status_report(first, uuid4())
