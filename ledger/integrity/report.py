"""The human-readable side of an evidence bundle: evidence grades and ``report.html``.

Everything here is a pure function of the bundle's decoded events (``events/<position>.json``)
and its index, so the offline verifier renders the report again and checks that the one in the
bundle says exactly that. No scripts, no external resources: the page opens anywhere.

Evidence grade of a commitment, weakest first — the same rule as the ``commitments`` projection,
so the report and the application never disagree (the facts behind it are listed beside it):

1. ``recorded_by_counterparty`` — the other side put it in the ledger (the promisee, or anyone
   not of the promisor's side), and the promisor has not acknowledged it;
2. ``recorded_or_confirmed_by_promisor`` — the promisor's side is on record: the promisor (or a
   member of the promisor's side) recorded it, or the promisor acknowledged it;
3. ``acknowledged_in_ledger`` — both sides are on record, likewise;
4. ``acknowledged_with_hashed_source`` — as 3, and its source is held by its SHA-256 digest (the
   source's own digest, or the body digest of the interaction it cites: an imported email).

A side is read from the membership events in the bundle.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import orjson

from ledger.domain import wording
from ledger.domain.evidence_grades import EvidenceGrade, evidence_grade, on_record
from ledger.domain.time import LATE_ENTRY_AFTER

__all__ = ["REPORT_FORMAT", "CommitmentEvidence", "EvidenceGrade", "grade_commitments", "render"]

REPORT_FORMAT: Final = 1

_ENVELOPE: Final = frozenset(
    ("timestamp", "originator_topic", "project_id", "actor", "attributed_to", "occurred_at")
)


@dataclass
class CommitmentEvidence:
    commitment_id: str
    statement: str
    promisor: str
    promisee: str
    recorded_by: str
    attributed_to: str | None
    position: int
    source_id: str | None = None
    source_sha256: str | None = None
    acknowledged_by: list[str] = field(default_factory=list)
    grade: EvidenceGrade = EvidenceGrade.RECORDED_BY_COUNTERPARTY
    facts: list[str] = field(default_factory=list)


def grade_commitments(events: Sequence[dict[str, Any]]) -> list[CommitmentEvidence]:
    """The evidence grade of every commitment made among ``events`` (decoded, any order)."""
    ordered = sorted(events, key=lambda e: e["position"])
    party = {email: side for email, (_, side, _) in _people(ordered).items()}
    commitments: dict[str, CommitmentEvidence] = {}
    hashed_interactions: dict[str, str] = {}
    for event in ordered:
        kind, f, oid = event["type"], event["fields"] or {}, event["originator_id"]
        if kind == "Interaction.Recorded" and f.get("body_sha256"):
            hashed_interactions[oid] = str(f["body_sha256"])
        elif kind == "Commitment.Made":
            source = f.get("source") or {}
            item = CommitmentEvidence(
                commitment_id=oid,
                statement=str(f.get("statement", "")),
                promisor=str(f.get("promisor")),
                promisee=str(f.get("promisee")),
                recorded_by=str(f.get("actor")),
                attributed_to=f.get("attributed_to"),
                position=event["position"],
                source_id=source.get("id"),
            )
            item.source_sha256 = source.get("sha256") or hashed_interactions.get(
                str(source.get("id"))
            )
            commitments[oid] = item
        elif kind == "Commitment.Acknowledged" and oid in commitments:
            commitments[oid].acknowledged_by.append(str(f.get("by")))
            commitments[oid].facts.append(
                f"acknowledged by {f.get('by')} (position {event['position']})"
            )
    for item in commitments.values():
        recorder_party = party.get(item.recorded_by)

        by_promisor, by_promisee = (
            on_record(
                person,
                party.get(person),
                recorded_by=item.recorded_by,
                recorded_by_party=recorder_party,
                acknowledged_by=item.acknowledged_by,
            )
            for person in (item.promisor, item.promisee)
        )
        item.grade = evidence_grade(
            promisor=item.promisor,
            promisor_party=party.get(item.promisor),
            promisee=item.promisee,
            promisee_party=party.get(item.promisee),
            recorded_by=item.recorded_by,
            recorded_by_party=recorder_party,
            acknowledged_by=item.acknowledged_by,
            hashed_source=bool(item.source_sha256),
        )
        recorded = f"recorded by {item.recorded_by}"
        if recorder_party:
            recorded += f" ({recorder_party} side)"
        if item.attributed_to:
            recorded += f" on behalf of {item.attributed_to}"
        item.facts.insert(0, f"{recorded} (position {item.position})")
        item.facts.append(
            "promisor's side on record" if by_promisor else "promisor's side not on record"
        )
        item.facts.append(
            "promisee's side on record" if by_promisee else "promisee's side not on record"
        )
        if item.source_sha256:
            item.facts.append(f"hashed source: sha256 {item.source_sha256}")
    return sorted(commitments.values(), key=lambda c: c.position)


# ---------------------------------------------------------------------------------------------
# report.html


def render(index: dict[str, Any], events: Sequence[dict[str, Any]]) -> bytes:
    """``report.html`` for a bundle whose ``bundle.json`` is ``index`` and whose decoded events
    are ``events``. Deterministic: the same input gives the same bytes."""
    roles = {e["position"]: e.get("role", "") for e in index.get("events", ())}
    ordered = sorted(events, key=lambda e: e["position"])
    people = _people(ordered)
    scope = index.get("scope", {})
    log = index.get("log", {})
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Evidence: {_e(_scope_title(scope, ordered))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Evidence bundle: {_e(_scope_title(scope, ordered))}</h1>",
        "<p class=lead>Made by Accord on "
        f"{_e(_when(index.get('created_at')))}. Every event below is included exactly as stored, "
        "with a proof that it is in the ledger's log as signed in the checkpoint. "
        "<strong>This page is a reading aid; the evidence is the files beside it</strong> — "
        "see README.txt to check them.</p>",
        "<h2>Scope</h2>",
        _table(
            ["", ""],
            [
                ["made for", _e(_scope_line(scope))],
                ["period", _e(_period(scope))],
                ["events included", str(len(ordered))],
            ],
            header=False,
        ),
        "<h2>Signed checkpoint</h2>",
        _table(
            ["", ""],
            [
                ["log (origin)", f"<code>{_e(log.get('origin', ''))}</code>"],
                ["tree size", f"{int(log.get('tree_size', 0)):,} events"],
                ["root (base64)", f"<code>{_e(log.get('root', ''))}</code>"],
                ["public key", f"<code>{_e(index.get('public_key_vkey', ''))}</code>"],
                ["key fingerprint", f"<code>{_e(index.get('public_key_sha256', ''))}</code>"],
            ],
            header=False,
        ),
    ]
    if people:
        parts += [
            "<h2>People</h2>",
            _table(
                ["person", "name", "side", "role"],
                [
                    [_e(p), _e(n), _e(wording.party(s) if s else ""), _e(wording.role(r))]
                    for p, (n, s, r) in sorted(people.items())
                ],
            ),
        ]
    grades = grade_commitments(ordered)
    if grades:
        rows = []
        for g in grades:
            rows.append(
                [
                    f"{_e(g.statement)}<br><small>{_e(g.commitment_id)}</small>",
                    _e(_who(g.promisor, people)),
                    _e(_who(g.promisee, people)),
                    f'<span class="grade g{g.grade.rank}">{g.grade.rank}. {_e(g.grade)}</span>',
                    "<br>".join(_e(x) for x in g.facts),
                ]
            )
        parts += [
            "<h2>Commitments and their evidence grade</h2>",
            "<p>1 recorded_by_counterparty &lt; 2 recorded_or_confirmed_by_promisor &lt; "
            "3 acknowledged_in_ledger &lt; 4 acknowledged_with_hashed_source.</p>",
            _table(["commitment", "promisor", "promisee", "grade", "why"], rows),
        ]
    acks = _acknowledgements(ordered)
    if acks:
        parts += [
            "<h2>Acknowledgements</h2>",
            _table(
                ["subject", "asked of", "asked", "answer", "checkpoint they saw"],
                acks,
            ),
        ]
    timeline = []
    for e in ordered:
        f = e["fields"] or {}
        actor = f.get("actor")
        on_behalf = f.get("attributed_to")
        gap = _gap(f.get("occurred_at"), f.get("timestamp"))
        timeline.append(
            [
                f'<a id="p{e["position"]}"></a>{e["position"]}',
                _e(_when(f.get("timestamp"))),
                _e(_when(f.get("occurred_at")))
                + (f'<br><span class="gap">{_e(gap)}</span>' if gap else ""),
                f"<strong>{_e(e['type'])}</strong><br><small>"
                f"{_e(roles.get(e['position'], ''))} · {_e(e['originator_id'])}"
                f" v{e['originator_version']}</small>",
                _e(_who(actor, people)),
                _e(_who(on_behalf, people)) if on_behalf else "",
                _details(f),
            ]
        )
    parts += [
        "<h2>Timeline</h2>",
        "<p>In the order the ledger recorded them (position). <em>Recorded</em> is the ledger's "
        "clock; <em>occurred</em> is when the recorder says it happened.</p>",
        _table(
            ["pos.", "recorded", "occurred", "event", "recorded by", "on behalf of", "details"],
            timeline,
            widths=(5, 10, 12, 16, 14, 11, 32),
        ),
    ]
    documents = index.get("documents", [])
    missing = index.get("documents_not_held", [])
    if documents or missing:
        rows = [
            [
                f"<code>{_e(d['sha256'])}</code>",
                _e(d.get("filename") or ""),
                _e(d.get("media_type") or ""),
                f"{int(d.get('size', 0)):,} bytes",
                f'<a href="{_e(d["file"])}">{_e(d["file"])}</a>',
            ]
            for d in documents
        ]
        rows += [[f"<code>{_e(s)}</code>", "", "", "", "not held by the ledger"] for s in missing]
        parts += [
            "<h2>Documents referenced</h2>",
            _table(["sha256", "name", "type", "size", "file"], rows),
        ]
    parts.append("</body></html>")
    return ("\n".join(parts) + "\n").encode("utf-8")


_CSS: Final = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:90em;color:#222;"
    "padding:0 1em}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px "
    "solid #ccc}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;"
    "padding:.3em .5em;vertical-align:top;text-align:left;overflow-wrap:break-word}"
    "th{background:#f4f4f4}"
    "code{font-size:.9em;word-break:break-all}.lead{background:#f7f7ee;padding:.6em}"
    ".gap{color:#a40}.grade{padding:0 .3em;border-radius:3px}.g1{background:#fdd}"
    ".g2{background:#fed}.g3{background:#dfd}.g4{background:#bfb}small{color:#666}"
    "dl{margin:0}dt{font-weight:600;display:inline}dd{display:inline;margin:0 0 0 .3em;"
    "overflow-wrap:anywhere}.fixed{table-layout:fixed}.fixed td{overflow-wrap:anywhere}"
)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(
    headers: list[str],
    rows: Iterable[list[str]],
    *,
    header: bool = True,
    widths: Sequence[int] = (),
) -> str:
    """A table; ``widths`` (percentages) fixes its layout, so long values wrap in place."""
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not widths:
        return f"<table>{head}{body}</table>"
    columns = "".join(f'<col style="width:{w}%">' for w in widths)
    return f"<table class=fixed><colgroup>{columns}</colgroup>{head}{body}</table>"


def _when(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is None:
        return text
    return text + (" UTC" if offset == timedelta(0) else moment.strftime(" %z"))


def _gap(occurred: Any, recorded: Any) -> str:
    try:
        a = datetime.fromisoformat(str(occurred))
        b = datetime.fromisoformat(str(recorded))
    except ValueError:
        return ""
    seconds = (b - a).total_seconds()
    if seconds <= LATE_ENTRY_AFTER.total_seconds():  # only a material gap is news
        return ""
    if seconds >= 86_400:
        return f"late entry: recorded {seconds / 86_400:.1f} days after it occurred"
    return f"late entry: recorded {seconds / 3_600:.1f} hours after it occurred"


def _people(events: Sequence[dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    people: dict[str, tuple[str, str, str]] = {}
    for e in events:
        f = e["fields"] or {}
        if e["type"] == "Project.MemberAdded" and isinstance(f.get("member"), dict):
            m = f["member"]
            people[str(m.get("email"))] = (
                str(m.get("name", "")),
                str(m.get("party", "")),
                str(m.get("role", "")),
            )
        elif e["type"] == "Project.MemberRoleChanged" and f.get("email") in people:
            name, party, _ = people[f["email"]]
            people[f["email"]] = (name, party, str(f.get("role", "")))
    return people


def _who(email: Any, people: dict[str, tuple[str, str, str]]) -> str:
    if not email:
        return ""
    known = people.get(str(email))
    return f"{known[0]} <{email}> ({known[1]})" if known else str(email)


def _details(fields: dict[str, Any]) -> str:
    items = []
    for key, value in fields.items():
        if key in _ENVELOPE or value in (None, "", [], {}):
            continue
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        items.append(f"<dt>{_e(key)}</dt><dd>{_e(text)}</dd><br>")
    return "<dl>" + "".join(items) + "</dl>"


def _acknowledgements(events: Sequence[dict[str, Any]]) -> list[list[str]]:
    requests: dict[str, dict[str, Any]] = {}
    answers: dict[str, tuple[str, dict[str, Any], int]] = {}
    for e in events:
        f = e["fields"] or {}
        oid = e["originator_id"]
        if e["type"] == "AcknowledgementRequest.Requested":
            requests[oid] = {**f, "_position": e["position"]}
        elif e["type"].startswith("AcknowledgementRequest.") and oid in requests:
            answers[oid] = (e["type"].split(".", 1)[1], f, e["position"])
    rows = []
    for oid, r in requests.items():
        answer, f, position = answers.get(oid, ("(no answer)", {}, 0))
        detail = answer
        if answer == "Acknowledged":
            detail = f"acknowledged {_when(f.get('timestamp'))}"
            if f.get("comment"):
                detail += f": “{f['comment']}”"
        elif answer == "Disputed":
            detail = f"disputed {_when(f.get('timestamp'))}: {f.get('reason', '')}"
        elif answer == "Withdrawn":
            detail = f"withdrawn: {f.get('reason', '')}"
        seen = ""
        if f.get("checkpoint_size") is not None:
            seen = f"size {f['checkpoint_size']:,}, root {f.get('checkpoint_root')}"
        rows.append(
            [
                f"{_e(r.get('subject_kind'))} {_e(r.get('subject_id'))} "
                f"v{_e(r.get('subject_version'))}",
                _e(r.get("person")),
                _e(_when(r.get("timestamp"))) + f" (pos. {r['_position']})",
                _e(detail) + (f" (pos. {position})" if position else ""),
                f"<code>{_e(seen)}</code>",
            ]
        )
    return rows


def _scope_title(scope: dict[str, Any], events: Sequence[dict[str, Any]]) -> str:
    kind = scope.get("kind")
    if kind == "subject":
        for e in events:
            if e["originator_id"] == scope.get("id"):
                f = e["fields"] or {}
                label = (
                    f.get("statement") or f.get("title") or f.get("subject") or f.get("description")
                )
                name = e["type"].split(".", 1)[0]
                return f"{name} “{label}”" if label else f"{name} {scope.get('id')}"
        return f"subject {scope.get('id')}"
    if kind == "project":
        for e in events:
            if e["type"] == "Project.Opened":
                return f"project “{(e['fields'] or {}).get('name', '')}”"
        return f"project {scope.get('id')}"
    return f"everything involving {scope.get('person')}"


def _scope_line(scope: dict[str, Any]) -> str:
    kind = scope.get("kind")
    target = scope.get("person") if kind == "person" else scope.get("id")
    line = f"{kind} {target}"
    if scope.get("project_id") and kind != "project":
        line += f" in project {scope['project_id']}"
    return line


def _period(scope: dict[str, Any]) -> str:
    start, end = scope.get("from"), scope.get("to")
    if not start and not end:
        return "all time"
    return f"occurred from {start or 'the start'} to {end or 'now'}"
