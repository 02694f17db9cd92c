"""A project's dates as an iCalendar feed (RFC 5545), for the calendar apps people live in.

``calendar_feed(ledger, project_id, person)`` returns the feed of one member:

* **commitment due dates** — each live commitment (open, or its fulfilment disputed) that the
  person made or is owed, at its due time;
* **milestones** — every active milestone of the baseline (and every deliverable with a date),
  as an all-day event on its date;
* **acknowledgement deadlines** — each request still waiting for the person's
  acknowledgement, at its due time;
* **cadence dates** — each cadence of the communication plan the person owns or is in the
  audience of (an empty audience is everyone), as a recurring all-day event (``RRULE``) from
  its start (``starts_on``, else the day the plan was set). Month-based cadences that start
  after the 28th fall on the last day of shorter months, as the read models count them.

UIDs are stable (``commitment-<id>@accord`` ...): a calendar that refreshes the feed updates
an event in place. ``DTSTAMP`` is when the item last changed in the ledger and ``SEQUENCE`` its
version, so the same ledger gives the same bytes. Times are written in UTC; ``X-WR-TIMEZONE``
names the project's zone. What people read is in words: "weekly report every week, by Pat
Morgan", not ``weekly_report every P7D, by pat@...``.

The HTTP route and the person's revocable calendar token are the API's (calendar apps cannot
send headers); this module only builds the feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from icalendar import Calendar, Event

from ledger.domain import wording
from ledger.domain.acknowledgement import AcknowledgementRequest, AcknowledgementState
from ledger.domain.commitment import Commitment, is_live
from ledger.domain.expectation import Expectation, ExpectationKind, ExpectationState
from ledger.domain.project import Cadence, Project
from ledger.domain.validation import normalise_email
from ledger.storage.reading import project_items

if TYPE_CHECKING:
    from ledger.service.application import Ledger

PRODID = "-//Accord//Communication ledger//EN"
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
#: How far a cadence whose period mixes months and days is spelled out date by date.
_SPELLED_OUT = timedelta(days=2 * 366)


def calendar_feed(ledger: Ledger, project_id: UUID, person: str) -> bytes:
    """The iCalendar feed of ``person`` (a member of the project, auditors included)."""
    project = ledger.get_project(project_id)
    person = normalise_email(person, "person")
    project.require_member(person, "person")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{project.name} (Accord)")
    calendar.add("x-wr-caldesc", f"Due dates of {project.name} for {_name(project, person)}")
    calendar.add("x-wr-timezone", project.time_zone)
    events = [
        *_commitments(ledger, project, person),
        *_milestones(ledger, project),
        *_acknowledgements(ledger, project, person),
        *_cadences(ledger, project, person),
    ]
    for _, _, event in sorted(events, key=lambda dated: dated[:2]):
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


#: An event with what it is sorted by: its start (ISO text, all-day first) and its UID.
Dated = tuple[str, str, Event]


def _dated(event: Event, start: date | datetime) -> Dated:
    if isinstance(start, datetime):
        start = start.astimezone(UTC)
        event.add("dtstart", start)
        key = start.isoformat()
    else:
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
        key = f"{start.isoformat()}T"
    return key, str(event["uid"]), event


def _event(uid: str, summary: str, stamp: datetime, sequence: int, category: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("last-modified", stamp.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    return event


# ----------------------------------------------------------------------------- sources


def _commitments(ledger: Ledger, project: Project, person: str) -> Iterator[Dated]:
    for item in project_items(ledger, project.id, Commitment, Commitment.Made):
        c = item.aggregate
        if c.due_at is None or not is_live(c.state) or person not in (c.promisor, c.promisee):
            continue
        mine = c.promisor == person
        summary = f"Due: {c.statement}" if mine else f"Due to you: {c.statement}"
        event = _event(f"commitment-{c.id}@accord", summary, c.modified_on, c.version, "commitment")
        event.add(
            "description",
            f"{_name(project, c.promisor)} promised {_name(project, c.promisee)}: "
            f"{c.statement}\n"
            f"State: {wording.state(c.state)}. Project: {project.name}. Commitment {c.id}.",
        )
        yield _dated(event, c.due_at)


def _milestones(ledger: Ledger, project: Project) -> Iterator[Dated]:
    for item in project_items(
        ledger, project.id, Expectation, (Expectation.Set, Expectation.Proposed)
    ):
        e = item.aggregate
        dated = e.kind in (ExpectationKind.MILESTONE, ExpectationKind.DELIVERABLE)
        if not dated or e.state is not ExpectationState.ACTIVE or e.value.date is None:
            continue
        label = "Milestone" if e.kind is ExpectationKind.MILESTONE else "Deliverable due"
        event = _event(
            f"expectation-{e.id}@accord", f"{label}: {e.title}", e.modified_on, e.version, e.kind
        )
        delivery = f"Delivery: {e.delivery}." if e.delivery is not None else "Not delivered yet."
        details = f"{e.value.text}\n" if e.value.text else ""
        event.add("description", f"{details}{delivery} Project: {project.name}.")
        yield _dated(event, e.value.date)


def _acknowledgements(ledger: Ledger, project: Project, person: str) -> Iterator[Dated]:
    created = AcknowledgementRequest.Requested
    for item in project_items(ledger, project.id, AcknowledgementRequest, created):
        r = item.aggregate
        if r.person != person or r.state is not AcknowledgementState.REQUESTED or not r.due_at:
            continue
        what = _title_of(ledger, r.subject_id) or wording.kind(str(r.subject_kind))
        event = _event(
            f"acknowledgement-{r.id}@accord",
            f"Acknowledge: {what}",
            r.modified_on,
            r.version,
            "acknowledgement",
        )
        event.add(
            "description",
            f"{_name(project, r.requested_by)} asked you to acknowledge the "
            f"{wording.kind(str(r.subject_kind))} {r.subject_id} "
            f"(version {r.subject_version}). Project: {project.name}.",
        )
        yield _dated(event, r.due_at)


def _name(project: Project, email: str) -> str:
    """A person by name where the project knows one (members), else by address."""
    return wording.person(email, lambda e: m.name if (m := project.members.get(e)) else None)


def _title_of(ledger: Ledger, item_id: UUID) -> str | None:
    try:
        item: Any = ledger.repository.get(item_id)
    except Exception:
        return None
    for name in ("title", "statement", "period_label"):
        value = getattr(item, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _cadences(ledger: Ledger, project: Project, person: str) -> Iterator[Dated]:
    if not project.cadences:
        return
    plan = _plan_event(ledger, project.id)
    for cadence in project.cadences:
        if person != cadence.owner and cadence.audience and person not in cadence.audience:
            continue
        first = cadence.starts_on or plan.occurred_at.date()
        slug = re.sub(r"[^a-z0-9]+", "-", cadence.kind.lower()).strip("-") or "cadence"
        name = wording.cadence_kind(cadence.kind)
        event = _event(
            f"cadence-{project.id}-{slug}@accord",
            f"{name[:1].upper()}{name[1:]} due",
            plan.timestamp,
            plan.originator_version,
            "cadence",
        )
        dated = _dated(event, first)
        _repeat(event, cadence, first)
        event.add(
            "description",
            f"The communication plan of {project.name}: {name} {wording.every(cadence.every)}, "
            f"by {_name(project, cadence.owner)}.",
        )
        yield dated


def _plan_event(ledger: Ledger, project_id: UUID) -> Project.CommunicationPlanSet:
    plan = None
    for event in ledger.events.get(project_id):
        if isinstance(event, Project.CommunicationPlanSet):
            plan = event
    assert plan is not None, "a project with cadences has a communication plan"
    return plan


def _repeat(event: Event, cadence: Cadence, first: date) -> None:
    match = _DURATION.match(cadence.every)
    assert match is not None  # checked when the plan was set
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    months += 12 * years
    days += 7 * weeks
    if months and days:  # no RRULE says "a month and two days": spell the dates out
        dates, k = [], 1
        while (when := _add(first, months, days, k)) <= first + _SPELLED_OUT:
            dates.append(when)
            k += 1
        event.add("rdate", dates)
        return
    rule: dict[str, Any]
    if days:
        rule = (
            {"freq": "weekly", "interval": days // 7}
            if days % 7 == 0
            else {
                "freq": "daily",
                "interval": days,
            }
        )
    else:
        rule = (
            {"freq": "yearly", "interval": months // 12}
            if months % 12 == 0
            else {
                "freq": "monthly",
                "interval": months,
            }
        )
        if first.day > 28:  # the 31st of a 30-day month is its 30th
            rule["bymonthday"] = list(range(28, first.day + 1))
            rule["bysetpos"] = -1
            if rule["freq"] == "yearly":
                rule["bymonth"] = first.month
    event.add("rrule", rule)


def _add(first: date, months: int, days: int, times: int) -> date:
    import calendar as calendar_module

    total = first.month - 1 + months * times
    year, month = first.year + total // 12, total % 12 + 1
    day = min(first.day, calendar_module.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=days * times)


__all__ = ["PRODID", "calendar_feed"]
