"""Decisions: record, read, list, supersede."""

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
    page_of,
    read,
    recorded,
)
from api.routing import ResourceRouter
from api.schemas.decisions import DecisionCreate, DecisionPublic, DecisionsPublic, DecisionSupersede
from ledger.domain.decision import DecisionNotFoundError
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/decisions", tags=["decisions"])

DecisionId = Annotated[UUID, Path(description="The decision's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> DecisionPublic:
    public = DecisionPublic.of(ledger.get_decision(access.project_id, result.id))
    return recorded(response, result, public)


@router.post("", status_code=201, responses=CREATE)
def record_decision(
    access: ProjectRecorder,
    body: DecisionCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> DecisionPublic:
    """Record a decision and who took it."""
    result = ledger.record_decision(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "decisions", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_decisions(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> DecisionsPublic:
    """The project's decisions, oldest first."""
    items, next_cursor = page_of(services, access, "decision", page, services.ledger.get_decision)
    return DecisionsPublic(items=[DecisionPublic.of(d) for d in items], next_cursor=next_cursor)


@router.get("/{decision_id:uuid}", responses=READ)
@inline_when_embedded
def get_decision(
    access: ProjectMember, decision_id: DecisionId, ledger: LedgerDep, response: Response
) -> DecisionPublic:
    return read(response, DecisionPublic.of(ledger.get_decision(access.project_id, decision_id)))


@router.post("/{decision_id:uuid}/supersede", responses=STEP, dependencies=[IDEMPOTENT])
def supersede_decision(
    access: ProjectRecorder,
    decision_id: DecisionId,
    body: DecisionSupersede,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> DecisionPublic:
    """Mark the decision replaced by another current decision of the project."""
    ledger.get_decision(access.project_id, decision_id)  # the path's decision: 404 if missing
    with referenced("by_decision_id", DecisionNotFoundError):
        result = ledger.supersede_decision(
            access.email,
            access.project_id,
            decision_id,
            **body.arguments(),
            expected_version=if_match,
        )
    return _answer(ledger, access, response, result)
