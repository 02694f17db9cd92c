"""Expectations (the agreed baseline): set, read, list; revise or withdraw by agreement —
proposed, then agreed in person by everyone named; submit, accept or reject a delivery.
Revisions by change request happen on its approval."""

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
    or_default,
    page_of,
    read,
    recorded,
)
from api.routing import ResourceRouter
from api.schemas.expectations import (
    DeliveryAccept,
    DeliveryReject,
    DeliverySubmit,
    ExpectationAgree,
    ExpectationCreate,
    ExpectationDecline,
    ExpectationPublic,
    ExpectationRevise,
    ExpectationsPublic,
    ExpectationWithdraw,
)
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/expectations", tags=["expectations"])

ExpectationId = Annotated[UUID, Path(description="The expectation's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> ExpectationPublic:
    public = ExpectationPublic.of(ledger.get_expectation(access.project_id, result.id))
    return recorded(response, result, public)


@router.post("", status_code=201, responses=CREATE)
def set_expectation(
    access: ProjectRecorder,
    body: ExpectationCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> ExpectationPublic:
    """Add an item to the agreed baseline; naming others in `agreed_by` proposes it, and it
    joins when each of them agreed (`/agree`)."""
    result = ledger.set_expectation(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "expectations", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_expectations(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> ExpectationsPublic:
    """The project's expectations as they are now, in the order they were set."""
    items, next_cursor = page_of(
        services, access, "expectation", page, services.ledger.get_expectation
    )
    return ExpectationsPublic(
        items=[ExpectationPublic.of(e) for e in items], next_cursor=next_cursor
    )


@router.get("/{expectation_id:uuid}", responses=READ)
@inline_when_embedded
def get_expectation(
    access: ProjectMember, expectation_id: ExpectationId, ledger: LedgerDep, response: Response
) -> ExpectationPublic:
    item = ledger.get_expectation(access.project_id, expectation_id)
    return read(response, ExpectationPublic.of(item))


@router.post("/{expectation_id:uuid}/revise", responses=STEP, dependencies=[IDEMPOTENT])
def revise_expectation(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    body: ExpectationRevise,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ExpectationPublic:
    """Propose a revision by agreement between the sides; it applies when everyone named in
    `agreed_by` agreed in person (`/agree`)."""
    result = ledger.revise_expectation(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{expectation_id:uuid}/withdraw", responses=STEP, dependencies=[IDEMPOTENT])
def withdraw_expectation(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    body: ExpectationWithdraw,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ExpectationPublic:
    """Propose a withdrawal by agreement between the sides; it applies when everyone named in
    `agreed_by` agreed in person (`/agree`)."""
    result = ledger.withdraw_expectation(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{expectation_id:uuid}/agree", responses=STEP, dependencies=[IDEMPOTENT])
def agree_expectation(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    body: ExpectationAgree,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ExpectationPublic:
    """Agree, with your own token, to the set, revision or withdrawal awaiting you (or, with
    `attributed_to`, for the member who named you their delegate). The last agreement awaited
    applies it. Nobody agrees for someone else: naming them is refused (403)."""
    result = ledger.agree_expectation(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{expectation_id:uuid}/decline", responses=STEP, dependencies=[IDEMPOTENT])
def decline_expectation(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    body: ExpectationDecline,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ExpectationPublic:
    """Decline the proposal awaiting agreement (anyone it names, its proposer included): the
    baseline stays as it was."""
    result = ledger.decline_expectation(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{expectation_id:uuid}/delivery", responses=STEP, dependencies=[IDEMPOTENT])
def submit_delivery(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: DeliverySubmit | None = None,
) -> ExpectationPublic:
    """The team side submits a milestone's or deliverable's delivery."""
    body = or_default(body, DeliverySubmit)
    result = ledger.submit_delivery(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{expectation_id:uuid}/delivery/accept", responses=STEP, dependencies=[IDEMPOTENT])
def accept_delivery(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: DeliveryAccept | None = None,
) -> ExpectationPublic:
    """The client side accepts the delivery."""
    body = or_default(body, DeliveryAccept)
    result = ledger.accept_delivery(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{expectation_id:uuid}/delivery/reject", responses=STEP, dependencies=[IDEMPOTENT])
def reject_delivery(
    access: ProjectRecorder,
    expectation_id: ExpectationId,
    body: DeliveryReject,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ExpectationPublic:
    """The client side rejects the delivery; the team may submit again."""
    result = ledger.reject_delivery(
        access.email,
        access.project_id,
        expectation_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)
