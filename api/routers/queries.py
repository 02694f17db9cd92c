"""The questions: open items, the baseline (now, as of an instant, and its diff), the audit trail,
who promised what, the timeline, metrics and history — answered by the projections.

Every route is a read for any member (auditors included). ``wait_for=POSITION`` (a command's
``Accord-Position``) makes the route wait until the views have applied that position: read your
own writes. ``as_of``/``until`` answers from the project's events up to an instant, replayed in
memory through the same projection code; ``basis`` says which time: ``recorded`` (what the ledger
said then) or ``occurred`` (what had happened by then, as known now — back-dated events in).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.bootstrap import Services
from api.deps import ProjectMember, ServicesDep
from api.problems import READ_RESPONSES, ApiProblem, Problem
from api.schemas.queries import (
    AuditEntry,
    AuditPage,
    BaselineEntry,
    BaselinePublic,
    DiffEntry,
    DiffPublic,
    HistoryPublic,
    MetricsPublic,
    OpenItem,
    OpenItemsPublic,
    PromiseRecord,
    PromisesPublic,
    ViewsFreshness,
)
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.framework import iso

router = APIRouter(prefix="/v1/projects/{project_id}", tags=["queries"])

Basis = Annotated[
    Literal["recorded", "occurred"],
    Query(description="`recorded`: as the ledger knew it then; `occurred`: what had happened."),
]
WaitFor = Annotated[
    int | None,
    Query(ge=0, description="Wait until the views have applied this log position (max 5 s)."),
]
Instant = Annotated[datetime | None, Query(description="An instant, ISO 8601 with an offset.")]
Limit = Annotated[int, Query(ge=1, le=q.MAX_PAGE, description="Items per page.")]
Cursor = Annotated[
    str | None, Query(pattern=r"^[0-9]{1,19}$", description="`next_cursor` of the previous page.")
]

RESPONSES = {
    **READ_RESPONSES,
    503: {"model": Problem, "description": "The views have not reached `wait_for` yet; retry."},
}


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise ApiProblem(
            "invalid-input", "give a time zone, e.g. 2026-03-01T10:00:00Z", field=field
        )
    return value


def live_views(services: Services, wait_for: int | None) -> LiveViews:
    """The live views, once they have applied ``wait_for`` (if given): else 503 views-behind."""
    timeout = services.settings.wait_for_seconds
    if wait_for is not None and wait_for > services.runner.head():
        raise ApiProblem(
            "invalid-input",
            f"no event has been recorded at position {wait_for}: give the `Accord-Position` "
            "of a command",
            field="wait_for",
        )
    if wait_for is not None and not services.runner.wait_for(wait_for, timeout=timeout):
        raise ApiProblem(
            "views-behind",
            f"the views have not reached position {wait_for} yet",
            headers={"Retry-After": "1"},
        )
    return LiveViews(services.runner)


#: Headers of every answer: how far behind the views are.
BEHIND_HEADER = "Accord-Views-Behind"
STALE_HEADER = "Accord-Views-Stale"


def views_state(services: Services, response: Response) -> ViewsFreshness:
    """How current the live views are; said in headers too, so that no answer from views
    behind by more than the bound is silently stale."""
    fresh = services.runner.freshness(services.settings.stale_after_seconds)
    response.headers[BEHIND_HEADER] = str(fresh.behind)
    if fresh.stale:
        response.headers[STALE_HEADER] = f"{fresh.seconds:.1f}"
    return ViewsFreshness(
        position=fresh.position,
        head=fresh.head,
        behind=fresh.behind,
        seconds_behind=fresh.seconds,
        stale=fresh.stale,
    )


@router.get("/open-items", responses=RESPONSES)
def open_items(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    now: Instant = None,
    as_of: Instant = None,
    basis: Basis = "occurred",
    wait_for: WaitFor = None,
) -> OpenItemsPublic:
    """What is open — commitments, change requests, acknowledgements, questions, problems,
    risks, missed reports — with its age, whether it is overdue at ``now`` (default: now, or
    ``as_of``) and whose move it is. With ``as_of``: what was open at that instant."""
    project = str(access.project_id)
    as_of = _aware(as_of, "as_of")
    moment = _aware(now, "now") or as_of or datetime.now(UTC)
    live = live_views(services, wait_for)
    views = replay(services.runner, project, as_of, basis, views=["open_items"]) if as_of else live
    return OpenItemsPublic(
        views=views_state(services, response),
        now=iso(moment) or "",
        as_of=iso(as_of),
        position=services.runner.position(["open_items"]),
        items=[OpenItem(**i) for i in q.open_items(views, project, moment)],
    )


@router.get("/expectations/baseline", responses=RESPONSES)
def baseline(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    as_of: Instant = None,
    basis: Basis = "recorded",
    wait_for: WaitFor = None,
) -> BaselinePublic:
    """The agreed baseline — every expectation with its value and the provenance of each value
    (which event set it, which approved change request revised it, who agreed) — now, or as it
    stood at ``as_of``."""
    project = str(access.project_id)
    as_of = _aware(as_of, "as_of")
    live = live_views(services, wait_for)
    if as_of is None:
        entries = q.expectations(live, project)
    else:
        entries = q.expectations_as_of(live, project, as_of, basis)
    return BaselinePublic(
        views=views_state(services, response),
        as_of=iso(as_of),
        basis=basis,
        position=services.runner.position(["expectations"]),
        items=[BaselineEntry.model_validate(e, from_attributes=False) for e in entries],
    )


@router.get("/expectations/diff", responses=RESPONSES)
def baseline_diff(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    from_: Annotated[datetime, Query(alias="from", description="The earlier instant.")],
    to: Annotated[datetime | None, Query(description="The later instant (default: now).")] = None,
    basis: Basis = "recorded",
    wait_for: WaitFor = None,
) -> DiffPublic:
    """How the baseline changed between two instants, each change explained by the events and
    approved change requests in between."""
    since = _aware(from_, "from")
    until = _aware(to, "to") or datetime.now(UTC)
    assert since is not None
    if until < since:
        raise ApiProblem("invalid-input", "`to` is before `from`", field="to")
    changes = q.expectations_diff(
        live_views(services, wait_for), str(access.project_id), since, until, basis
    )
    return DiffPublic(
        views=views_state(services, response),
        from_=iso(since) or "",
        to=iso(until) or "",
        basis=basis,
        changes=[DiffEntry.model_validate(c) for c in changes],
    )


@router.get("/audit", responses=RESPONSES)
def audit(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    person: Annotated[
        str | None, Query(max_length=254, description="Events involving them.")
    ] = None,
    subject: Annotated[str | None, Query(max_length=64, description="An item's id.")] = None,
    type: Annotated[
        str | None,
        Query(max_length=100, description="`Commitment.Made`, or an item kind like `Commitment`."),
    ] = None,
    from_: Annotated[
        datetime | None, Query(alias="from", description="Occurred at or after.")
    ] = None,
    to: Annotated[datetime | None, Query(description="Occurred at or before.")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> AuditPage:
    """Every event of the project that matches, in log order, with who recorded it, for whom,
    when it happened and when it was recorded: "everything Alice did or was named in",
    "everything about milestone M", "what happened in March"."""
    where = q.AuditFilter(
        person=person.strip().lower() if person else None,
        subject=subject,
        type=type,
        occurred_from=_aware(from_, "from"),
        occurred_to=_aware(to, "to"),
    )
    rows, next_cursor = q.audit(
        live_views(services, wait_for), str(access.project_id), where, int(cursor or 0), limit
    )
    return AuditPage(
        views=views_state(services, response),
        items=[AuditEntry(**r) for r in rows],
        next_cursor=str(next_cursor) if next_cursor is not None else None,
    )


@router.get("/audit/commitments", responses=RESPONSES)
def who_promised_what(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    person: Annotated[
        str | None, Query(max_length=254, description="Only their promises, made or received.")
    ] = None,
    wait_for: WaitFor = None,
) -> PromisesPublic:
    """Who promised what to whom, and when: every commitment with its lifecycle, who recorded it
    (and for whom), who acknowledged it, and its evidence grade."""
    rows = q.commitments(
        live_views(services, wait_for),
        str(access.project_id),
        person.strip().lower() if person else None,
    )
    return PromisesPublic(
        views=views_state(services, response), items=[PromiseRecord.model_validate(r) for r in rows]
    )


@router.get("/timeline", responses=RESPONSES)
def timeline(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    cursor: Cursor = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> AuditPage:
    """The project's history in order, one readable line per event; late-recorded events are
    marked."""
    rows, next_cursor = q.timeline(
        live_views(services, wait_for), str(access.project_id), int(cursor or 0), limit
    )
    return AuditPage(
        views=views_state(services, response),
        items=[AuditEntry(**r) for r in rows],
        next_cursor=str(next_cursor) if next_cursor is not None else None,
    )


@router.get("/metrics", responses=RESPONSES)
def metrics(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    now: Instant = None,
    wait_for: WaitFor = None,
) -> MetricsPublic:
    """Response times, acknowledgement latency, cadence adherence and commitments kept on time
    per party."""
    moment = _aware(now, "now") or datetime.now(UTC)
    live = live_views(services, wait_for)
    return MetricsPublic(
        **q.metrics(live, str(access.project_id), moment), views=views_state(services, response)
    )


@router.get("/history", responses=RESPONSES)
def history(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    until: Instant = None,
    basis: Basis = "recorded",
    cursor: Cursor = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> HistoryPublic:
    """Replay: the project as it stood at ``until`` (default: now) — its timeline up to then
    (paged), what was open, and the baseline — from its events replayed in memory."""
    project = str(access.project_id)
    until = _aware(until, "until")
    live_views(services, wait_for)
    views = replay(services.runner, project, until, basis)
    moment = until or datetime.now(UTC)
    lines, next_cursor = q.timeline(views, project, int(cursor or 0), limit)
    return HistoryPublic(
        views=views_state(services, response),
        until=iso(until),
        basis=basis,
        timeline=[AuditEntry(**r) for r in lines],
        next_cursor=str(next_cursor) if next_cursor is not None else None,
        open_items=[OpenItem(**i) for i in q.open_items(views, project, moment)],
        baseline=[BaselineEntry.model_validate(e) for e in q.expectations(views, project)],
    )
