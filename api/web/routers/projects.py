"""The projects list and a project's home: what is open and whose move it is, what waits for
an acknowledgement, missed reports, this week's due commitments, and key metrics.

JSON twins: ``/v1/projects``, ``/v1/projects/{id}/open-items``, ``/v1/projects/{id}/metrics``
and ``/v1/projects/{id}/audit/commitments`` (the same query functions)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from anyio import to_thread
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from api.routing import ResourceRouter
from api.web import charts
from api.web.core import Web, web_of
from api.web.links import open_item_url
from projections import queries as q
from projections.asof import LiveViews
from projections.framework import parse_iso

router = ResourceRouter(include_in_schema=False)


def names(web: Web, project: Any) -> Any:
    """A function from an email to the member's name (the email if not a member)."""

    def name(email: str | None) -> str:
        if not email:
            return ""
        member = project.members.get(email)
        return member.name if member is not None and member.name else email

    return name


@router.get("/projects")
def projects(request: Request) -> Response:
    web = web_of(request)
    email = web.email
    found = web.services.index.projects_of(email, after=0, limit=200)
    items = [web.services.ledger.get_project(p.item_id) for p in found]
    return web.render("projects.html", projects=items)


#: Rows shown per list on the home page (the most urgent first); ``?all=1`` shows every one.
HOME_ROWS = 8


@router.get("/projects/{project_id}")
def project_home(request: Request, project_id: UUID, all: bool = False) -> Response:
    web = web_of(request)
    access = web.project(project_id)
    pid = str(project_id)
    views = LiveViews(web.services.runner)
    now = datetime.now(UTC)
    items = q.open_items(views, pid, now)
    name = names(web, access.project)
    for item in items:
        item["url"] = open_item_url(project_id, item)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        if item["kind"] in ("acknowledgement", "missed_cadence"):
            continue
        ball = item["ball_in_court"]
        key = ("person", ball["person"]) if ball["person"] else ("party", ball["party"] or "team")
        groups.setdefault(key, []).append(item)
    ordered = sorted(groups.items(), key=lambda g: (g[0][0] != "party", g[0][1]))
    waiting_acks = [i for i in items if i["kind"] == "acknowledgement"]
    missed = [i for i in items if i["kind"] == "missed_cadence"]

    promises = q.commitments(views, pid)
    local_now = now.astimezone(web.zone)
    week_start = (local_now - timedelta(days=local_now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    week_end = week_start + timedelta(days=7)
    due_this_week = [
        c
        for c in promises
        if c["closed_at"] is None
        and c["due_at"]
        and week_start <= (parse_iso(c["due_at"]) or now) < week_end
    ]
    metrics = q.metrics(views, pid, now)
    return web.render(
        "home.html",
        access=access,
        project=access.project,
        name=name,
        groups=ordered,
        open_count=len(items),
        waiting_acks=waiting_acks,
        missed=missed,
        due_this_week=due_this_week,
        week_start=week_start,
        metrics=metrics,
        charts=_charts(web, metrics, promises, now),
        rows=None if all else HOME_ROWS,
    )


@router.get("/projects/{project_id}/events")
async def live(request: Request, project_id: UUID) -> Response:
    """The project's events as they are recorded (Server-Sent Events over the event feed, as
    ``/v1/events/stream?project_id=`` but with the session): the home page's script says that
    something new was recorded. One unnamed message per page of new events, ``data`` its last
    position; the stream ends after ``sse_max_seconds`` (the browser reconnects)."""
    web = await to_thread.run_sync(web_of, request)
    access = await to_thread.run_sync(web.project, project_id)
    services = web.services
    readable = frozenset({access.project_id})
    settings = services.settings

    async def stream() -> AsyncIterator[bytes]:
        after = await to_thread.run_sync(services.feed.top)
        deadline = time.monotonic() + settings.sse_max_seconds
        yield b"retry: 5000\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            page = await to_thread.run_sync(
                partial(services.feed.read, readable, after=after, limit=200)
            )
            if page.events:
                yield b"data: %d\n\n" % page.events[-1].position
            after = page.next_after
            if page.at_end:
                await asyncio.sleep(settings.sse_poll_seconds * 4)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _charts(
    web: Web, metrics: dict[str, Any], promises: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    _ = web.gettext
    parties = {"team": _("Team"), "client": _("Client"), "third_party": _("Third party")}
    kept_rows = []
    for party, k in sorted(metrics["commitments_by_promisor_party"].items()):
        share = k["share_kept_on_time"]
        text = _("%(kept)s of %(due)s on time", kept=k["kept_on_time"], due=k["due"])
        kept_rows.append((parties.get(party, party), None if share is None else share * 100, text))
    response_rows = []
    for label, data in (
        (_("Issues"), metrics["issue_first_response"]),
        (_("Email"), metrics["email_reply"]),
    ):
        for party, summary in sorted(data.items()):
            median = summary["median_hours"]
            response_rows.append(
                (
                    f"{label}: {parties.get(party, party)}",
                    median,
                    _("%(hours)s h median", hours=web.number(median)),
                )
            )
    return {
        "kept": charts.bars(_("Commitments kept on time"), kept_rows, unit_max=100),
        "kept_rows": kept_rows,
        "response": charts.bars(_("Response times"), response_rows),
        "response_rows": response_rows,
        "open": charts.steps(_("Open commitments over time"), _open_over_time(web, promises, now)),
        "open_points": _open_over_time(web, promises, now),
    }


def _open_over_time(
    web: Web, promises: list[dict[str, Any]], now: datetime, points: int = 8
) -> list[tuple[str, int]]:
    """How many commitments were open at each of ``points`` instants from the first to now."""
    spans = []
    for c in promises:
        made = parse_iso(c["made_at"])
        if made is not None:
            spans.append((made, parse_iso(c["closed_at"]) or parse_iso(c["fulfilled_at"])))
    if not spans:
        return []
    start = min(m for m, _ in spans)
    step = (now - start) / max(points - 1, 1)
    result = []
    for i in range(points):
        moment = start + step * i
        count = sum(
            1 for made, closed in spans if made <= moment and (closed is None or closed > moment)
        )
        result.append((web.day(moment), count))
    return result
