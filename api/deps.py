"""The dependencies every route is built from, as ``Annotated`` aliases.

* :data:`ServicesDep`, :data:`LedgerDep` — the process's services (see :mod:`api.bootstrap`).
* :data:`CurrentPerson` — the bearer token's person (401 without a valid token).
* :data:`ProjectMember` — the path's project, if the person is a member (any role, auditors
  included): the access check of every read. Anyone else gets 404, so a project's existence
  does not leak.
* :data:`ProjectRecorder` — the same, for members who may record (auditors get 403).
* :data:`IfMatch`, :data:`IdempotencyKey`, :data:`PageParams` — the request headers and query
  parameters shared by many routes.

The projection query routes use :data:`ProjectMember` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Services
from api.inline import run_for
from api.middleware import PRINCIPAL_STATE_KEY
from api.pagination import decode_cursor, decode_key_cursor
from api.problems import ApiProblem
from api.tokens import Principal
from ledger.domain.errors import NotPermittedError
from ledger.domain.project import Member, Project, ProjectNotFoundError, require_may_record
from ledger.domain.roles import Role
from ledger.service.application import Ledger


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.services.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `accord token create --email you@example.com` (or `accord demo`).",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
#: The optional bearer credentials of a request, for routes that also take another key.
bearer = _bearer


def principal_of(
    request: Request, services: Services, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The token's person (blocking: may look the token up). Remembered for the request, so
    that authentication happens once whichever dependency asks first."""
    state = request.scope.setdefault("state", {})
    known = state.get(PRINCIPAL_STATE_KEY)
    if isinstance(known, Principal):
        return known
    if credentials is None:
        raise ApiProblem(
            "unauthenticated", "send Authorization: Bearer <token>", headers=_CHALLENGE
        )
    principal = services.tokens.authenticate(credentials.credentials)
    if principal is None:
        raise ApiProblem(
            "unauthenticated", "the bearer token is unknown or revoked", headers=_CHALLENGE
        )
    state[PRINCIPAL_STATE_KEY] = principal
    return principal


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    known = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if isinstance(known, Principal):
        return known  # authenticated already (middleware, or the project's dependency)
    services: Services = request.app.state.services
    return await run_for(services.ledger, principal_of, request, services, credentials)


CurrentPerson = Annotated[Principal, Depends(authenticate)]


@dataclass(frozen=True)
class ProjectAccess:
    """The caller's membership of the path's project."""

    project: Project
    member: Member

    @property
    def project_id(self) -> UUID:
        return self.project.id

    @property
    def email(self) -> str:
        return self.member.email

    @property
    def role(self) -> Role:
        return self.member.role


async def project_member(
    project_id: Annotated[UUID, Path(description="The project's id.")],
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ProjectAccess:
    services: Services = request.app.state.services
    # An embedded database answers in microseconds: checking in line costs less than a trip to
    # a worker thread (measured: about 0.1-0.3 ms a request, see docs/performance.md).
    access = await run_for(services.ledger, _membership, project_id, request, services, credentials)
    # The endpoint (a worker thread running in a copy of this context) takes the project just
    # checked as current: the command's own membership check does not read it again.
    services.ledger.remember_project(access.project)
    return access


def _membership(
    project_id: UUID,
    request: Request,
    services: Services,
    credentials: HTTPAuthorizationCredentials | None,
) -> ProjectAccess:
    """Authenticate, then find the person among the project's members (404 if not)."""
    person = principal_of(request, services, credentials)
    try:
        project, member = services.ledger.membership(project_id, person.email)
    except ProjectNotFoundError as e:
        raise ApiProblem("not-found", str(e)) from None
    return ProjectAccess(project, member)


ProjectMember = Annotated[ProjectAccess, Depends(project_member)]


async def project_recorder(access: ProjectMember) -> ProjectAccess:
    try:
        require_may_record(access.member)
    except NotPermittedError as e:
        raise ApiProblem("forbidden", str(e)) from None
    return access


ProjectRecorder = Annotated[ProjectAccess, Depends(project_recorder)]


async def if_match(
    header: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=100,
            description=(
                'The ETag you read (`"3"`): the step is taken only if the item is still at '
                "that version, else 412. `*` or no header: whatever its version."
            ),
        ),
    ] = None,
) -> int | None:
    if header is None or header.strip() == "*":
        return None
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if len(tags) != 1:
        raise ApiProblem("validation", "If-Match: give exactly one entity tag", field="If-Match")
    tag = tags[0]
    number = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else ""
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        # A weak or foreign tag never matches a version (RFC 9110 compares If-Match strongly).
        raise ApiProblem("precondition-failed", f"If-Match {tag} names no version of this item")
    return int(number)


IfMatch = Annotated[int | None, Depends(if_match)]


async def idempotency_key(
    person: CurrentPerson,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            description=(
                "Any unique string (a UUID) to make the request safe to retry: a retry with "
                "the same key and body gets the first answer and records nothing new; the "
                "same key with another body is refused (422)."
            ),
        ),
    ] = None,
) -> str | None:
    """The key as the ledger sees it: scoped to the person, so keys never collide."""
    return f"{person.email}:{key}" if key is not None else None


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


@dataclass(frozen=True)
class Page:
    cursor: str | None
    limit: int

    @property
    def after(self) -> int:
        """The position the cursor stands for (lists in creation order)."""
        return decode_cursor(self.cursor)

    @property
    def after_key(self) -> str | None:
        """The key the cursor stands for (lists in key order)."""
        return decode_key_cursor(self.cursor)


async def page_params(
    cursor: Annotated[
        str | None,
        Query(
            max_length=400,
            description="`next_cursor` of the previous page; omit for the first.",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=200, description="How many items per page (1 to 200).")
    ] = 50,
) -> Page:
    return Page(cursor=cursor, limit=limit)


PageParams = Annotated[Page, Depends(page_params)]
