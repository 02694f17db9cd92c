"""Interactions: record one or import many, read, list, correct, retract."""

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
from api.problems import WRITE_RESPONSES
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
from api.schemas.common import RecordedPublic
from api.schemas.interactions import (
    InteractionCorrect,
    InteractionCreate,
    InteractionPublic,
    InteractionRetract,
    InteractionsImport,
    InteractionsImported,
    InteractionsPublic,
)
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/interactions", tags=["interactions"])

InteractionId = Annotated[UUID, Path(description="The interaction's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> InteractionPublic:
    public = InteractionPublic.of(ledger.get_interaction(access.project_id, result.id))
    return recorded(response, result, public)


@router.post("", status_code=201, responses=CREATE)
def record_interaction(
    access: ProjectRecorder,
    body: InteractionCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> InteractionPublic:
    """Record an email, call, chat... Given a `source_ref`, recording it again stores
    nothing."""
    result = ledger.record_interaction(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "interactions", result.id)
    return _answer(ledger, access, response, result)


@router.post(
    "/import",
    responses={200: {"description": "One result per item."}, **WRITE_RESPONSES},
    dependencies=[IDEMPOTENT],
)
def import_interactions(
    access: ProjectRecorder, body: InteractionsImport, ledger: LedgerDep
) -> InteractionsImported:
    """Import up to 1,000 interactions in one atomic save: every item is checked first, and
    one bad item stores none (the error names `items[i].field`). Items already stored (same
    `source_ref` or `idempotency_key`) are skipped and reported with position 0."""
    items = []
    for item in body.items:
        arguments = item.arguments()
        if arguments["idempotency_key"] is not None:
            arguments["idempotency_key"] = f"{access.email}:{arguments['idempotency_key']}"
        items.append({k: v for k, v in arguments.items() if v is not None})
    results = ledger.record_interactions(access.email, access.project_id, items)
    return InteractionsImported(
        items=[RecordedPublic(id=r.id, version=r.version, position=r.position) for r in results]
    )


@router.get("", responses=LIST)
def list_interactions(
    access: ProjectMember, page: PageParams, services: ServicesDep
) -> InteractionsPublic:
    """The project's interactions, in the order they were recorded."""
    items, next_cursor = page_of(
        services, access, "interaction", page, services.ledger.get_interaction
    )
    return InteractionsPublic(
        items=[InteractionPublic.of(i) for i in items], next_cursor=next_cursor
    )


@router.get("/{interaction_id:uuid}", responses=READ)
@inline_when_embedded
def get_interaction(
    access: ProjectMember, interaction_id: InteractionId, ledger: LedgerDep, response: Response
) -> InteractionPublic:
    item = ledger.get_interaction(access.project_id, interaction_id)
    return read(response, InteractionPublic.of(item))


@router.post("/{interaction_id:uuid}/correct", responses=STEP, dependencies=[IDEMPOTENT])
def correct_interaction(
    access: ProjectRecorder,
    interaction_id: InteractionId,
    body: InteractionCorrect,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> InteractionPublic:
    """Correct some fields; the original stays. By whoever recorded it, the person it was
    recorded for, its sender, or a team manager."""
    result = ledger.correct_interaction(
        access.email,
        access.project_id,
        interaction_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{interaction_id:uuid}/retract", responses=STEP, dependencies=[IDEMPOTENT])
def retract_interaction(
    access: ProjectRecorder,
    interaction_id: InteractionId,
    body: InteractionRetract,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> InteractionPublic:
    """Mark the record as one that should not have been made (it stays in the log)."""
    result = ledger.retract_interaction(
        access.email,
        access.project_id,
        interaction_id,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)
