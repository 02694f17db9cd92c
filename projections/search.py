"""Full-text search of the record: every word people wrote, in any language, found by the
database's own full-text index.

**What is indexed.** One row per event that carries text people wrote (``search_docs``, keyed by
the event's log position): interaction subjects and bodies, call notes, meeting titles and
agendas, minutes (points, decisions, action items), commitments and their renegotiations,
fulfilment notes and disputes, change requests, issues and every answer to them, decisions,
risks, status reports, expectations, acknowledgement comments and disputes, and the reasons
given for corrections, withdrawals and retractions. An event without such text (an
acknowledgement, a member added) has no row. Each row keeps the item it is about (its id, kind and
title as known when the event was recorded), the event type, when it occurred and was recorded,
the people it involves (as in the audit view) and its text.

An **imported email's body** is the text part of the original message (the ``text/plain``
alternative, else the HTML one reduced to text — never attachments): the interaction's summary
holds its first 2,000 characters; when it was cut short, the projection reads the rest from the
stored original (the document store, same database, content-addressed so a rebuild reads the
same bytes) when it indexes the event. At most :data:`MAX_TEXT` characters of an event are
indexed.

**The index.** The row's words (:func:`projections.search_syntax.index_text`: normalised,
Chinese/Japanese/Korean/Thai cut into characters) are stored in ``terms``, after two kinds of
each prefixed with the project's tag (:func:`project_tag`), plus ``ppl<person key>`` for each
person involved. A query's words are tagged the same way (and ANDed with the person's word for a
person filter), so the engine's index itself keeps projects apart and filters by person.

* SQLite: an FTS5 table ``pv_search_fts_g<N>`` (``unicode61`` tokenizer, external content: the
  docs table), kept in step by triggers; relevance is FTS5's ``bm25``.
* PostgreSQL: a stored generated column ``tsv = to_tsvector('simple', terms)`` with a GIN index;
  relevance is ``ts_rank_cd``.

**As of.** Rows are events, so "what was on record at T" is a filter on the rows: recorded at or
before T (``basis="recorded"``) or occurred at or before T (``basis="occurred"``). A retraction
recorded later does not mark a hit retracted as of T. Replay into memory leaves this view out.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.domain.acknowledgement import AcknowledgementRequest
from ledger.domain.change_request import ChangeRequest
from ledger.domain.commitment import Commitment
from ledger.domain.decision import Decision
from ledger.domain.expectation import Expectation
from ledger.domain.interaction import Interaction
from ledger.domain.issue import Issue
from ledger.domain.meeting import Meeting
from ledger.domain.project import Project
from ledger.domain.risk import Risk
from ledger.domain.status_report import StatusReport
from ledger.domain.validation import normalise_email
from ledger.interchange.importing.mail import SUMMARY_LENGTH, body_text
from ledger.storage.documents import TABLE as DOCUMENTS_TABLE
from projections.audit import people_of
from projections.framework import Projection, SqlView, Table, View, Where, iso, on, sid
from projections.narrative import event_name, subject_title
from projections.search_syntax import (
    And,
    Node,
    Not,
    Or,
    Query,
    SearchQueryError,
    Term,
    fts5,
    highlighter,
    parse,
    snippet,
    tokens,
    tsquery,
)

#: The most characters of one event that are indexed.
MAX_TEXT = 100_000
#: The most hits on one page.
MAX_LIMIT = 100


class SearchDocsTable(Table):
    """``search_docs``, and beside it the engine's full-text index of its ``terms``."""

    def fts(self, generation: int) -> str:
        return f"pv_search_fts_g{generation}"

    def ddl(self, generation: int, dialect: str = "sqlite") -> list[str]:
        name = self.physical(generation)
        others = ", ".join(f"{c} {t}" for c, t in self.columns.items() if c != "position")
        if dialect == "sqlite":
            fts = self.fts(generation)
            return [
                # position is the rowid: the FTS5 index refers to the rows by it.
                f"CREATE TABLE IF NOT EXISTS {name} (position INTEGER PRIMARY KEY, {others})",
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(terms, "
                f"content='{name}', content_rowid='position', "
                "tokenize='unicode61 remove_diacritics 0')",
                f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {name} BEGIN "
                f"INSERT INTO {fts}(rowid, terms) VALUES (new.position, new.terms); END",
                f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {name} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, terms) VALUES ('delete', old.position, "
                "old.terms); END",
                f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE ON {name} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, terms) VALUES ('delete', old.position, "
                f"old.terms); INSERT INTO {fts}(rowid, terms) VALUES (new.position, "
                "new.terms); END",
            ]
        return [
            f"CREATE TABLE IF NOT EXISTS {name} (position BIGINT PRIMARY KEY, {others}, "
            "tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED)",
            f"CREATE INDEX IF NOT EXISTS {name}_tsv ON {name} USING GIN (tsv)",
        ]

    def drop(self, generation: int, dialect: str = "sqlite") -> list[str]:
        fts = [f"DROP TABLE IF EXISTS {self.fts(generation)}"] if dialect == "sqlite" else []
        return [*fts, *super().drop(generation, dialect)]


SEARCH_DOCS = SearchDocsTable(
    name="search_docs",
    columns={
        "position": "BIGINT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "subject_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "event_type": "TEXT NOT NULL",
        "title": "TEXT",
        "body": "TEXT NOT NULL",
        "people": "TEXT NOT NULL",
        "occurred_at": "TEXT NOT NULL",
        "recorded_at": "TEXT NOT NULL",
        "terms": "TEXT NOT NULL",
    },
    key=("position",),
)

SEARCH_SUBJECTS = Table(
    name="search_subjects",
    columns={
        "project_id": "TEXT NOT NULL",
        "subject_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "title": "TEXT",
        "retracted_at": "TEXT",
        "retracted_occurred_at": "TEXT",
    },
    key=("project_id", "subject_id"),
)


@functools.lru_cache(maxsize=10_000)
def project_tag(project_id: str) -> str:
    """What every indexed word of a project starts with: ``t`` and 12 hex digits of
    BLAKE2b(project id). Each project's words are then words of their own in the index, whose
    lists of rows are as long as the project's, not the whole ledger's."""
    return "t" + hashlib.blake2b(project_id.encode(), digest_size=6).hexdigest()


def tagged(node: Node, tag: str) -> Node:
    """The query tree with every word made the project's."""
    if isinstance(node, Term):
        return Term(tuple(tag + w for w in node.words), node.prefix)
    if isinstance(node, Not):
        return Not(tagged(node.child, tag))
    if isinstance(node, And):
        return And(tuple(tagged(c, tag) for c in node.children))
    return Or(tuple(tagged(c, tag) for c in node.children))


@functools.lru_cache(maxsize=100_000)
def person_word(project_id: str, email: str) -> str:
    """The index word of a person of a project: 16 hex digits of BLAKE2b(project, NUL, email)."""
    digest = hashlib.blake2b(f"{project_id}\0{email}".encode(), digest_size=8).hexdigest()
    return "ppl" + digest


# ----------------------------------------------------------------------- what is text


def _items(*values: Any) -> Iterable[str | None]:
    for value in values:
        if isinstance(value, tuple):
            yield from value
        else:
            yield value


def _action_items(items: Iterable[Any]) -> tuple[str, ...]:
    return tuple(item.description for item in items)


#: What people wrote, per event type (Interaction.Recorded has its own handler: the body).
TEXTS: dict[type, Callable[[Any], Iterable[str | None]]] = {
    Project.Opened: lambda e: (e.name, e.description),
    Project.MemberRemoved: lambda e: (e.reason,),
    Project.Closed: lambda e: (e.summary, e.lessons_learned),
    Interaction.Corrected: lambda e: (e.correction.subject, e.correction.summary, e.reason),
    Interaction.Retracted: lambda e: (e.reason,),
    Meeting.Held: lambda e: _items(e.title, e.place, e.agenda),
    Meeting.MinutesRecorded: lambda e: _items(
        e.discussion_points, e.decisions, _action_items(e.action_items)
    ),
    Meeting.MinutesAmended: lambda e: _items(
        e.discussion_points or (), e.decisions or (), _action_items(e.action_items), e.reason
    ),
    Commitment.Made: lambda e: (e.statement,),
    Commitment.RenegotiationProposed: lambda e: (e.proposal.statement, e.proposal.reason),
    Commitment.Renegotiated: lambda e: (e.statement, e.reason),
    Commitment.RenegotiationDeclined: lambda e: (e.reason,),
    Commitment.Fulfilled: lambda e: (e.note,),
    Commitment.FulfilmentDisputed: lambda e: (e.reason,),
    Commitment.Withdrawn: lambda e: (e.reason,),
    Commitment.Released: lambda e: (e.reason,),
    ChangeRequest.Requested: lambda e: (e.title, e.description, e.rationale),
    ChangeRequest.ImpactAssessed: lambda e: (e.scope_impact,),
    ChangeRequest.Approved: lambda e: (e.conditions,),
    ChangeRequest.Rejected: lambda e: (e.reason,),
    ChangeRequest.Withdrawn: lambda e: (e.reason,),
    ChangeRequest.Implemented: lambda e: (e.note,),
    Issue.Raised: lambda e: (e.title, e.description, e.expected_resolution),
    Issue.ResponseGiven: lambda e: (e.response,),
    Issue.SolutionOptionsProposed: lambda e: tuple(o.description for o in e.options),
    Issue.SolutionChosen: lambda e: (e.note,),
    Issue.ProgressReported: lambda e: (e.note,),
    Issue.Resolved: lambda e: (e.resolution,),
    Issue.ResolutionConfirmed: lambda e: (e.note,),
    Issue.ResolutionDisputed: lambda e: (e.reason,),
    Issue.Reopened: lambda e: (e.reason,),
    Decision.Recorded: lambda e: _items(e.statement, e.options_considered, e.rationale),
    Decision.Superseded: lambda e: (e.reason,),
    Risk.Identified: lambda e: (e.description,),
    Risk.Assessed: lambda e: (e.note,),
    Risk.ResponsePlanned: lambda e: (e.plan,),
    Risk.Closed: lambda e: (e.reason,),
    StatusReport.Issued: lambda e: _items(e.progress, e.problems, e.next_steps),
    StatusReport.Corrected: lambda e: _items(
        e.correction.progress or (),
        e.correction.problems or (),
        e.correction.next_steps or (),
        e.reason,
    ),
    Expectation.Set: lambda e: (e.title, e.value.text),
    Expectation.Proposed: lambda e: (e.title, e.value.text),
    Expectation.ChangeProposed: lambda e: (e.value.text if e.value else None, e.reason),
    Expectation.ProposalDeclined: lambda e: (e.reason,),
    Expectation.Revised: lambda e: (e.value.text, e.reason),
    Expectation.Withdrawn: lambda e: (e.reason,),
    Expectation.DeliverySubmitted: lambda e: (e.note,),
    Expectation.DeliveryAccepted: lambda e: (e.note,),
    Expectation.DeliveryRejected: lambda e: (e.reason,),
    AcknowledgementRequest.Acknowledged: lambda e: (e.comment,),
    AcknowledgementRequest.Disputed: lambda e: (e.reason, e.proposed_correction),
    AcknowledgementRequest.Withdrawn: lambda e: (e.reason,),
}

#: Events that name an item's title without text of their own (so later hits can say it).
_TITLED_ONLY = (AcknowledgementRequest.Requested,)


class SearchProjection(Projection):
    name = "search"
    tables = (SEARCH_DOCS, SEARCH_SUBJECTS)
    replayable = False

    @on(*TEXTS)
    def _text(self, view: View, e: Any, position: int) -> None:
        self.index(view, e, position, TEXTS[type(e)](e))

    @on(*_TITLED_ONLY)
    def _titled(self, view: View, e: Any, position: int) -> None:
        self.index(view, e, position, ())

    @on(Interaction.Recorded)
    def _interaction(self, view: View, e: Any, position: int) -> None:
        body: str | None = e.summary
        if (
            e.body_sha256 is not None
            and len(e.summary) >= SUMMARY_LENGTH - 1
            and e.summary.endswith("…")
        ):
            body = _stored_body(view, e.body_sha256) or body
        self.index(view, e, position, (e.subject, body))

    @on(Interaction.Corrected)
    def _interaction_corrected(self, view: View, e: Any, position: int) -> None:
        subject = e.correction.subject
        if subject:  # the new subject names the interaction from now on
            key = (sid(e.project_id), sid(e.originator_id))
            row = view.get(SEARCH_SUBJECTS, key)
            if row is not None:
                view.put(SEARCH_SUBJECTS, {**row, "title": subject})

    @on(Interaction.Retracted)
    def _interaction_retracted(self, view: View, e: Any, position: int) -> None:
        key = (sid(e.project_id), sid(e.originator_id))
        row = view.get(SEARCH_SUBJECTS, key)
        if row is not None:
            view.put(
                SEARCH_SUBJECTS,
                {
                    **row,
                    "retracted_at": iso(e.timestamp),
                    "retracted_occurred_at": iso(e.occurred_at),
                },
            )

    def index(self, view: View, event: Any, position: int, parts: Iterable[str | None]) -> None:
        """One row for ``event`` with the text of ``parts`` (none: the subject's title only)."""
        project_id = sid(event.project_id)
        subject_id = sid(event.originator_id)
        kind = event_name(event).partition(".")[0]
        title = subject_title(event)
        if title is not None:
            view.put(
                SEARCH_SUBJECTS,
                {
                    "project_id": project_id,
                    "subject_id": subject_id,
                    "kind": kind,
                    "title": title,
                    "retracted_at": None,
                    "retracted_occurred_at": None,
                },
            )
        else:
            subject = view.peek(SEARCH_SUBJECTS, (project_id, subject_id))
            title = subject["title"] if subject else None
        text = "\n".join(p for p in parts if p and not p.isspace())[:MAX_TEXT]
        if not text:
            return
        people = sorted(people_of(event))
        tag = project_tag(project_id)
        words = [person_word(project_id, p) for p in people]
        words.extend(tag + w for w in tokens(text))
        view.put(
            SEARCH_DOCS,
            {
                "position": position,
                "project_id": project_id,
                "subject_id": subject_id,
                "kind": kind,
                "event_type": event_name(event),
                "title": title,
                "body": text,
                "people": "\n".join(people),
                "occurred_at": iso(event.occurred_at),
                "recorded_at": iso(event.timestamp),
                "terms": " ".join(words),
            },
        )


def _stored_body(view: View, sha256: str) -> str | None:
    """The text part of the stored original with this digest, read in the view's batch; None
    when the view is not in the database or the original is not stored."""
    if not isinstance(view, SqlView):
        return None
    if view._db.dialect == "sqlite":
        present = view._fetch(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [DOCUMENTS_TABLE]
        )
    else:
        present = view._fetch("SELECT to_regclass(?) IS NOT NULL", [DOCUMENTS_TABLE])
        present = [r for r in present if r[0]]
    if not present:
        return None
    rows = view._fetch(f"SELECT content FROM {DOCUMENTS_TABLE} WHERE sha256 = ?", [sha256])
    if not rows:
        return None
    data = bytes(rows[0][0])
    if hashlib.sha256(data).hexdigest() != sha256:
        return None  # altered: the integrity checks report it; index what the event says
    return body_text(data) or None


# -------------------------------------------------------------------------------- query

KINDS = (
    "AcknowledgementRequest",
    "ChangeRequest",
    "Commitment",
    "Decision",
    "Expectation",
    "Interaction",
    "Issue",
    "Meeting",
    "Project",
    "Risk",
    "StatusReport",
)

_CURSOR = re.compile(r"^([0-9]{1,9})\.([0-9]{1,19})$")


@dataclass(frozen=True)
class SearchFilter:
    """What narrows a search besides its words. ``person``: events involving them (an email);
    ``occurred_from``/``occurred_to``: occurred in that period (inclusive); ``kinds``: of these
    kinds of item; ``as_of``: what was on record at that instant (``basis`` ``recorded``: the
    ledger then; ``occurred``: what had happened by then, as known now)."""

    person: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    kinds: Sequence[str] = ()
    as_of: datetime | None = None
    basis: str = "recorded"

    def __post_init__(self) -> None:
        if self.person is not None:  # a typo raises InvalidInputError, never matches nothing
            person = normalise_email(self.person, "person") if self.person.strip() else None
            object.__setattr__(self, "person", person)


@dataclass
class SearchPage:
    hits: list[dict[str, Any]]
    next_cursor: str | None
    #: The last log position the results can include (later pages keep to it).
    position: int
    query: Query | None = field(default=None, repr=False)


def search(
    views: Mapping[str, View] | View,
    project_id: str,
    query: str | Query,
    where: SearchFilter | None = None,
    *,
    order: str = "relevance",
    limit: int = 20,
    cursor: str | None = None,
) -> SearchPage:
    """Search ``project_id``'s record for ``query`` (our syntax: see
    :mod:`projections.search_syntax`); ``order`` is ``relevance`` (best first) or ``newest``
    (latest occurred first). ``cursor`` is the ``next_cursor`` of the previous page: later
    pages keep to the rows of the first (events recorded meanwhile are left for a new search).
    Raises :class:`SearchQueryError` (with the ``field`` at fault) for a query, filter or cursor
    that cannot be searched."""
    view = views["search"] if isinstance(views, Mapping) else views
    if not isinstance(view, SqlView):
        raise TypeError("search runs on the search view in the database")
    where = where or SearchFilter()
    parsed = query if isinstance(query, Query) else parse(query)
    if order not in ("relevance", "newest"):
        raise SearchQueryError("order is `relevance` or `newest`", "order")
    if where.basis not in ("recorded", "occurred"):
        raise SearchQueryError("basis is `recorded` or `occurred`", "basis")
    unknown = sorted(set(where.kinds) - set(KINDS))
    if unknown:
        raise SearchQueryError(f"no kind {unknown[0]!r}: kinds are {', '.join(KINDS)}", "kind")
    limit = max(1, min(int(limit), MAX_LIMIT))
    docs = SEARCH_DOCS.physical(view.generation)
    if cursor:
        match = _CURSOR.match(cursor)
        if match is None:
            raise SearchQueryError("not a cursor of this search: start again", "cursor")
        offset, pinned = int(match.group(1)), int(match.group(2))
    else:
        offset = 0
        rows = view._fetch(f"SELECT MAX(position) FROM {docs}", [])
        pinned = int(rows[0][0] or 0) if rows else 0

    tree = tagged(parsed.tree, project_tag(project_id))
    if where.person:
        tree = And((Term((person_word(project_id, where.person.strip().lower()),)), tree))

    clauses = ["d.project_id = ?", "d.position <= ?"]
    params: list[Any] = [project_id, pinned]
    if where.occurred_from is not None:
        clauses.append("d.occurred_at >= ?")
        params.append(iso(where.occurred_from))
    if where.occurred_to is not None:
        clauses.append("d.occurred_at <= ?")
        params.append(iso(where.occurred_to))
    if where.as_of is not None:
        clauses.append(f"d.{'recorded_at' if where.basis == 'recorded' else 'occurred_at'} <= ?")
        params.append(iso(where.as_of))
    if where.kinds:
        clauses.append(f"d.kind IN ({', '.join('?' * len(where.kinds))})")
        params.extend(where.kinds)
    columns = (
        "d.position, d.subject_id, d.kind, d.event_type, d.title, d.body, d.people, "
        "d.occurred_at, d.recorded_at"
    )
    if view._db.dialect == "sqlite":
        fts = SEARCH_DOCS.fts(view.generation)
        score = f"bm25({fts})"
        sql = (
            f"SELECT {columns}, {score} FROM {fts} JOIN {docs} d ON d.position = {fts}.rowid "
            f"WHERE {fts} MATCH ? AND " + " AND ".join(clauses)
        )
        params = [fts5(tree), *params]
        by_relevance = f"{score}, d.position DESC"
    else:
        sql = (
            f"SELECT {columns}, ts_rank_cd(d.tsv, to_tsquery('simple', ?)) FROM {docs} d "
            "WHERE d.tsv @@ to_tsquery('simple', ?) AND " + " AND ".join(clauses)
        )
        text = tsquery(tree)
        params = [text, text, *params]
        by_relevance = "10 DESC, d.position DESC"  # the tenth column: the rank
    sql += " ORDER BY " + (
        by_relevance if order == "relevance" else "d.occurred_at DESC, d.position DESC"
    )
    sql += f" LIMIT {limit + 1} OFFSET {offset}"
    rows = view._fetch(sql, params)
    more = len(rows) > limit
    rows = rows[:limit]
    retracted = _retracted(view, project_id, [str(r[1]) for r in rows], where)
    pattern = highlighter(parsed.terms)
    hits = []
    for r in rows:
        text, marks = snippet(str(r[5]), pattern)
        hits.append(
            {
                "position": int(r[0]),
                "subject_id": r[1],
                "kind": r[2],
                "event_type": r[3],
                "title": r[4],
                "snippet": text,
                "highlights": marks,
                "people": str(r[6]).split("\n") if r[6] else [],
                "occurred_at": r[7],
                "recorded_at": r[8],
                "score": round(abs(float(r[9])), 6),
                "retracted": r[1] in retracted,
            }
        )
    next_cursor = f"{offset + limit}.{pinned}" if more else None
    return SearchPage(hits=hits, next_cursor=next_cursor, position=pinned, query=parsed)


def _retracted(
    view: SqlView, project_id: str, subject_ids: list[str], where: SearchFilter
) -> set[str]:
    if not subject_ids:
        return set()
    rows = view.select(
        SEARCH_SUBJECTS,
        Where(eq={"project_id": project_id}, isin={"subject_id": sorted(set(subject_ids))}),
        columns=("subject_id", "retracted_at", "retracted_occurred_at"),
    )
    cutoff = iso(where.as_of) if where.as_of is not None else None
    column = "retracted_at" if where.basis == "recorded" else "retracted_occurred_at"
    return {
        r["subject_id"]
        for r in rows
        if r[column] is not None and (cutoff is None or r[column] <= cutoff)
    }


__all__ = [
    "KINDS",
    "MAX_LIMIT",
    "SEARCH_DOCS",
    "SEARCH_SUBJECTS",
    "SearchFilter",
    "SearchPage",
    "SearchProjection",
    "SearchQueryError",
    "search",
]
