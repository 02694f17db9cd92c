"""Risks: identify, read, list; assess, plan the response, record as materialised, close."""

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
from api.schemas.risks import (
    RiskAssess,
    RiskClose,
    RiskCreate,
    RiskMaterialise,
    RiskPublic,
    RiskResponsePlan,
    RisksPublic,
)
from ledger.domain.issue import IssueNotFoundError
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/risks", tags=["risks"])

RiskId = Annotated[UUID, Path(description="The risk's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> RiskPublic:
    return recorded(response, result, RiskPublic.of(ledger.get_risk(access.project_id, result.id)))


@router.post("", status_code=201, responses=CREATE)
def identify_risk(
    access: ProjectRecorder,
    body: RiskCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> RiskPublic:
    """Identify a risk, with a first estimate and its owner."""
    result = ledger.identify_risk(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "risks", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_risks(access: ProjectMember, page: PageParams, services: ServicesDep) -> RisksPublic:
    """The project's risks, oldest first."""
    items, next_cursor = page_of(services, access, "risk", page, services.ledger.get_risk)
    return RisksPublic(items=[RiskPublic.of(r) for r in items], next_cursor=next_cursor)


@router.get("/{risk_id:uuid}", responses=READ)
@inline_when_embedded
def get_risk(
    access: ProjectMember, risk_id: RiskId, ledger: LedgerDep, response: Response
) -> RiskPublic:
    return read(response, RiskPublic.of(ledger.get_risk(access.project_id, risk_id)))


@router.post("/{risk_id:uuid}/assess", responses=STEP, dependencies=[IDEMPOTENT])
def assess_risk(
    access: ProjectRecorder,
    risk_id: RiskId,
    body: RiskAssess,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> RiskPublic:
    """Estimate the probability and impact again."""
    result = ledger.assess_risk(
        access.email, access.project_id, risk_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{risk_id:uuid}/response", responses=STEP, dependencies=[IDEMPOTENT])
def plan_risk_response(
    access: ProjectRecorder,
    risk_id: RiskId,
    body: RiskResponsePlan,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> RiskPublic:
    """Plan the response to the risk."""
    result = ledger.plan_risk_response(
        access.email, access.project_id, risk_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{risk_id:uuid}/materialise", responses=STEP)
def record_risk_materialised(
    access: ProjectRecorder,
    risk_id: RiskId,
    if_match: IfMatch,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
    body: RiskMaterialise | None = None,
) -> RiskPublic:
    """The risk happened: name the issue it became, or have a problem issue raised in the same
    save (its id is then in the answer's `issue_id`)."""
    body = or_default(body, RiskMaterialise)
    ledger.get_risk(access.project_id, risk_id)  # the path's risk: 404 if missing
    with referenced("issue_id", IssueNotFoundError):
        result = ledger.record_risk_materialised(
            access.email,
            access.project_id,
            risk_id,
            **body.arguments(),
            expected_version=if_match,
            idempotency_key=key,
        )
    return _answer(ledger, access, response, result)


@router.post("/{risk_id:uuid}/close", responses=STEP, dependencies=[IDEMPOTENT])
def close_risk(
    access: ProjectRecorder,
    risk_id: RiskId,
    body: RiskClose,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> RiskPublic:
    """Close the risk."""
    result = ledger.close_risk(
        access.email, access.project_id, risk_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)
