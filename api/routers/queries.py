"""The questions: open items, the baseline (now, as of an instant, and its diff), the audit trail,
who promised what, the timeline, metrics and history — answered by the projections.

Every route is a read for any member (auditors included). ``wait_for=POSITION`` (a command's
``Accord-Position``) makes the route wait until the views have applied that position: read your
own writes. ``as_of``/``until`` answers from the project's events up to an instant, replayed in
memory through the same projection code; ``basis`` says which time: ``occurred`` (the default:
what had happened by then, as known now — back-dated events in) or ``recorded`` (what the ledger
said then). Every such answer names its basis, and an ``occurred`` answer says how many entries
recorded after the instant it includes (``recorded_later``). A date-only instant
(``as_of=2026-09-26``) is the end of that day in the project's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Query, Response

from api.bootstrap import Services
from api.deps import ProjectAccess, ProjectMember, ServicesDep
from api.instants import parse_instant, shown
from api.problems import READ_RESPONSES, ApiProblem, Problem
from api.routing import ResourceRouter
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
from projections.asof import LiveViews, recorded_later, replay

router = ResourceRouter(prefix="/v1/projects/{project_id}", tags=["queries"])

Basis = Annotated[
    Literal["occurred", "recorded"],
    Query(
        description="`occurred` (default): what had happened by then, as the ledger knows it "
        "now; `recorded`: what the ledger knew then."
    ),
]
WaitFor = Annotated[
    int | None,
    Query(ge=0, description="Wait until the views have applied this log position (max 5 s)."),
]
Instant = Annotated[
    str | None,
    Query(
        max_length=64,
        description="An instant, ISO 8601 with an offset (`2026-09-26T18:00:00+08:00`), or a "
        "date (`2026-09-26`: the end of that day in the project's time zone).",
    ),
]
Limit = Annotated[int, Query(ge=1, le=q.MAX_PAGE, description="Items per page.")]
Cursor = Annotated[
    str | None,
    Query(pattern=q.AUDIT_CURSOR_PATTERN, description="`next_cursor` of the previous page."),
]

RESPONSES = {
    **READ_RESPONSES,
    503: {"model": Problem, "description": "The views have not reached `wait_for` yet; retry."},
}


def _zone(access: ProjectAccess) -> str:
    return access.project.time_zone


def _cursor(cursor: str | None) -> q.AuditCursor | None:
    return q.AuditCursor.decode(cursor) if cursor else None


def _next(cursor: q.AuditCursor | None) -> str | None:
    return cursor.encode() if cursor is not None else None


def _late_after(services: Services) -> timedelta:
    return timedelta(hours=services.settings.late_entry_hours)


def _note(basis: str, instants: list[str | None], later: int | None) -> str:
    """The answer's basis in words."""
    when = " and ".join(i for i in instants if i)
    if not when:
        return "Everything the ledger holds now (both bases agree on the present)."
    if basis == "recorded":
        return f"What the ledger had on record at {when}."
    entries = "entry" if later == 1 else "entries"
    return (
        f"What had happened by {when}, as the ledger knows it now; {later or 0} {entries} "
        "recorded after that instant are included (basis=recorded leaves them out)."
    )


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
    zone = _zone(access)
    as_of_at = parse_instant(as_of, "as_of", zone)
    moment = parse_instant(now, "now", zone) or as_of_at or datetime.now(UTC)
    live = live_views(services, wait_for)
    later = None
    views: q.Views
    if as_of_at is not None:
        views = replay(services.runner, project, as_of_at, basis, views=["open_items"])
        if basis == "occurred":
            later = recorded_later(services.runner, project, [as_of_at], ["open_items"])
    else:
        views = live
    return OpenItemsPublic(
        views=views_state(services, response),
        now=shown(moment, zone) or "",
        as_of=shown(as_of_at, zone),
        basis=basis,
        recorded_later=later,
        note=_note(basis, [shown(as_of_at, zone)], later),
        time_zone=zone,
        position=services.runner.position(["open_items"]),
        items=[OpenItem(**i) for i in q.open_items(views, project, moment)],
    )


@router.get("/expectations/baseline", responses=RESPONSES)
def baseline(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    as_of: Instant = None,
    basis: Basis = "occurred",
    wait_for: WaitFor = None,
) -> BaselinePublic:
    """The agreed baseline — every expectation with its value and the provenance of each value
    (which event set it, which approved change request revised it, who agreed) — now, or as it
    stood at ``as_of``."""
    project = str(access.project_id)
    zone = _zone(access)
    as_of_at = parse_instant(as_of, "as_of", zone)
    live = live_views(services, wait_for)
    later = None
    if as_of_at is None:
        entries = q.expectations(live, project)
    else:
        entries = q.expectations_as_of(live, project, as_of_at, basis)
        if basis == "occurred":
            later = q.baseline_recorded_later(live, project, [as_of_at])
    return BaselinePublic(
        views=views_state(services, response),
        as_of=shown(as_of_at, zone),
        basis=basis,
        recorded_later=later,
        note=_note(basis, [shown(as_of_at, zone)], later),
        time_zone=zone,
        position=services.runner.position(["expectations"]),
        items=[BaselineEntry.model_validate(e, from_attributes=False) for e in entries],
    )


@router.get("/expectations/diff", responses=RESPONSES)
def baseline_diff(
    access: ProjectMember,
    services: ServicesDep,
    response: Response,
    from_: Annotated[
        str,
        Query(
            alias="from",
            max_length=64,
            description="The earlier instant (a date: the end of that day, project time).",
        ),
    ],
    to: Instant = None,
    basis: Basis = "occurred",
    wait_for: WaitFor = None,
) -> DiffPublic:
    """How the baseline changed between two instants (``to`` default: now), each change
    explained by the events and approved change requests in between."""
    zone = _zone(access)
    since = parse_instant(from_, "from", zone)
    until = parse_instant(to, "to", zone) or datetime.now(UTC)
    assert since is not None
    if until < since:
        raise ApiProblem("invalid-input", "`to` is before `from`", field="to")
    live = live_views(services, wait_for)
    project = str(access.project_id)
    changes = q.expectations_diff(live, project, since, until, basis)
    later = (
        q.baseline_recorded_later(live, project, [since, until]) if basis == "occurred" else None
    )
    return DiffPublic(
        views=views_state(services, response),
        from_=shown(since, zone) or "",
        to=shown(until, zone) or "",
        basis=basis,
        recorded_later=later,
        note=_note(basis, [shown(since, zone), shown(until, zone)], later),
        time_zone=zone,
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
        str | None,
        Query(
            alias="from",
            max_length=64,
            description="Occurred at or after (a date: from the start of that day, project time).",
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Occurred at or before (a date: to the end of that day, project time).",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> AuditPage:
    """Every event of the project that matches, in the order things happened (occurred time,
    then log position), with who recorded it, for whom, when it happened and when it was
    recorded: "everything Alice did or was named in", "everything about milestone M", "what
    happened in March"."""
    zone = _zone(access)
    where = q.AuditFilter(
        person=person.strip().lower() if person else None,
        subject=subject,
        type=type,
        occurred_from=parse_instant(from_, "from", zone, day_edge="start"),
        occurred_to=parse_instant(to, "to", zone),
    )
    rows, next_cursor = q.audit(
        live_views(services, wait_for),
        str(access.project_id),
        where,
        _cursor(cursor),
        limit,
        _late_after(services),
    )
    return AuditPage(
        views=views_state(services, response),
        items=[AuditEntry(**r) for r in rows],
        next_cursor=_next(next_cursor),
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
    """The project's history in the order it happened (occurred time, then log position), one
    readable line per event with its recorded time beside it; late entries (recorded more than
    a day after, by default) and messages imported from mail are marked."""
    rows, next_cursor = q.timeline(
        live_views(services, wait_for),
        str(access.project_id),
        _cursor(cursor),
        limit,
        _late_after(services),
    )
    return AuditPage(
        views=views_state(services, response),
        items=[AuditEntry(**r) for r in rows],
        next_cursor=_next(next_cursor),
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
    moment = parse_instant(now, "now", _zone(access)) or datetime.now(UTC)
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
    basis: Basis = "occurred",
    cursor: Cursor = None,
    limit: Limit = 100,
    wait_for: WaitFor = None,
) -> HistoryPublic:
    """Replay: the project as it stood at ``until`` (default: now) — its timeline up to then
    (paged), what was open, and the baseline — from its events replayed in memory."""
    project = str(access.project_id)
    zone = _zone(access)
    until_at = parse_instant(until, "until", zone)
    live_views(services, wait_for)
    views = replay(services.runner, project, until_at, basis)
    moment = until_at or datetime.now(UTC)
    later = None
    if until_at is not None and basis == "occurred":
        later = recorded_later(services.runner, project, [until_at])
    lines, next_cursor = q.timeline(views, project, _cursor(cursor), limit, _late_after(services))
    return HistoryPublic(
        views=views_state(services, response),
        until=shown(until_at, zone),
        basis=basis,
        recorded_later=later,
        note=_note(basis, [shown(until_at, zone)], later),
        time_zone=zone,
        timeline=[AuditEntry(**r) for r in lines],
        next_cursor=_next(next_cursor),
        open_items=[OpenItem(**i) for i in q.open_items(views, project, moment)],
        baseline=[BaselineEntry.model_validate(e) for e in q.expectations(views, project)],
    )
