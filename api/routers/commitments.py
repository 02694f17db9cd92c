"""Commitments: make, read, list, and every step of their lifecycle."""

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
from api.schemas.commitments import (
    CommitmentAcknowledge,
    CommitmentCreate,
    CommitmentFulfil,
    CommitmentPublic,
    CommitmentRelease,
    CommitmentsPublic,
    CommitmentWithdraw,
    FulfilmentAccept,
    FulfilmentDispute,
    RenegotiationAgree,
    RenegotiationDecline,
    RenegotiationPropose,
)
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/commitments", tags=["commitments"])

CommitmentId = Annotated[UUID, Path(description="The commitment's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> CommitmentPublic:
    public = CommitmentPublic.of(ledger.get_commitment(access.project_id, result.id))
    return recorded(response, result, public)


@router.post("", status_code=201, responses=CREATE)
def make_commitment(
    access: ProjectRecorder,
    body: CommitmentCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> CommitmentPublic:
    """Record a promise. Anyone who records may; the evidence grade shows whether the
    promisor recorded or acknowledged it."""
    result = ledger.make_commitment(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "commitments", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_commitments(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> CommitmentsPublic:
    """The project's commitments, oldest first."""
    items, next_cursor = page_of(
        services, access, "commitment", page, services.ledger.get_commitment
    )
    return CommitmentsPublic(items=[CommitmentPublic.of(c) for c in items], next_cursor=next_cursor)


@router.get("/{commitment_id:uuid}", responses=READ)
@inline_when_embedded
def get_commitment(
    access: ProjectMember, commitment_id: CommitmentId, ledger: LedgerDep, response: Response
) -> CommitmentPublic:
    return read(
        response, CommitmentPublic.of(ledger.get_commitment(access.project_id, commitment_id))
    )


@router.post("/{commitment_id:uuid}/acknowledge", responses=STEP, dependencies=[IDEMPOTENT])
def acknowledge_commitment(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: CommitmentAcknowledge | None = None,
) -> CommitmentPublic:
    """The promisor or the promisee confirms the commitment, in person."""
    body = or_default(body, CommitmentAcknowledge)
    result = ledger.acknowledge_commitment(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/renegotiation", responses=STEP, dependencies=[IDEMPOTENT])
def propose_renegotiation(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    body: RenegotiationPropose,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> CommitmentPublic:
    """The promisor or the promisee proposes new terms (due time and/or statement)."""
    result = ledger.propose_commitment_renegotiation(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/renegotiation/agree", responses=STEP, dependencies=[IDEMPOTENT])
def agree_renegotiation(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: RenegotiationAgree | None = None,
) -> CommitmentPublic:
    """The other side agrees to the proposed terms, which then apply."""
    body = or_default(body, RenegotiationAgree)
    result = ledger.agree_commitment_renegotiation(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post(
    "/{commitment_id:uuid}/renegotiation/decline", responses=STEP, dependencies=[IDEMPOTENT]
)
def decline_renegotiation(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    body: RenegotiationDecline,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> CommitmentPublic:
    """The other side declines the proposed terms; the old ones stand."""
    result = ledger.decline_commitment_renegotiation(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/fulfil", responses=STEP, dependencies=[IDEMPOTENT])
def fulfil_commitment(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: CommitmentFulfil | None = None,
) -> CommitmentPublic:
    """The promisor reports the promise kept."""
    body = or_default(body, CommitmentFulfil)
    result = ledger.fulfil_commitment(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/fulfilment/accept", responses=STEP, dependencies=[IDEMPOTENT])
def accept_fulfilment(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: FulfilmentAccept | None = None,
) -> CommitmentPublic:
    """The promisee accepts the fulfilment."""
    body = or_default(body, FulfilmentAccept)
    result = ledger.accept_fulfilment(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/fulfilment/dispute", responses=STEP, dependencies=[IDEMPOTENT])
def dispute_fulfilment(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    body: FulfilmentDispute,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> CommitmentPublic:
    """The promisee disputes the fulfilment; the promisor may fulfil again."""
    result = ledger.dispute_fulfilment(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/withdraw", responses=STEP, dependencies=[IDEMPOTENT])
def withdraw_commitment(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    body: CommitmentWithdraw,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> CommitmentPublic:
    """The promisor takes the promise back."""
    result = ledger.withdraw_commitment(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{commitment_id:uuid}/release", responses=STEP, dependencies=[IDEMPOTENT])
def release_commitment(
    access: ProjectRecorder,
    commitment_id: CommitmentId,
    body: CommitmentRelease,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> CommitmentPublic:
    """The promisee lets the promisor off."""
    result = ledger.release_commitment(
        access.email,
        access.project_id,
        commitment_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)
