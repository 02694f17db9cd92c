"""Issues: raise, read, list; respond, propose and choose solutions, report progress,
resolve, confirm or dispute the resolution, reopen."""

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
from api.schemas.issues import (
    IssueCreate,
    IssuePublic,
    IssueReopen,
    IssueResolve,
    IssueRespond,
    IssuesPublic,
    ProgressReport,
    ResolutionConfirm,
    ResolutionDispute,
    SolutionChoose,
    SolutionOptionsPropose,
)
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/issues", tags=["issues"])

IssueId = Annotated[UUID, Path(description="The issue's id.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> IssuePublic:
    return recorded(
        response, result, IssuePublic.of(ledger.get_issue(access.project_id, result.id))
    )


@router.post("", status_code=201, responses=CREATE)
def raise_issue(
    access: ProjectRecorder,
    body: IssueCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """Raise a problem, question or feedback; the raiser is the attributed person or you."""
    result = ledger.raise_issue(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "issues", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_issues(access: ProjectMember, page: PageParams, services: ServicesDep) -> IssuesPublic:
    """The project's issues, oldest first."""
    items, next_cursor = page_of(services, access, "issue", page, services.ledger.get_issue)
    return IssuesPublic(items=[IssuePublic.of(i) for i in items], next_cursor=next_cursor)


@router.get("/{issue_id:uuid}", responses=READ)
@inline_when_embedded
def get_issue(
    access: ProjectMember, issue_id: IssueId, ledger: LedgerDep, response: Response
) -> IssuePublic:
    return read(response, IssuePublic.of(ledger.get_issue(access.project_id, issue_id)))


@router.post("/{issue_id:uuid}/responses", responses=STEP, dependencies=[IDEMPOTENT])
def respond_to_issue(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: IssueRespond,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """Respond to the issue (a question is answered by a response from another side)."""
    result = ledger.respond_to_issue(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/solution-options", responses=STEP, dependencies=[IDEMPOTENT])
def propose_solution_options(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: SolutionOptionsPropose,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """Propose ways to settle the issue, replacing earlier ones (until one is chosen)."""
    result = ledger.propose_solution_options(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/solution", responses=STEP, dependencies=[IDEMPOTENT])
def choose_solution(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: SolutionChoose,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """The client side chooses one of the proposed options."""
    result = ledger.choose_solution(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/progress", responses=STEP, dependencies=[IDEMPOTENT])
def report_issue_progress(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: ProgressReport,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """Report progress on the issue."""
    result = ledger.report_issue_progress(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/resolve", responses=STEP, dependencies=[IDEMPOTENT])
def resolve_issue(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: IssueResolve,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """Record how the issue was resolved; the raiser's side then confirms or disputes."""
    result = ledger.resolve_issue(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/resolution/confirm", responses=STEP, dependencies=[IDEMPOTENT])
def confirm_resolution(
    access: ProjectRecorder,
    issue_id: IssueId,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: ResolutionConfirm | None = None,
) -> IssuePublic:
    """The raiser's side confirms the resolution."""
    body = or_default(body, ResolutionConfirm)
    result = ledger.confirm_resolution(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/resolution/dispute", responses=STEP, dependencies=[IDEMPOTENT])
def dispute_resolution(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: ResolutionDispute,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """The raiser's side disputes the resolution; the issue is in progress again."""
    result = ledger.dispute_resolution(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{issue_id:uuid}/reopen", responses=STEP, dependencies=[IDEMPOTENT])
def reopen_issue(
    access: ProjectRecorder,
    issue_id: IssueId,
    body: IssueReopen,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> IssuePublic:
    """Reopen a resolved or confirmed issue."""
    result = ledger.reopen_issue(
        access.email, access.project_id, issue_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)
