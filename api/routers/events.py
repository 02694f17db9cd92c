"""The event feed, as JSON pages and as Server-Sent Events.

Both show only the events of projects the caller is a member of now (``project_id`` narrows
to one). The stream is bounded: it ends after ``max_seconds`` (at most the server's
``sse_max_seconds``), and an ``EventSource`` then reconnects with ``Last-Event-ID`` and picks
up exactly where it stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Container
from typing import Annotated
from uuid import UUID

from anyio import to_thread
from fastapi import Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.bootstrap import Services
from api.deps import CurrentPerson, ServicesDep
from api.feed import FeedPage
from api.inline import inline_when_embedded
from api.problems import READ_RESPONSES, ApiProblem
from api.routing import ResourceRouter
from api.schemas.events import EventsPublic
from api.tokens import Principal
from ledger.domain.project import ProjectNotFoundError

router = ResourceRouter(prefix="/v1/events", tags=["events"])

#: One event of the stream, as OpenAPI 3.2 describes Server-Sent Events.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "description": "One Server-Sent Event.",
    "properties": {
        "id": {"type": "string", "description": "The event's position."},
        "event": {"type": "string", "description": "The event's type."},
        "data": {"type": "string", "description": "The event as JSON, as in GET /v1/events."},
        "retry": {"type": "integer", "minimum": 0, "description": "Reconnection delay (ms)."},
    },
}

After = Annotated[
    int,
    Query(ge=0, le=2**62, description="Show events after this position (0: from the start)."),
]
ProjectFilter = Annotated[
    UUID | None, Query(description="Only this project's events (you must be a member).")
]


def _readable(services: Services, person: Principal, project_id: UUID | None) -> Container[UUID]:
    if project_id is None:
        return services.index.member_projects(person.email)
    try:
        services.ledger.membership(project_id, person.email)
    except ProjectNotFoundError as e:
        raise ApiProblem("not-found", str(e)) from None
    return frozenset({project_id})


@router.get("", response_model=EventsPublic, responses=READ_RESPONSES)
@inline_when_embedded
def read_events(
    person: CurrentPerson,
    services: ServicesDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many events.")] = 100,
    project_id: ProjectFilter = None,
) -> Response:
    """A page of the event feed in position order. Follow `next_after` until `at_end`; then
    poll, or use the stream."""
    page = services.feed.read(_readable(services, person, project_id), after=after, limit=limit)
    # The documents are encoded once, by orjson, and kept: a page is their concatenation.
    return Response(page.json(), media_type="application/json")


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "`text/event-stream`: one SSE event per ledger event — `id` is its position, "
                "`event` its type, `data` the event as in `GET /v1/events`. A bare `id` line "
                "moves the resume point past events of other projects."
            ),
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        },
        **READ_RESPONSES,
    },
)
async def stream_events(
    request: Request,
    person: CurrentPerson,
    services: ServicesDep,
    after: After = 0,
    project_id: ProjectFilter = None,
    max_seconds: Annotated[
        float | None,
        Query(
            gt=0, le=86_400, description="End the stream after this long (capped by the server)."
        ),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=20,
            description="Resume after this position (sent by EventSource on reconnection); "
            "wins over `after`.",
        ),
    ] = None,
) -> StreamingResponse:
    """Follow the event feed live, as Server-Sent Events."""
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        if not (text.isascii() and text.isdigit()):
            raise ApiProblem(
                "validation", "Last-Event-ID: must be a position", field="Last-Event-ID"
            )
        after = int(text)
    settings = services.settings
    # Checked now, so that a non-member gets 404 instead of an empty stream.
    await to_thread.run_sync(_readable, services, person, project_id)
    seconds = min(max_seconds or settings.sse_max_seconds, settings.sse_max_seconds)
    return StreamingResponse(
        _stream(request, services, person, project_id, after, seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(
    request: Request,
    services: Services,
    person: Principal,
    project_id: UUID | None,
    after: int,
    seconds: float,
) -> AsyncIterator[bytes]:
    settings = services.settings
    deadline = time.monotonic() + seconds
    last_sent = time.monotonic()
    yield b"retry: 1000\n\n"

    def read_page(position: int) -> FeedPage:
        readable = _readable(services, person, project_id)
        return services.feed.read(readable, after=position, limit=200)

    while True:
        try:
            page = await to_thread.run_sync(read_page, after)
        except ApiProblem:
            return  # no longer a member: the stream ends
        for event in page.events:
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (
                event.position,
                event.type.encode(),
                event.document,
            )
            last_sent = time.monotonic()
        if page.next_after > after and (
            not page.events or page.events[-1].position != page.next_after
        ):
            yield f"id: {page.next_after}\n\n".encode()  # resume point, no event
        after = page.next_after
        now = time.monotonic()
        if now >= deadline or await request.is_disconnected():
            return
        if not page.at_end:
            continue
        if now - last_sent >= settings.sse_keepalive_seconds:
            yield b": keep-alive\n\n"
            last_sent = now
        await asyncio.sleep(min(settings.sse_poll_seconds, max(deadline - now, 0)))
