"""Search a project's record: the results page behind the search box of every project page.

JSON twin: ``GET /v1/projects/{id}/search`` — the same query function
(:func:`projections.search.search`), the same syntax, filters and cursor. A query that cannot be
searched is a message on the page (in the reader's language), never an error page; an empty one
shows how to write a query."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from api.routing import ResourceRouter
from api.web.core import Web, WebError, web_of
from api.web.i18n import N_
from api.web.links import subject_url
from api.web.routers.history import moment
from api.web.routers.projects import names
from projections import search as s
from projections.asof import LiveViews
from projections.search_syntax import MAX_QUERY_LENGTH

router = ResourceRouter(include_in_schema=False)

#: Hits per page.
PAGE_SIZE = 20

#: Each kind of item a hit can be about, as the page names it.
KIND_WORDS: dict[str, str] = {
    "AcknowledgementRequest": N_("Acknowledgement request"),
    "ChangeRequest": N_("Change request"),
    "Commitment": N_("Commitment"),
    "Decision": N_("Decision"),
    "Expectation": N_("Expectation"),
    "Interaction": N_("Email, call or message"),
    "Issue": N_("Issue"),
    "Meeting": N_("Meeting"),
    "Project": N_("Project"),
    "Risk": N_("Risk"),
    "StatusReport": N_("Status report"),
}

#: Why a query cannot be searched, in the reader's language: the search function's reasons
#: (English, from :mod:`projections.search_syntax` and :mod:`projections.search`) matched by
#: their wording, with the numbers and words they carry. A reason not listed here is shown
#: as the function gives it.
REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^give something to search for"), N_("Give something to search for.")),
    (
        re.compile(r"^the query is too long \(at most (?P<n>\d+)"),
        N_("The query is too long: at most %(n)s characters."),
    ),
    (
        re.compile(r"^the query has no word"),
        N_("The query has no word to search for, only punctuation or operators."),
    ),
    (
        re.compile(r"^too many nested parentheses \(at most (?P<n>\d+)"),
        N_("Too many nested parentheses: at most %(n)s."),
    ),
    (
        re.compile(r"^too many words \(at most (?P<n>\d+)"),
        N_("Too many words: at most %(n)s words and phrases."),
    ),
    (
        re.compile(r"^a prefix needs at least (?P<n>\d+) letters before the \* \((?P<word>.*)\)$"),
        N_("A prefix needs at least %(n)s letters before the * (%(word)s)."),
    ),
    (
        re.compile(r"^NOT needs something to exclude from"),
        N_("NOT needs something to exclude from: write sso NOT saml, not NOT saml alone."),
    ),
    (re.compile(r"^NOT NOT"), N_("NOT NOT: say what to find instead.")),
    (re.compile(r"^the query must be text"), N_("Give something to search for.")),
    (
        re.compile(r"^not a cursor"),
        N_("This link to more results is out of date: search again."),
    ),
    (re.compile(r"^order is"), N_("Order the results by relevance or newest first.")),
    (re.compile(r"^basis is"), N_("Choose what was on record then, or what had happened by then.")),
    (re.compile(r"^no kind"), N_("There is no such kind of item.")),
)


def reason(web: Web, error: s.SearchQueryError) -> str:
    """The reader's-language message for ``error``."""
    text = str(error)
    for pattern, message in REASONS:
        match = pattern.match(text)
        if match is not None:
            return web.gettext(message, **match.groupdict())
    return text


def highlighted(snippet: str, marks: list[tuple[int, int]] | list[list[int]]) -> Markup:
    """``snippet`` as HTML: every character escaped, the matches (start, end offsets, as the
    search function gives them) inside ``<mark>``. Overlapping or out-of-range marks are
    skipped, so nothing of the text is lost or repeated."""
    out: list[str] = []
    at = 0
    for start, end in sorted((int(a), int(b)) for a, b in marks):
        if start < at or end <= start or end > len(snippet):
            continue
        out.append(str(escape(snippet[at:start])))
        out.append(f"<mark>{escape(snippet[start:end])}</mark>")
        at = end
    out.append(str(escape(snippet[at:])))
    return Markup("".join(out))


Text = Annotated[str | None, Query(max_length=254)]


@router.get("/projects/{project_id}/search")
def search_page(
    request: Request,
    project_id: UUID,
    q: Annotated[str | None, Query(max_length=4 * MAX_QUERY_LENGTH)] = None,
    person: Text = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Annotated[str | None, Query(max_length=20)] = None,
    at: Annotated[str | None, Query(max_length=20)] = None,
    basis: Annotated[str | None, Query(max_length=20)] = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The hits of ``q`` in the project's record, 20 a page; the form alone (and how to write a
    query) when ``q`` is empty."""
    web = web_of(request)
    access = web.project(project_id)
    pid = str(project_id)
    form = {
        "q": q or "",
        "person": person or "",
        "kind": kind or "",
        "from": from_ or "",
        "to": to or "",
        "at": at or "",
        "basis": basis or "recorded",
        "order": order or "relevance",
    }
    values: dict[str, Any] = {
        "access": access,
        "project": access.project,
        "name": names(web, access.project),
        "form": form,
        "kinds": sorted(((k, web.gettext(KIND_WORDS[k])) for k in s.KINDS), key=lambda k: k[1]),
        "hits": None,
        "message": None,
        "next_url": None,
        "json_url": None,
        "as_of": None,
    }
    if not form["q"].strip():
        return web.render("search.html", **values)
    try:
        where = s.SearchFilter(
            person=person.strip().lower() if person and person.strip() else None,
            occurred_from=moment(web, from_, web.gettext("From")),
            occurred_to=moment(web, to, web.gettext("To"), end_of_day=True),
            kinds=(kind,) if kind else (),
            as_of=moment(web, at, web.gettext("As of"), end_of_day=True),
            basis=form["basis"],
        )
    except WebError as e:
        return web.render("search.html", status=400, **{**values, "message": e.message})
    try:
        page = s.search(
            LiveViews(web.services.runner),
            pid,
            form["q"],
            where,
            order=form["order"],
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
    except s.SearchQueryError as e:
        return web.render("search.html", status=400, **{**values, "message": reason(web, e)})
    hits = []
    for hit in page.hits:
        url = (
            f"/projects/{project_id}"
            if hit["kind"] == "Project"
            else subject_url(project_id, hit["kind"], hit["subject_id"])
        )
        hits.append(
            {
                **hit,
                "url": url,
                "kind_word": web.gettext(KIND_WORDS.get(hit["kind"], hit["kind"])),
                "html": highlighted(hit["snippet"], hit["highlights"]),
            }
        )
    kept = {k: v for k, v in form.items() if v and (k != "basis" or form["at"])}
    if kept.get("order") == "relevance":
        del kept["order"]
    next_url = f"?{urlencode({**kept, 'cursor': page.next_cursor})}" if page.next_cursor else None
    first_url = f"?{urlencode(kept)}"
    twin: dict[str, str] = {"q": form["q"], "order": form["order"]}
    if where.person:
        twin["person"] = where.person
    if kind:
        twin["kind"] = kind
    for key, instant in (
        ("from", where.occurred_from),
        ("to", where.occurred_to),
        ("as_of", where.as_of),
    ):
        if instant is not None:
            twin[key] = instant.isoformat().replace("+00:00", "Z")
    if where.as_of is not None:
        twin["basis"] = where.basis
    if cursor:
        twin["cursor"] = cursor
    return web.render(
        "search.html",
        **{
            **values,
            "hits": hits,
            "next_url": next_url,
            "first": not cursor,
            "first_url": first_url,
            "json_url": f"/v1/projects/{project_id}/search?{urlencode(twin)}",
            "as_of": where.as_of,
        },
    )
