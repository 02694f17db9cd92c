"""Meetings and minutes: hold, read, list; record, circulate and amend the minutes."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Request, Response

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
from api.mail.outbound import mail_minutes
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
from api.schemas.meetings import (
    MeetingCreate,
    MeetingPublic,
    MeetingsPublic,
    MinutesAmend,
    MinutesCirculate,
    MinutesRecord,
)
from ledger.domain.meeting import Meeting
from ledger.service.application import Ledger
from ledger.service.base import Recorded

router = ResourceRouter(prefix="/v1/projects/{project_id:uuid}/meetings", tags=["meetings"])

MeetingId = Annotated[UUID, Path(description="The meeting's id.")]


def _public(ledger: Ledger, meeting: Meeting) -> MeetingPublic:
    """The meeting with when it took place (its first event's ``occurred_at``)."""
    held = next(iter(ledger.events.get(meeting.id, lte=1)))
    return MeetingPublic.of_meeting(meeting, held.occurred_at)  # type: ignore[attr-defined]


@minimal_unless_asked
def _answer(
    ledger: Ledger, access: ProjectAccess, response: Response, result: Recorded
) -> MeetingPublic:
    meeting = ledger.get_meeting(access.project_id, result.id)
    return recorded(response, result, _public(ledger, meeting))


@router.post("", status_code=201, responses=CREATE)
def hold_meeting(
    access: ProjectRecorder,
    body: MeetingCreate,
    key: IdempotencyKey,
    ledger: LedgerDep,
    response: Response,
) -> MeetingPublic:
    """Record that a meeting took place (`occurred_at`: when)."""
    result = ledger.hold_meeting(
        access.email, access.project_id, **body.arguments(), idempotency_key=key
    )
    response.headers["Location"] = item_url(access, "meetings", result.id)
    return _answer(ledger, access, response, result)


@router.get("", responses=LIST)
def list_meetings(access: ProjectMember, page: PageParams, services: ServicesDep) -> MeetingsPublic:
    """The project's meetings, in the order they were recorded."""
    ledger = services.ledger
    items, next_cursor = page_of(services, access, "meeting", page, ledger.get_meeting)
    return MeetingsPublic(items=[_public(ledger, m) for m in items], next_cursor=next_cursor)


@router.get("/{meeting_id:uuid}", responses=READ)
@inline_when_embedded
def get_meeting(
    access: ProjectMember, meeting_id: MeetingId, ledger: LedgerDep, response: Response
) -> MeetingPublic:
    return read(response, _public(ledger, ledger.get_meeting(access.project_id, meeting_id)))


@router.post("/{meeting_id:uuid}/minutes", responses=STEP, dependencies=[IDEMPOTENT])
def record_minutes(
    access: ProjectRecorder,
    meeting_id: MeetingId,
    body: MinutesRecord,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> MeetingPublic:
    """Record the minutes; each action item becomes a commitment in the same save."""
    result = ledger.record_minutes(
        access.email, access.project_id, meeting_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)


@router.post("/{meeting_id:uuid}/minutes/circulate", responses=STEP, dependencies=[IDEMPOTENT])
def circulate_minutes(
    access: ProjectRecorder,
    meeting_id: MeetingId,
    body: MinutesCirculate,
    if_match: IfMatch,
    ledger: LedgerDep,
    services: ServicesDep,
    request: Request,
    response: Response,
) -> MeetingPublic:
    """Send the minutes; each recipient (but you and auditors) is asked to acknowledge the
    current minutes, in the same save."""
    result = ledger.circulate_minutes(
        access.email, access.project_id, meeting_id, **body.arguments(), expected_version=if_match
    )
    from api.web.ack_links import AckLinkStore  # the web app's links (api.web imports routers)

    mail_minutes(
        ledger,
        AckLinkStore(services.db),
        access.project_id,
        meeting_id,
        access.email,
        str(request.base_url),
    )
    return _answer(ledger, access, response, result)


@router.post("/{meeting_id:uuid}/minutes/amend", responses=STEP, dependencies=[IDEMPOTENT])
def amend_minutes(
    access: ProjectRecorder,
    meeting_id: MeetingId,
    body: MinutesAmend,
    if_match: IfMatch,
    ledger: LedgerDep,
    response: Response,
) -> MeetingPublic:
    """Amend the minutes (by whoever recorded them, or a team manager); new action items
    become commitments. Circulate again to ask for acknowledgement of the amended minutes."""
    result = ledger.amend_minutes(
        access.email, access.project_id, meeting_id, **body.arguments(), expected_version=if_match
    )
    return _answer(ledger, access, response, result)
