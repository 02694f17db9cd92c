"""The questions people ask, answered from the views.

Every function takes ``views`` — a mapping from view name to :class:`~projections.framework.View`
— so the same code answers from the live SQL views (``LiveViews``) and from in-memory views fed
with a project's events up to an instant (``projections.asof``). Results are plain, JSON-ready
dicts; times are ISO 8601 strings in UTC.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from ledger.domain import wording
from ledger.domain.time import (
    DEFAULT_TIME_ZONE,
    LATE_ENTRY_AFTER,
    end_of_day,
    is_overdue,
    local_date,
)
from ledger.domain.validation import normalise_email
from projections.audit import (
    AUDIT_EVENTS,
    AUDIT_PEOPLE,
    from_occurred_key,
    occurred_key,
    person_key,
)
from projections.commitments import COMMITMENTS
from projections.expectations import (
    CHANGE_REQUESTS,
    EXPECTATIONS,
    HISTORY,
    PROPOSAL_LOG,
    PROPOSALS,
)
from projections.framework import View, Where, iso, parse_iso
from projections.metrics import ACKS, ISSUES, MESSAGES
from projections.open_items import CADENCE_REPORTS, CADENCES, OPEN_ITEMS, ZONES

Views = Mapping[str, View]
MAX_PAGE = 500
#: A report is missed only once the local day after its due date has ended.
CADENCE_GRACE = timedelta(days=1)


# ------------------------------------------------------------------------------ open items


def project_time_zone(views: Views, project_id: str) -> str:
    """The project's IANA time zone, as the open-items view knows it (UTC for projects opened
    before projects had one)."""
    row = views["open_items"].peek(ZONES, (project_id,))
    return row["time_zone"] if row else DEFAULT_TIME_ZONE


def open_items(views: Views, project_id: str, now: datetime) -> list[dict[str, Any]]:
    """Everything open in the project, with its age, whether it is overdue at ``now``, and whose
    move it is; missed cadence (no report for a due period) included. Overdue first, then by due
    date, then oldest first."""
    items = []
    rows = views["open_items"].select(
        OPEN_ITEMS, Where(eq={"project_id": project_id}), order_by=("opened_position",)
    )
    for row in rows:
        opened = parse_iso(row["opened_at"])
        assert opened is not None
        items.append(
            {
                "id": row["item_id"],
                "kind": row["kind"],
                "title": row["title"],
                "state": row["state"],
                "opened_at": row["opened_at"],
                "age_days": round((now - opened).total_seconds() / 86400, 1),
                "due_at": row["due_at"],
                "overdue": is_overdue(parse_iso(row["due_at"]), now),
                "ball_in_court": {"party": row["ball_party"], "person": row["ball_person"]},
                "last_event_at": row["last_event_at"],
                "position": row["last_position"],
            }
        )
    items.extend(missed_cadence(views, project_id, now))
    items.sort(key=lambda i: (not i["overdue"], i["due_at"] or "9999", i["opened_at"]))
    return items


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def parse_duration(text: str) -> tuple[int, int]:
    """``P1M`` → (1 month, 0 days); ``P2W`` → (0, 14)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    return years * 12 + months, weeks * 7 + days


def add_period(start: date, months: int, days: int, times: int) -> date:
    if months:
        total = start.month - 1 + months * times
        year, month = start.year + total // 12, total % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        start = date(year, month, day)
    return start + timedelta(days=days * times)


def cadence_due_dates(cadence: dict[str, Any], until: date, time_zone: str = "UTC") -> list[date]:
    """The cadence's due dates up to ``until``: from ``starts_on``, else the day (in the
    project's zone) the plan was set."""
    months, days = parse_duration(cadence["every"])
    set_at = parse_iso(cadence["set_at"])
    assert set_at is not None
    first = (
        date.fromisoformat(cadence["starts_on"])
        if cadence["starts_on"]
        else local_date(set_at, time_zone)
    )
    dates, k = [], 0
    while (due := add_period(first, months, days, k)) <= until and k < 10_000:
        dates.append(due)
        k += 1
    return dates


def cadence_deadline(due: date, time_zone: str) -> datetime:
    """A report due on ``due`` counts as missed from the end of the local day after (a day's
    grace), in the project's time zone."""
    return end_of_day(due + CADENCE_GRACE, time_zone)


def cadence_status(views: Views, project_id: str, now: datetime) -> list[dict[str, Any]]:
    """For each cadence of the plan: its due dates up to ``now``, which were met (a report of that
    kind issued in the period ending on the due date, within a day's grace) and which missed.
    Days are the project's (its time zone)."""
    view = views["open_items"]
    zone_name = project_time_zone(views, project_id)
    today = local_date(now, zone_name)
    reports = view.select(
        CADENCE_REPORTS, Where(eq={"project_id": project_id}), order_by=("issued_at",)
    )
    result = []
    for cadence in view.select(CADENCES, Where(eq={"project_id": project_id}), order_by=("kind",)):
        months, days = parse_duration(cadence["every"])
        issued = sorted(
            parse_iso(r["issued_at"]) or now for r in reports if r["kind"] == cadence["kind"]
        )
        due_dates = [
            d
            for d in cadence_due_dates(cadence, today, zone_name)
            if cadence_deadline(d, zone_name) <= now
        ]
        met, missed = [], []
        used = 0
        for k, due in enumerate(due_dates):
            window_end = cadence_deadline(due, zone_name)
            window_start = (
                cadence_deadline(add_period(due, -months, -days, 1), zone_name)
                if k
                else datetime.min.replace(tzinfo=UTC)
            )
            while used < len(issued) and issued[used] <= window_start:
                used += 1
            if used < len(issued) and issued[used] <= window_end:
                met.append(due)
                used += 1
            else:
                missed.append(due)
        result.append({**cadence, "due": due_dates, "met": met, "missed": missed})
    return result


def missed_cadence(views: Views, project_id: str, now: datetime) -> list[dict[str, Any]]:
    zone_name = project_time_zone(views, project_id)
    items = []
    for cadence in cadence_status(views, project_id, now):
        for due in cadence["missed"]:
            due_at = end_of_day(due, zone_name)
            kind = wording.cadence_kind(cadence["kind"])
            items.append(
                {
                    "id": f"cadence:{cadence['kind']}:{due.isoformat()}",
                    "kind": "missed_cadence",
                    "title": f"No {kind} for the period due {due.isoformat()}",
                    "state": "missed",
                    "opened_at": iso(due_at),
                    "age_days": round((now - due_at).total_seconds() / 86400, 1),
                    "due_at": iso(due_at),
                    "overdue": True,
                    "ball_in_court": {"party": "team", "person": cadence["owner"]},
                    "last_event_at": iso(due_at),
                    "position": None,
                }
            )
    return items


# ---------------------------------------------------------------------------- expectations


def _provenance(history: list[dict[str, Any]], change_requests: dict[str, Any]) -> list[Any]:
    steps = []
    for h in history:
        cr = change_requests.get(h["change_request_id"] or "")
        steps.append(
            {
                "position": h["position"],
                "event": h["event_type"],
                "value": orjson.loads(h["value"]) if h["value"] else None,
                "state": h["state"],
                "occurred_at": h["occurred_at"],
                "recorded_at": h["recorded_at"],
                "recorded_by": h["actor"],
                "attributed_to": h["attributed_to"],
                "agreed_by": orjson.loads(h["agreed_by"]),
                "cause": h["cause"],
                "change_request": (
                    {
                        "id": cr["change_request_id"],
                        "title": cr["title"],
                        "state": cr["state"],
                        "decided_by": cr["decided_by"],
                    }
                    if cr
                    else None
                ),
                "reason": h["reason"],
            }
        )
    return steps


def _history_by_expectation(view: View, project_id: str) -> dict[str, list[dict[str, Any]]]:
    history: dict[str, list[dict[str, Any]]] = {}
    for h in view.select(HISTORY, Where(eq={"project_id": project_id}), order_by=("position",)):
        history.setdefault(h["expectation_id"], []).append(h)
    return history


def _change_requests(view: View, project_id: str) -> dict[str, Any]:
    return {
        r["change_request_id"]: r
        for r in view.select(CHANGE_REQUESTS, Where(eq={"project_id": project_id}))
    }


def _awaiting_agreement(p: dict[str, Any]) -> dict[str, Any]:
    agreed_by = orjson.loads(p["agreed_by"])
    agreed = orjson.loads(p["agreed"])
    return {
        "proposal_version": p["proposal_version"],
        "change": p["change"],
        "value": orjson.loads(p["value"]) if p["value"] else None,
        "reason": p["reason"],
        "proposed_by": p["proposed_by"],
        "proposed_at": p["proposed_at"],
        "agreed_by": agreed_by,
        "agreed": agreed,
        "awaiting": [person for person in agreed_by if person not in agreed],
    }


def expectations(views: Views, project_id: str) -> list[dict[str, Any]]:
    """The current baseline: every expectation with its value and the provenance of every value
    it has had (which event set it, which approved change request revised it, who agreed) — and,
    after them, items proposed for it (state ``proposed``, no value yet). A set, revision or
    withdrawal still awaiting someone's agreement is under ``awaiting_agreement``."""
    view = views["expectations"]
    history = _history_by_expectation(view, project_id)
    crs = _change_requests(view, project_id)
    proposals = {
        p["expectation_id"]: p
        for p in view.select(
            PROPOSALS, Where(eq={"project_id": project_id}), order_by=("proposed_position",)
        )
    }
    rows = view.select(
        EXPECTATIONS, Where(eq={"project_id": project_id}), order_by=("set_position",)
    )
    entries = [
        {
            "id": r["expectation_id"],
            "kind": r["kind"],
            "title": r["title"],
            "value": orjson.loads(r["value"]),
            "state": r["state"],
            "delivery": r["delivery"],
            "agreed_by": orjson.loads(r["agreed_by"]),
            "revisions": r["revisions"],
            "provenance": _provenance(history.get(r["expectation_id"], []), crs),
            "awaiting_agreement": (
                _awaiting_agreement(proposals[r["expectation_id"]])
                if r["expectation_id"] in proposals
                else None
            ),
        }
        for r in rows
    ]
    entries += [
        {
            "id": p["expectation_id"],
            "kind": p["kind"],
            "title": p["title"],
            "value": None,
            "state": "proposed",
            "delivery": None,
            "agreed_by": [],
            "revisions": 0,
            "provenance": [],
            "awaiting_agreement": _awaiting_agreement(p),
        }
        for p in proposals.values()
        if p["change"] == "set"
    ]
    return entries


def baseline_recorded_later(views: Views, project_id: str, instants: list[datetime]) -> int:
    """How many of the baseline's events had occurred by one of ``instants`` but were recorded
    after it (what an ``occurred`` answer knows that the record at the instant did not)."""
    cutoffs = sorted({iso(t) or "" for t in instants})
    if not cutoffs:
        return 0
    rows = views["expectations"].select(
        HISTORY,
        Where(eq={"project_id": project_id}, column="occurred_at", le=cutoffs[-1]),
        columns=("occurred_at", "recorded_at"),
    )
    return sum(1 for r in rows if any(r["occurred_at"] <= t < r["recorded_at"] for t in cutoffs))


def baseline_as_of(
    views: Views, project_id: str, instant: datetime, basis: str = "occurred"
) -> dict[str, dict[str, Any]]:
    """The baseline as the ledger knew it at ``instant`` (``basis="recorded"``) or as it stood
    by what had happened by then (``basis="occurred"``): expectation id → entry."""
    column = "recorded_at" if basis == "recorded" else "occurred_at"
    view = views["expectations"]
    crs = _change_requests(view, project_id)
    cutoff = iso(instant)
    result: dict[str, dict[str, Any]] = {}
    for eid, steps in _history_by_expectation(view, project_id).items():
        known = sorted(
            (h for h in steps if h[column] <= (cutoff or "")),
            key=lambda h: (h[column], h["position"]),
        )
        if not known:
            continue
        last = known[-1]
        result[eid] = {
            "id": eid,
            "kind": last["kind"],
            "title": last["title"],
            "value": orjson.loads(last["value"]) if last["value"] else None,
            "state": last["state"],
            "provenance": _provenance(known, crs),
        }
    return result


def awaiting_as_of(
    views: Views, project_id: str, instant: datetime, basis: str = "occurred"
) -> dict[str, dict[str, Any]]:
    """The proposals that awaited agreement at ``instant`` (on ``basis``): expectation id →
    its ``kind``, ``title`` and ``awaiting`` (what :func:`expectations` gives as
    ``awaiting_agreement``, with who had agreed by then)."""
    column = "recorded_at" if basis == "recorded" else "occurred_at"
    at = 2 if basis == "recorded" else 1
    cutoff = iso(instant) or ""
    found: dict[str, dict[str, Any]] = {}
    for entry in views["expectations"].select(PROPOSAL_LOG, Where(eq={"project_id": project_id})):
        row = orjson.loads(entry["row"])
        made = entry["recorded_at"] if basis == "recorded" else row["proposed_at"]
        ended = entry[f"ended_{column}"]
        if made > cutoff or (ended is not None and ended <= cutoff):
            continue
        agreed = [row["proposed_by"]] + [
            a[0] for a in orjson.loads(entry["agreements"]) if a[at] <= cutoff
        ]
        found[row["expectation_id"]] = {
            "kind": row["kind"],
            "title": row["title"],
            "awaiting": _awaiting_agreement({**row, "agreed": orjson.dumps(agreed).decode()}),
        }
    return found


def expectations_as_of(
    views: Views, project_id: str, instant: datetime, basis: str = "occurred"
) -> list[dict[str, Any]]:
    """The baseline at ``instant`` (:func:`baseline_as_of`), each item with what awaited
    agreement on it then, followed by the items then proposed for it (state ``proposed``)."""
    baseline = baseline_as_of(views, project_id, instant, basis)
    awaiting = awaiting_as_of(views, project_id, instant, basis)
    entries = [
        {**e, "awaiting_agreement": awaiting[eid]["awaiting"] if eid in awaiting else None}
        for eid, e in baseline.items()
    ]
    entries += [
        {
            "id": eid,
            "kind": a["kind"],
            "title": a["title"],
            "value": None,
            "state": "proposed",
            "provenance": [],
            "awaiting_agreement": a["awaiting"],
        }
        for eid, a in awaiting.items()
        if eid not in baseline and a["awaiting"]["change"] == "set"
    ]
    return entries


def expectations_diff(
    views: Views, project_id: str, since: datetime, until: datetime, basis: str = "occurred"
) -> list[dict[str, Any]]:
    """What changed in the baseline between two instants, each difference explained by the
    events (and approved change requests) in between."""
    before = baseline_as_of(views, project_id, since, basis)
    after = baseline_as_of(views, project_id, until, basis)
    changes = []
    for eid in sorted(set(before) | set(after), key=lambda i: (after.get(i) or before[i])["title"]):
        old, new = before.get(eid), after.get(eid)
        old_key = (old["value"], old["state"]) if old else None
        new_key = (new["value"], new["state"]) if new else None
        if old_key == new_key:
            continue
        if old is None:
            change = "added"
        elif new is not None and new["state"] == "withdrawn" and old["state"] != "withdrawn":
            change = "withdrawn"
        else:
            change = "revised"
        current = new or old
        assert current is not None
        known_before = {p["position"] for p in (old["provenance"] if old else [])}
        explained_by = [
            p for p in (new["provenance"] if new else []) if p["position"] not in known_before
        ]
        changes.append(
            {
                "id": eid,
                "kind": current["kind"],
                "title": current["title"],
                "change": change,
                "from": old["value"] if old else None,
                "to": new["value"] if new and new["state"] == "active" else None,
                "explained_by": explained_by,
            }
        )
    return changes


# ----------------------------------------------------------------------------- audit trail


@dataclass(frozen=True)
class AuditFilter:
    person: str | None = None
    subject: str | None = None
    type: str | None = None  # "Commitment.Made", or an item kind such as "Commitment"
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "person", person_filter(self.person))


def person_filter(person: str | None) -> str | None:
    """The person a filter names, as the ledger stores addresses (``None``: anyone); an address
    the ledger would refuse (a typo) raises :class:`InvalidInputError` naming ``person`` rather
    than matching nothing."""
    return normalise_email(person, "person") if person and person.strip() else None


@dataclass(frozen=True, order=True)
class AuditCursor:
    """Where a page of the audit trail or timeline ended: the last row's occurred time (as
    :func:`~projections.audit.occurred_key`) and position. Rows are read in the order things
    happened, ``(occurred_at, position)``, a total order, so paging never repeats or skips a
    row; an entry recorded meanwhile with an earlier occurred time belongs on a page already
    read (reading again from the start shows it)."""

    occurred_us: int
    position: int

    def encode(self) -> str:
        return f"{self.occurred_us}_{self.position}"

    @classmethod
    def decode(cls, text: str) -> AuditCursor:
        occurred, _, position = text.partition("_")
        return cls(int(occurred), int(position))

    @classmethod
    def of(cls, row: dict[str, Any]) -> AuditCursor:
        occurred = parse_iso(row["occurred_at"])
        assert occurred is not None
        return cls(occurred_key(occurred), row["position"])


#: The pattern of an encoded :class:`AuditCursor` (for the HTTP query parameter).
AUDIT_CURSOR_PATTERN = r"^-?[0-9]{1,19}_[0-9]{1,19}$"


def _audit_row(r: dict[str, Any], late_after: timedelta, opened_at: str | None) -> dict[str, Any]:
    lag = r["lag_seconds"]
    imported = bool(r["imported"])
    late = not imported and lag > late_after.total_seconds()
    return {
        "position": r["position"],
        "subject_id": r["subject_id"],
        "subject_type": r["subject_type"],
        "type": r["event_type"],
        "actor": r["actor"],
        "attributed_to": r["attributed_to"],
        "occurred_at": r["occurred_at"],
        "recorded_at": r["recorded_at"],
        "late_entry": late,
        "imported": imported,
        "before_opening": opened_at is not None and r["occurred_at"] < opened_at,
        "late_by_seconds": lag if late else 0,
        "backdated": late,
        "version": r["originator_version"],
        "narrative": r["narrative"],
    }


def project_opened_at(view: View, project_id: str) -> str | None:
    """When the project was opened (occurred, ISO UTC), from the audit view."""
    rows = view.select(
        AUDIT_EVENTS,
        Where(eq={"project_id": project_id, "event_type": "Project.Opened"}),
        limit=1,
        columns=("occurred_at",),
    )
    return rows[0]["occurred_at"] if rows else None


def _after(
    view: View,
    table: Any,
    eq: dict[str, Any],
    time_column: str,
    cursor: AuditCursor | None,
    chunk: int,
    to_time: Any,
) -> list[dict[str, Any]]:
    """Rows of ``table`` matching ``eq`` after ``cursor`` in ``(time_column, position)`` order,
    at most ``chunk``: those at the cursor's time with a later position, then later times."""
    order = (time_column, "position")
    if cursor is None:
        return view.select(table, Where(eq=eq), order_by=order, limit=chunk)
    at = to_time(cursor.occurred_us)
    same = view.select(
        table,
        Where(eq={**eq, time_column: at}, column="position", gt=cursor.position),
        order_by=order,
        limit=chunk,
    )
    if len(same) >= chunk:
        return same
    later = view.select(
        table, Where(eq=eq, column=time_column, gt=at), order_by=order, limit=chunk - len(same)
    )
    return same + later


def audit(
    views: Views,
    project_id: str,
    where: AuditFilter = AuditFilter(),
    after: AuditCursor | None = None,
    limit: int = 100,
    late_after: timedelta = LATE_ENTRY_AFTER,
) -> tuple[list[dict[str, Any]], AuditCursor | None]:
    """The project's events that match, in the order they happened (occurred time, then
    position), after ``after``; returns the page and the cursor for the next page (``None`` at
    the end). A row is a ``late_entry`` when it was recorded more than ``late_after`` after it
    occurred, unless it was imported from mail (``imported``)."""
    view = views["audit"]
    limit = max(1, min(limit, MAX_PAGE))
    eq: dict[str, Any] = {"project_id": project_id}
    if where.subject:
        eq["subject_id"] = where.subject
    if where.type:
        eq["event_type" if "." in where.type else "subject_type"] = where.type
    low, high = iso(where.occurred_from), iso(where.occurred_to)
    rows: list[dict[str, Any]] = []
    cursor, chunk = (after or None), limit + 1  # 0 (an older caller's "from the start") too
    while len(rows) <= limit:
        if where.person:
            people = _after(
                view,
                AUDIT_PEOPLE,
                {"person_key": person_key(project_id, where.person)},
                "occurred_us",
                cursor,
                chunk,
                lambda us: us,
            )
            positions = [p["position"] for p in people]
            batch = (
                view.select(AUDIT_EVENTS, Where(eq=eq, isin={"position": positions}))
                if positions
                else []
            )
            batch.sort(key=lambda r: (r["occurred_at"], r["position"]))
            exhausted = len(people) < chunk
            if people:
                cursor = AuditCursor(people[-1]["occurred_us"], people[-1]["position"])
        else:
            batch = _after(
                view,
                AUDIT_EVENTS,
                eq,
                "occurred_at",
                cursor,
                chunk,
                lambda us: iso(from_occurred_key(us)),
            )
            exhausted = len(batch) < chunk
            if batch:
                cursor = AuditCursor.of(batch[-1])
        rows.extend(
            r
            for r in batch
            if (low is None or r["occurred_at"] >= low)
            and (high is None or r["occurred_at"] <= high)
        )
        if exhausted:
            break
    page = rows[:limit]
    next_cursor = AuditCursor.of(page[-1]) if len(rows) > limit else None
    opened_at = project_opened_at(view, project_id)
    return [_audit_row(r, late_after, opened_at) for r in page], next_cursor


def timeline(
    views: Views,
    project_id: str,
    after: AuditCursor | None = None,
    limit: int = 100,
    late_after: timedelta = LATE_ENTRY_AFTER,
) -> tuple[list[dict[str, Any]], AuditCursor | None]:
    """The project's history in the order it happened (occurred time, then position), one
    line per event, the recorded time beside it; late entries and imported mail marked."""
    return audit(views, project_id, AuditFilter(), after, limit, late_after)


def commitments(views: Views, project_id: str, person: str | None = None) -> list[dict[str, Any]]:
    """Who promised what and when: every commitment (optionally those where ``person`` is the
    promisor or the promisee) with its lifecycle and evidence grade."""
    person = person_filter(person)
    view = views["commitments"]
    rows = view.select(
        COMMITMENTS, Where(eq={"project_id": project_id}), order_by=("made_position",)
    )
    if person:
        rows = [r for r in rows if person in (r["promisor"], r["promisee"])]
    return [
        {
            "id": r["commitment_id"],
            "promisor": r["promisor"],
            "promisee": r["promisee"],
            "statement": r["statement"],
            "due_at": r["due_at"],
            "original_due_at": r["original_due_at"],
            "state": r["state"],
            "made_at": r["made_at"],
            "recorded_at": r["made_recorded_at"],
            "recorded_by": r["recorded_by"],
            "attributed_to": r["attributed_to"],
            "acknowledged_by": [a for a in r["acknowledged_by"].split(",") if a],
            "evidence_grade": r["evidence_grade"],
            "hashed_source": bool(r["hashed_source"]),
            "source": {"kind": r["source_kind"], "id": r["source_id"], "sha256": r["source_sha256"]}
            if r["source_kind"]
            else None,
            "renegotiations": r["renegotiations"],
            "fulfilled_at": r["fulfilled_at"],
            "accepted_at": r["accepted_at"],
            "closed_at": r["closed_at"],
            "position": r["made_position"],
        }
        for r in rows
    ]


# --------------------------------------------------------------------------------- metrics


def _hours(start: str | None, end: str | None) -> float | None:
    a, b = parse_iso(start), parse_iso(end)
    if a is None or b is None:
        return None
    return round((b - a).total_seconds() / 3600, 2)


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    ordered = sorted(values)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return {
        "count": len(ordered),
        "median_hours": round(median, 2),
        "mean_hours": round(sum(ordered) / len(ordered), 2),
        "max_hours": max(ordered),
    }


def metrics(views: Views, project_id: str, now: datetime) -> dict[str, Any]:
    """Response times, acknowledgement latency, cadence adherence and commitments kept on time
    per party, at ``now``."""
    mview = views["metrics"]
    now_iso = iso(now) or ""

    issues = mview.select(ISSUES, Where(eq={"project_id": project_id}))
    issue_response: dict[str, list[float]] = {}
    for i in issues:
        hours = _hours(i["raised_at"], i["first_response_at"])
        if hours is not None:
            issue_response.setdefault(i["responder_party"], []).append(hours)
    messages = mview.select(MESSAGES, Where(eq={"project_id": project_id, "retracted": 0}))
    reply: dict[str, list[float]] = {}
    for m in messages:
        hours = _hours(m["occurred_at"], m["first_reply_at"])
        if hours is not None:
            reply.setdefault(m["replier_party"], []).append(hours)

    acks = mview.select(ACKS, Where(eq={"project_id": project_id}))
    latency: dict[str, list[float]] = {}
    for a in acks:
        if a["outcome"] == "acknowledged":
            hours = _hours(a["requested_at"], a["answered_at"])
            if hours is not None:
                latency.setdefault(a["party"] or "unknown", []).append(hours)
    outstanding = [a for a in acks if a["outcome"] is None]

    kept: dict[str, dict[str, int]] = {}
    for c in views["commitments"].select(COMMITMENTS, Where(eq={"project_id": project_id})):
        party = c["promisor_party"] or "unknown"
        k = kept.setdefault(
            party,
            {
                "due": 0,
                "kept_on_time": 0,
                "kept_late": 0,
                "overdue": 0,
                "open_not_yet_due": 0,
                "withdrawn_or_released": 0,
            },
        )
        if c["due_at"] is None:
            continue
        if c["state"] in ("withdrawn", "released"):
            k["withdrawn_or_released"] += 1
            continue
        if c["fulfilled_at"] is not None and c["state"] in ("fulfilled", "accepted"):
            k["due"] += 1
            k["kept_on_time" if c["fulfilled_at"] <= c["due_at"] else "kept_late"] += 1
        elif is_overdue(parse_iso(c["due_at"]), now):
            k["due"] += 1
            k["overdue"] += 1
        else:
            k["open_not_yet_due"] += 1
    for k in kept.values():
        k_due = k["due"]
        k["share_kept_on_time"] = round(k["kept_on_time"] / k_due, 3) if k_due else None  # type: ignore[assignment]

    cadences = [
        {
            "kind": c["kind"],
            "every": c["every"],
            "owner": c["owner"],
            "due": len(c["due"]),
            "met": len(c["met"]),
            "missed": [d.isoformat() for d in c["missed"]],
            "adherence": round(len(c["met"]) / len(c["due"]), 3) if c["due"] else None,
        }
        for c in cadence_status(views, project_id, now)
    ]
    return {
        "at": now_iso,
        "issue_first_response": {p: _summary(v) for p, v in issue_response.items()},
        "email_reply": {p: _summary(v) for p, v in reply.items()},
        "acknowledgement_latency": {p: _summary(v) for p, v in latency.items()},
        "acknowledgements_outstanding": len(outstanding),
        "acknowledgements_overdue": sum(
            1 for a in outstanding if is_overdue(parse_iso(a["due_at"]), now)
        ),
        "cadence_adherence": cadences,
        "commitments_by_promisor_party": kept,
    }
