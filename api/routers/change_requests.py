"""Change requests: request, read, list; assess the impact; approve (revising the affected
expectations in the same save), reject, withdraw; mark implemented."""

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
from api.problems import referenced
from api.routers.common import (
    CREATE,
    IDEMPOTENT,
    LIST,
    READ,
    STEP,
    item_url,
    minimal_unless_asked,
    or_default,
    page_of,
    read,
    recorded,
)
from api.routing import ResourceRouter
from api.schemas.change_requests import (
    ChangeApprove,
    ChangeImplemented,
    ChangeReject,
    ChangeRequestCreate,
    ChangeRequestPublic,
    ChangeRequestsPublic,
    ChangeWithdraw,
    ImpactAssess,
)
from ledger.domain.expectation import ExpectationNotFoundError
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(
    prefix="/v1/projects/{project_id:uuid}/change-requests", tags=["change requests"]
)

ChangeRequestId = Annotated[UUID, Path(description="The change request's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> ChangeRequestPublic:
    public = ChangeRequestPublic.of(ledger.get_change_request(access.project_id, result.id))
    return recorded(response, result, public)


@router.post("", status_code=201, responses=CREATE)
def request_change(
    access: ProjectRecorder,
    body: ChangeRequestCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> ChangeRequestPublic:
    """Ask to change the baseline."""
    with referenced("affected_expectations", ExpectationNotFoundError):
        result = ledger.request_change(
            access.email, access.project_id, **body.arguments(), idempotency_key=key
        )
    response.headers["Location"] = item_url(access, "change-requests", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_change_requests(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> ChangeRequestsPublic:
    """The project's change requests, oldest first."""
    items, next_cursor = page_of(
        services, access, "change_request", page, services.ledger.get_change_request
    )
    return ChangeRequestsPublic(
        items=[ChangeRequestPublic.of(c) for c in items], next_cursor=next_cursor
    )


@router.get("/{change_request_id:uuid}", responses=READ)
@inline_when_embedded
def get_change_request(
    access: ProjectMember,
    change_request_id: ChangeRequestId,
    ledger: LedgerDep,
    response: Response,
) -> ChangeRequestPublic:
    item = ledger.get_change_request(access.project_id, change_request_id)
    return read(response, ChangeRequestPublic.of(item))


@router.post("/{change_request_id:uuid}/assess", responses=STEP, dependencies=[IDEMPOTENT])
def assess_impact(
    access: ProjectRecorder,
    change_request_id: ChangeRequestId,
    body: ImpactAssess,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ChangeRequestPublic:
    """The team side assesses (or re-assesses) the impact."""
    with referenced("revisions", ExpectationNotFoundError):
        result = ledger.assess_impact(
            access.email,
            access.project_id,
            change_request_id,
            **body.arguments(),
            expected_version=if_match,
        )
    return _answer(ledger, access, response, result)


@router.post("/{change_request_id:uuid}/approve", responses=STEP, dependencies=[IDEMPOTENT])
def approve_change(
    access: ProjectRecorder,
    change_request_id: ChangeRequestId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: ChangeApprove | None = None,
) -> ChangeRequestPublic:
    """A client approver approves the change as last assessed; the affected expectations are
    revised or withdrawn in the same save."""
    body = or_default(body, ChangeApprove)
    result = ledger.approve_change(
        access.email,
        access.project_id,
        change_request_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{change_request_id:uuid}/reject", responses=STEP, dependencies=[IDEMPOTENT])
def reject_change(
    access: ProjectRecorder,
    change_request_id: ChangeRequestId,
    body: ChangeReject,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ChangeRequestPublic:
    """A client approver rejects the change."""
    result = ledger.reject_change(
        access.email,
        access.project_id,
        change_request_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{change_request_id:uuid}/withdraw", responses=STEP, dependencies=[IDEMPOTENT])
def withdraw_change(
    access: ProjectRecorder,
    change_request_id: ChangeRequestId,
    body: ChangeWithdraw,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ChangeRequestPublic:
    """The requesting side withdraws the change request."""
    result = ledger.withdraw_change(
        access.email,
        access.project_id,
        change_request_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{change_request_id:uuid}/implemented", responses=STEP, dependencies=[IDEMPOTENT])
def mark_change_implemented(
    access: ProjectRecorder,
    change_request_id: ChangeRequestId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: ChangeImplemented | None = None,
) -> ChangeRequestPublic:
    """Record that an approved change was implemented."""
    body = or_default(body, ChangeImplemented)
    result = ledger.mark_change_implemented(
        access.email,
        access.project_id,
        change_request_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)
