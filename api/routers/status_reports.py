"""Status reports: issue (with acknowledgement requests), read, list, correct."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Response

from api.deps import (
    IdempotencyKey,
    IfMatch,
    LedgerDep,
    PageParams,
    ProjectAccess,
    ProjectMember,
    ProjectRecorder,
    ServicesDep,
)
from api.inline import inline_when_embedded
from api.routers.common import (
    CREATE,
    IDEMPOTENT,
    LIST,
    READ,
    STEP,
    item_url,
    minimal_unless_asked,
    page_of,
    read,
    recorded,
)
from api.routing import ResourceRouter
from api.schemas.status_reports import (
    StatusReportCorrect,
    StatusReportCreate,
    StatusReportPublic,
    StatusReportsPublic,
)
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(
    prefix="/v1/projects/{project_id:uuid}/status-reports", tags=["status reports"]
)

ReportId = Annotated[UUID, Path(description="The status report's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> StatusReportPublic:
    public = StatusReportPublic.of(ledger.get_status_report(access.project_id, result.id))
    return recorded(response, result, public)


@router.post("", status_code=201, responses=CREATE)
def issue_status_report(
    access: ProjectRecorder,
    body: StatusReportCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> StatusReportPublic:
    """Issue a report to members; with `acknowledge_by`, each recipient (but you and
    auditors) is asked to acknowledge it, in the same save."""
    result = ledger.issue_status_report(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "status-reports", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_status_reports(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> StatusReportsPublic:
    """The project's status reports, oldest first."""
    items, next_cursor = page_of(
        services, access, "status_report", page, services.ledger.get_status_report
    )
    return StatusReportsPublic(
        items=[StatusReportPublic.of(r) for r in items], next_cursor=next_cursor
    )


@router.get("/{report_id:uuid}", responses=READ)
@inline_when_embedded
def get_status_report(
    access: ProjectMember, report_id: ReportId, ledger: LedgerDep, response: Response
) -> StatusReportPublic:
    item = ledger.get_status_report(access.project_id, report_id)
    return read(response, StatusReportPublic.of(item))


@router.post("/{report_id:uuid}/correct", responses=STEP, dependencies=[IDEMPOTENT])
def correct_status_report(
    access: ProjectRecorder,
    report_id: ReportId,
    body: StatusReportCorrect,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> StatusReportPublic:
    """Correct some fields (by whoever issued it, or a team manager); the original stays."""
    result = ledger.correct_status_report(
        access.email, access.project_id, report_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)
