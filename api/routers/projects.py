"""Projects and their members: open, read, list yours; manage members, key contacts, the
communication plan; close. Every step on a project answers with the project (its version is
the ETag that ``If-Match`` checks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from api.deps import (
    CurrentPerson,
    IdempotencyKey,
    IfMatch,
    LedgerDep,
    PageParams,
    ProjectAccess,
    ProjectMember,
    ProjectRecorder,
    ServicesDep,
)
from api.pagination import encode_cursor, encode_key_cursor
from api.prefer import wants_minimal
from api.problems import ApiProblem, referenced
from api.routers.common import (
    CREATE,
    IDEMPOTENT,
    LIST,
    READ,
    STEP,
    minimal_unless_asked,
    read,
    recorded,
    recorded_minimal,
)
from api.routing import ResourceRouter
from api.schemas.common import Email
from api.schemas.projects import (
    CommunicationPlanSet,
    DelegateName,
    KeyContactDesignate,
    MemberCreate,
    MemberPublic,
    MemberRemove,
    MemberRoleChange,
    MembersPublic,
    ProjectClose,
    ProjectCreate,
    ProjectPublic,
    ProjectsPublic,
    TimeZoneChange,
)
from ledger.domain.project import MemberNotFoundError
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects", tags=["projects"])

MemberEmail = Annotated[Email, Path(description="The member's email address.")]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> ProjectPublic:
    return recorded(response, result, ProjectPublic.of(ledger.get_project(access.project_id)))


@router.post("", status_code=201, responses=CREATE)
def open_project(
    person: CurrentPerson,
    body: ProjectCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """Open a project; you join it as its team manager."""
    result = ledger.open_project(person.email, **body.arguments(), idempotency_key=key)
    if wants_minimal():
        return recorded_minimal(response, result, location=f"/v1/projects/{result.id}")  # type: ignore[return-value]
    project = ledger.get_project(result.id)
    return recorded(
        response, result, ProjectPublic.of(project), location=f"/v1/projects/{result.id}"
    )


@router.get("", responses=LIST)
def list_projects(person: CurrentPerson, page: PageParams, services: ServicesDep) -> ProjectsPublic:
    """The projects you are a member of, oldest first."""
    found = services.index.projects_of(person.email, after=page.after, limit=page.limit + 1)
    more = len(found) > page.limit
    found = found[: page.limit]
    return ProjectsPublic(
        items=[ProjectPublic.of(services.ledger.get_project(p.item_id)) for p in found],
        next_cursor=encode_cursor(found[-1].position) if more and found else None,
    )


@router.get("/{project_id:uuid}", responses=READ)
def get_project(access: ProjectMember, response: Response) -> ProjectPublic:
    return read(response, ProjectPublic.of(access.project))


@router.get("/{project_id:uuid}/members", responses=LIST)
def list_members(access: ProjectMember, page: PageParams) -> MembersPublic:
    """The project's current members, by email."""
    after = page.after_key
    emails = sorted(e for e in access.project.members if after is None or e > after)
    shown = emails[: page.limit]
    more = len(emails) > page.limit
    return MembersPublic(
        items=[MemberPublic.model_validate(access.project.members[e]) for e in shown],
        next_cursor=encode_key_cursor(shown[-1]) if more else None,
    )


@router.get("/{project_id:uuid}/members/{email}", responses=READ)
def get_member(access: ProjectMember, email: MemberEmail, response: Response) -> MemberPublic:
    """One member. The ETag is the project's version (members are part of the project)."""
    member = access.project.members.get(email.strip().lower())
    if member is None:
        raise ApiProblem("not-found", f"{email} is not a member of this project")
    response.headers["ETag"] = f'"{access.project.version}"'
    return MemberPublic.model_validate(member)


@router.post("/{project_id:uuid}/members", responses=STEP, dependencies=[IDEMPOTENT])
def add_member(
    access: ProjectRecorder,
    body: MemberCreate,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """A person joins the project on one side with a role. By a team manager."""
    result = ledger.add_member(
        access.email, access.project_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/members/{email}/role", responses=STEP, dependencies=[IDEMPOTENT])
def change_member_role(
    access: ProjectRecorder,
    email: MemberEmail,
    body: MemberRoleChange,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """A member's role changes, within their side. By a team manager."""
    result = ledger.change_member_role(
        access.email,
        access.project_id,
        email=email,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/members/{email}/remove", responses=STEP, dependencies=[IDEMPOTENT])
def remove_member(
    access: ProjectRecorder,
    email: MemberEmail,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
    body: MemberRemove | None = None,
) -> ProjectPublic:
    """A person leaves the project; their past events stay theirs. By a team manager."""
    body = body or MemberRemove()
    result = ledger.remove_member(
        access.email,
        access.project_id,
        email=email,
        **body.arguments(),
        expected_version=if_match,
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/key-contacts", responses=STEP, dependencies=[IDEMPOTENT])
def designate_key_contact(
    access: ProjectRecorder,
    body: KeyContactDesignate,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """A member becomes the contact for an area. By a team manager."""
    with referenced("email", MemberNotFoundError):
        result = ledger.designate_key_contact(
            access.email, access.project_id, **body.arguments(), expected_version=if_match
        )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/delegates", responses=STEP, dependencies=[IDEMPOTENT])
def name_delegate(
    access: ProjectRecorder,
    body: DelegateName,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """You name a member of your side who may give your consent for you (approve or reject a
    change, accept or dispute a fulfilment, agree an expectation...). Only with your own
    token: consent belongs to its owner."""
    result = ledger.name_delegate(
        access.email, access.project_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/delegates/revoke", responses=STEP, dependencies=[IDEMPOTENT])
def revoke_delegate(
    access: ProjectRecorder,
    body: DelegateName,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """You take back a delegation you gave."""
    result = ledger.revoke_delegate(
        access.email, access.project_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/communication-plan", responses=STEP, dependencies=[IDEMPOTENT])
def set_communication_plan(
    access: ProjectRecorder,
    body: CommunicationPlanSet,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """The agreed channels and cadences, replacing the previous plan. By a team manager."""
    result = ledger.set_communication_plan(
        access.email, access.project_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/time-zone", responses=STEP, dependencies=[IDEMPOTENT])
def change_time_zone(
    access: ProjectRecorder,
    body: TimeZoneChange,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """Count the project's days in another IANA time zone from now on. By a team manager."""
    result = ledger.change_time_zone(
        access.email, access.project_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{project_id:uuid}/close", responses=STEP, dependencies=[IDEMPOTENT])
def close_project(
    access: ProjectRecorder,
    body: ProjectClose,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> ProjectPublic:
    """The project ends; nothing more can be recorded in it. By a team manager."""
    result = ledger.close_project(
        access.email, access.project_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)
