"""Acknowledgement requests: request, read, list; acknowledge or dispute (in person);
withdraw."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Response

from api.deps import (
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
    or_default,
    page_of,
    read,
    recorded,
)
from api.routing import ResourceRouter
from api.schemas.acknowledgements import (
    AcknowledgementDispute,
    AcknowledgementGive,
    AcknowledgementRequestCreate,
    AcknowledgementRequestPublic,
    AcknowledgementRequestsPublic,
    AcknowledgementWithdraw,
)
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(
    prefix="/v1/projects/{project_id:uuid}/acknowledgement-requests",
    tags=["acknowledgement requests"],
)

RequestId = Annotated[UUID, Path(description="The acknowledgement request's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> AcknowledgementRequestPublic:
    item = ledger.get_acknowledgement_request(access.project_id, result.id)
    return recorded(response, result, AcknowledgementRequestPublic.of(item))


@router.post("", status_code=201, responses=CREATE, dependencies=[IDEMPOTENT])
def request_acknowledgement(
    access: ProjectRecorder,
    body: AcknowledgementRequestCreate,
    ledger: LedgerDep,
    response: Response,
) -> AcknowledgementRequestPublic:
    """Ask a member to confirm one version of an item of this project. Asking again for the
    same version and person answers with the first request (its id derives from them)."""
    result = ledger.request_acknowledgement(access.email, access.project_id, **body.arguments())
    response.headers["Location"] = item_url(access, "acknowledgement-requests", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_acknowledgement_requests(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> AcknowledgementRequestsPublic:
    """The project's acknowledgement requests, oldest first."""
    items, next_cursor = page_of(
        services,
        access,
        "acknowledgement_request",
        page,
        services.ledger.get_acknowledgement_request,
    )
    return AcknowledgementRequestsPublic(
        items=[AcknowledgementRequestPublic.of(r) for r in items], next_cursor=next_cursor
    )


@router.get("/{request_id:uuid}", responses=READ)
@inline_when_embedded
def get_acknowledgement_request(
    access: ProjectMember, request_id: RequestId, ledger: LedgerDep, response: Response
) -> AcknowledgementRequestPublic:
    item = ledger.get_acknowledgement_request(access.project_id, request_id)
    return read(response, AcknowledgementRequestPublic.of(item))


@router.post("/{request_id:uuid}/acknowledge", responses=STEP, dependencies=[IDEMPOTENT])
def acknowledge(
    access: ProjectRecorder,
    request_id: RequestId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: AcknowledgementGive | None = None,
) -> AcknowledgementRequestPublic:
    """The person asked confirms the subject — in person."""
    body = or_default(body, AcknowledgementGive)
    result = ledger.acknowledge(
        access.email, access.project_id, request_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{request_id:uuid}/dispute", responses=STEP, dependencies=[IDEMPOTENT])
def dispute_acknowledgement(
    access: ProjectRecorder,
    request_id: RequestId,
    body: AcknowledgementDispute,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> AcknowledgementRequestPublic:
    """The person asked does not confirm the subject, and says why — in person."""
    result = ledger.dispute_acknowledgement(
        access.email, access.project_id, request_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{request_id:uuid}/withdraw", responses=STEP, dependencies=[IDEMPOTENT])
def withdraw_acknowledgement_request(
    access: ProjectRecorder,
    request_id: RequestId,
    body: AcknowledgementWithdraw,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> AcknowledgementRequestPublic:
    """The requester (or their side) withdraws the request."""
    result = ledger.withdraw_acknowledgement_request(
        access.email, access.project_id, request_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)
