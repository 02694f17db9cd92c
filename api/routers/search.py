"""``GET /v1/projects/{id}/search``: full-text search of a project's record (members only).

The query is our own small syntax (words, ``"phrases"``, ``prefix*``, ``AND``/``OR``/``NOT``,
``-word``, parentheses), parsed by :mod:`projections.search_syntax` and compiled for the engine;
what cannot be searched is a 422 problem naming the parameter. The same query function serves the
command line (``accord search``) and the web app.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from api.deps import ProjectMember, ServicesDep
from api.instants import parse_instant
from api.problems import ApiProblem
from api.routers.queries import RESPONSES, Instant, WaitFor, live_views
from api.routing import ResourceRouter
from api.schemas.search import SearchHit, SearchPage
from projections import search as s
from projections.search_syntax import MAX_QUERY_LENGTH

router = ResourceRouter(prefix="/v1/projects/{project_id}", tags=["search"])


@router.get("/search", responses=RESPONSES)
def search(
    access: ProjectMember,
    services: ServicesDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description='Words, "phrases", prefix*, AND / OR / NOT, -word, ( ).',
        ),
    ],
    person: Annotated[
        str | None, Query(max_length=254, description="Only events involving them (an email).")
    ] = None,
    from_: Annotated[
        str | None,
        Query(alias="from", max_length=64, description="Occurred at or after (or a date)."),
    ] = None,
    to: Annotated[
        str | None, Query(max_length=64, description="Occurred at or before (or a date).")
    ] = None,
    kind: Annotated[
        list[str] | None, Query(description="Only these kinds of item (repeat the parameter).")
    ] = None,
    as_of: Instant = None,
    basis: Annotated[
        Literal["recorded", "occurred"],
        Query(
            description="With `as_of`: `recorded` (default): what was on record then; "
            "`occurred`: what had happened by then, as the ledger knows it now."
        ),
    ] = "recorded",
    order: Annotated[
        Literal["relevance", "newest"], Query(description="Best match first, or latest first.")
    ] = "relevance",
    cursor: Annotated[
        str | None, Query(max_length=40, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=s.MAX_LIMIT, description="Hits per page.")] = 20,
    wait_for: WaitFor = None,
) -> SearchPage:
    """Every email, call note, minutes line, commitment, change request, issue, decision, risk
    and report of the project whose text matches ``q`` — with the item, when, who, a highlighted
    snippet and the log position; optionally only a person's, a period's, some kinds', or what
    was on record ``as_of`` an instant."""
    zone = access.project.time_zone
    where = s.SearchFilter(
        person=person,
        occurred_from=parse_instant(from_, "from", zone, day_edge="start"),
        occurred_to=parse_instant(to, "to", zone),
        kinds=tuple(kind or ()),
        as_of=parse_instant(as_of, "as_of", zone),
        basis=basis,
    )
    try:
        page = s.search(
            live_views(services, wait_for),
            str(access.project_id),
            q,
            where,
            order=order,
            limit=limit,
            cursor=cursor,
        )
    except s.SearchQueryError as e:
        raise ApiProblem("invalid-input", str(e), field=e.field) from None
    return SearchPage(
        query=q,
        order=order,
        position=page.position,
        items=[SearchHit(**h) for h in page.hits],
        next_cursor=page.next_cursor,
    )
