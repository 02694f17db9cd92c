"""The project's history: the timeline with filters, replay (the project as of an instant, and
how the baseline changed between two instants), and who promised what.

JSON twins: ``/v1/projects/{id}/audit``, ``/expectations/baseline?as_of=``, ``/open-items?as_of=``,
``/expectations/diff`` and ``/audit/commitments`` — the same query functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Query, Request
from fastapi.responses import Response

from api.routing import ResourceRouter
from api.web.core import Web, WebError, web_of
from api.web.i18n import N_
from api.web.links import KINDS, kind_of_type, open_item_url, subject_url
from api.web.routers.projects import names
from ledger.domain.commitment import is_commitment_overdue
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.framework import parse_iso

router = ResourceRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=254)]

#: Evidence grades in words (weakest first), shown beside every commitment.
GRADE_WORDS = {
    "recorded_by_counterparty": N_(
        "Only the other side recorded it; the promisor has not confirmed"
    ),
    "recorded_or_confirmed_by_promisor": N_("The promisor's side recorded or confirmed it"),
    "acknowledged_in_ledger": N_("Both sides are on record in the ledger"),
    "acknowledged_with_hashed_source": N_(
        "Both sides on record, and its source document is held and hashed"
    ),
}


def moment(web: Web, text: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    """A date (``2026-03-01``: its start, or its end, in the project's zone) or a local
    date and time (``2026-03-01T10:00``) from a form, as an aware instant."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            local = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            local = datetime.fromisoformat(text)
    except ValueError:
        raise WebError(
            400, web.gettext("%(field)s: give a date like 2026-03-01.", field=field)
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=web.zone)
    return local.astimezone(UTC)


@router.get("/projects/{project_id}/timeline")
def timeline(
    request: Request,
    project_id: UUID,
    person: Text = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(pattern=q.AUDIT_CURSOR_PATTERN)] = None,
) -> Response:
    web = web_of(request)
    access = web.project(project_id)
    subject_type = KINDS[kind][0] if kind in KINDS else None
    where = q.AuditFilter(
        person=person.strip().lower() if person else None,
        subject=subject.strip() if subject else None,
        type=subject_type,
        occurred_from=moment(web, from_, "from"),
        occurred_to=moment(web, to, "to", end_of_day=True),
    )
    after = q.AuditCursor.decode(cursor) if cursor else None
    rows, next_after = q.audit(LiveViews(web.services.runner), str(project_id), where, after, 100)
    next_cursor = next_after.encode() if next_after is not None else None
    for row in rows:
        row["url"] = subject_url(project_id, row["subject_type"], row["subject_id"])
        row["kind"] = kind_of_type(row["subject_type"])
    filters = {
        "person": person or "",
        "kind": kind or "",
        "subject": subject or "",
        "from": from_ or "",
        "to": to or "",
    }
    query = urlencode({k: v for k, v in filters.items() if v})
    twin = {
        "person": where.person,
        "subject": where.subject,
        "type": where.type,
        "from": where.occurred_from.isoformat() if where.occurred_from else None,
        "to": where.occurred_to.isoformat() if where.occurred_to else None,
    }
    json_query = urlencode({k: v for k, v in twin.items() if v})
    return web.render(
        "timeline.html",
        access=access,
        project=access.project,
        name=names(web, access.project),
        rows=rows,
        filters=filters,
        kinds=list(KINDS),
        next_cursor=next_cursor,
        query=query,
        json_query=json_query,
    )


#: Open items shown on the replay page (the most urgent first); ``all=1`` shows every one.
REPLAY_ROWS = 25


@router.get("/projects/{project_id}/replay")
def replay_page(
    request: Request,
    project_id: UUID,
    at: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[str | None, Query(max_length=20)] = None,
    basis: Literal["occurred", "recorded"] = "occurred",
    all: bool = False,
) -> Response:
    """The project as of ``at`` (default: now): the agreed baseline and the open items then;
    with ``since``, how the baseline changed from ``since`` to ``at``."""
    web = web_of(request)
    access = web.project(project_id)
    pid = str(project_id)
    now = datetime.now(UTC)
    instant = moment(web, at, "at", end_of_day=True) or now
    earlier = moment(web, since, "since", end_of_day=True)
    live = LiveViews(web.services.runner)
    baseline = q.expectations_as_of(live, pid, instant, basis)
    views = replay(web.services.runner, pid, instant, basis, views=["open_items"])
    items = q.open_items(views, pid, instant)
    for item in items:
        item["url"] = open_item_url(project_id, item)
    changes = None
    if earlier is not None:
        low, high = sorted((earlier, instant))
        changes = q.expectations_diff(live, pid, low, high, basis)
    opened = access.project.created_on
    first_day = _first_event_day(web, pid) or opened.astimezone(web.zone).date()
    today = now.astimezone(web.zone).date()
    at_day = instant.astimezone(web.zone).date()
    return web.render(
        "replay.html",
        access=access,
        project=access.project,
        name=names(web, access.project),
        baseline=baseline,
        items=items,
        changes=changes,
        at=at_day.isoformat(),
        since=(earlier.astimezone(web.zone).date().isoformat() if earlier else ""),
        basis=basis,
        instant=instant,
        first_day=first_day,
        today=today,
        days=max((today - first_day).days, 0),
        offset=max((at_day - first_day).days, 0),
        json_at=instant.isoformat().replace("+00:00", "Z"),
        rows=None if all else REPLAY_ROWS,
        more_url=f"{web.here()}{'&' if '?' in web.here() else '?'}all=1#open-then",
        search_at=at_day.isoformat() if at else "",  # the search box searches as of then
        search_basis=basis,
    )


def _first_event_day(web: Web, pid: str) -> date | None:
    """The day of the project's earliest occurred event (the slider's start)."""
    rows, _ = q.audit(LiveViews(web.services.runner), pid, q.AuditFilter(), None, 1)
    first = parse_iso(rows[0]["occurred_at"]) if rows else None
    if first is None:
        return None
    return (first - timedelta(days=1)).astimezone(web.zone).date()


@router.get("/projects/{project_id}/promises")
def promises(request: Request, project_id: UUID, person: Text = None) -> Response:
    web = web_of(request)
    access = web.project(project_id)
    rows = q.commitments(
        LiveViews(web.services.runner), str(project_id), person.strip().lower() if person else None
    )
    now = datetime.now(UTC)
    for row in rows:
        row["grade_words"] = web.gettext(GRADE_WORDS.get(row["evidence_grade"], "Unknown"))
        row["overdue"] = row["closed_at"] is None and is_commitment_overdue(
            row["state"], parse_iso(row["due_at"]), now
        )
    return web.render(
        "promises.html",
        access=access,
        project=access.project,
        name=names(web, access.project),
        rows=rows,
        person=person or "",
    )
