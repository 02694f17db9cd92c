"""A member's due dates as an iCalendar feed, and the calendar tokens that open it.

``GET /v1/projects/{id}/calendar.ics?token=acal_...`` is what a calendar app subscribes to:
calendar apps cannot send headers, so the key is a *calendar token* in the URL — read-only,
for one person's feed of one project, revocable on its own (see :mod:`api.calendar_tokens`).
With a bearer token instead, the route answers the caller's own feed (handy with curl).

Every member may issue calendar tokens for their own feed (auditors too: a feed only reads);
a team manager may issue one for another member, e.g. a client who never uses the API, and
revoke any of the project's calendar tokens.
"""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from api.calendar_tokens import CalendarToken
from api.deps import ProjectAccess, ProjectMember, ServicesDep, bearer, principal_of
from api.problems import READ_RESPONSES, WRITE_RESPONSES, ApiProblem, Problem
from api.routers.common import IDEMPOTENT
from api.routing import ResourceRouter
from api.schemas.calendar import (
    CalendarTokenCreate,
    CalendarTokenIssued,
    CalendarTokenList,
    CalendarTokenPublic,
)
from api.tokens import TokenNotFoundError
from ledger.domain.errors import NotFoundError
from ledger.domain.project import NotAMemberError
from ledger.domain.roles import Role
from ledger.domain.validation import normalise_email
from ledger.interchange.calendar_feed import calendar_feed

router = ResourceRouter(prefix="/v1/projects/{project_id}", tags=["calendar"])

CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"
FEED_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "description": "The feed (RFC 5545).",
        "headers": {
            "ETag": {
                "description": "The feed's digest: send it as `If-None-Match` to get 304 "
                "while nothing changed.",
                "schema": {"type": "string"},
            }
        },
    },
    304: {"description": "Not modified since the `If-None-Match` you sent."},
    401: {"model": Problem, "description": "No valid calendar token or bearer token."},
    404: {
        "model": Problem,
        "description": "No such project, or the token's person is not a member of it (any more).",
    },
    422: {"model": Problem, "description": "A parameter is not valid."},
}


@router.get("/calendar.ics", responses=FEED_RESPONSES, response_class=Response)
async def calendar_ics(
    project_id: Annotated[UUID, Path(description="The project's id.")],
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    token: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A calendar token (`acal_...`) from `POST .../calendar-tokens`; "
            "without it, send a bearer token for your own feed.",
        ),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            max_length=200,
            description="The ETag of the feed you have: 304 if it has not changed.",
        ),
    ] = None,
) -> Response:
    """One member's calendar of the project: the due dates of commitments they made or are
    owed, the baseline's milestones and dated deliverables, acknowledgements asked of them,
    and the cadence of the communication plan they own or follow (RFC 5545)."""
    return await run_in_threadpool(
        _feed, project_id, request, services, credentials, token, if_none_match
    )


def _feed(
    project_id: UUID,
    request: Request,
    services: ServicesDep,
    credentials: HTTPAuthorizationCredentials | None,
    token: str | None,
    if_none_match: str | None,
) -> Response:
    if token is not None:
        grant = services.calendar_tokens.authenticate(token, project_id)
        if grant is None:
            raise ApiProblem(
                "unauthenticated", "the calendar token is unknown, revoked or for another project"
            )
        person = grant.email
    else:
        person = principal_of(request, services, credentials).email
    try:
        data = calendar_feed(services.ledger, project_id, person)
    except (NotFoundError, NotAMemberError):
        raise ApiProblem("not-found", f"project {project_id} not found") from None
    tag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers = {
        "ETag": tag,
        "Cache-Control": "private, no-cache",
        # The URL holds a key: it must not travel on to any link followed from the feed.
        "Referrer-Policy": "no-referrer",
        "Content-Disposition": f'inline; filename="accord-{project_id}.ics"',
    }
    if if_none_match is not None and tag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=CALENDAR_MEDIA_TYPE, headers=headers)


def _public(info: CalendarToken) -> CalendarTokenPublic:
    return CalendarTokenPublic(
        token_id=info.token_id,
        project_id=info.project_id,
        person=info.email,
        label=info.label,
        created_by=info.created_by,
        created_at=info.created_at,
        revoked_at=info.revoked_at,
    )


@router.post(
    "/calendar-tokens", status_code=201, responses=WRITE_RESPONSES, dependencies=[IDEMPOTENT]
)
def create_calendar_token(
    access: ProjectMember,
    request: Request,
    services: ServicesDep,
    body: CalendarTokenCreate | None = None,
) -> CalendarTokenIssued:
    """Issue a calendar token: the URL to subscribe to in a calendar app. The token is shown
    once."""
    body = body or CalendarTokenCreate()
    person = access.email
    if body.person is not None:
        person = normalise_email(body.person, "person")
        if person != access.email and access.role is not Role.TEAM_MANAGER:
            raise ApiProblem("forbidden", "only team managers issue calendar tokens for others")
        if person not in access.project.members:
            raise ApiProblem(
                "invalid-input", f"{person} is not a member of this project", field="person"
            )
    issued = services.calendar_tokens.create(
        access.project_id, person, created_by=access.email, label=body.label
    )
    url = str(request.url_for("calendar_ics", project_id=str(access.project_id)))
    url = f"{url}?token={issued.token}"
    webcal = "webcal://" + url.split("://", 1)[1]
    return CalendarTokenIssued(
        **_public(issued.info).model_dump(), token=issued.token, url=url, webcal_url=webcal
    )


@router.get("/calendar-tokens", responses=READ_RESPONSES)
def list_calendar_tokens(access: ProjectMember, services: ServicesDep) -> CalendarTokenList:
    """Your calendar tokens of the project, revoked ones included (a team manager sees every
    member's)."""
    email = None if access.role is Role.TEAM_MANAGER else access.email
    found = services.calendar_tokens.list(access.project_id, email)
    return CalendarTokenList(tokens=[_public(info) for info in found])


@router.post(
    "/calendar-tokens/{token_id}/revoke",
    responses=WRITE_RESPONSES,
    dependencies=[IDEMPOTENT],
)
def revoke_calendar_token(
    access: ProjectMember,
    services: ServicesDep,
    token_id: Annotated[str, Path(max_length=40, description="The calendar token's id.")],
) -> CalendarTokenPublic:
    """Revoke a calendar token: its URL stops working at once. Yours, or (team managers) any
    of the project's."""
    try:
        info = _visible(services, access, token_id)
    except TokenNotFoundError:
        raise ApiProblem("not-found", f"calendar token {token_id} not found") from None
    return _public(services.calendar_tokens.revoke(info.token_id, access.project_id))


def _visible(services: ServicesDep, access: ProjectAccess, token_id: str) -> CalendarToken:
    info = services.calendar_tokens.get(token_id, access.project_id)
    if info.email != access.email and access.role is not Role.TEAM_MANAGER:
        raise TokenNotFoundError(token_id)
    return info
