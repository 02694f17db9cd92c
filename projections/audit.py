"""The audit trail and the timeline: every event, indexed by project, subject, person, type and
time, with its position and a readable line.

Tables:

* ``audit_events`` — one row per event: ``position``, ``project_id``, ``subject_id`` and
  ``subject_type`` (the item and its kind), ``event_type`` (``Commitment.Made``), ``actor``,
  ``attributed_to``, ``occurred_at``, ``recorded_at``, ``lag_seconds`` (recorded minus occurred:
  back-dating shows), ``imported`` (1 for a message imported from mail, whose lateness is no
  news), ``originator_version`` and ``narrative``. Read in the order things happened:
  ``(occurred_at, position)``.
* ``audit_people`` — for "everything about Alice": one row per person an event involves (who
  recorded it, for whom, and the people it names: promisor, promisee, owner, recipients...),
  three integers: the person in the project (:func:`person_key`), when the event occurred
  (microseconds since 1970, :func:`occurred_key`) and its position.
* ``audit_subjects`` — each item's kind and title, so later lines can name it.
* ``audit_members`` — names for the lines.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.domain.envelope import LedgerAggregate
from ledger.domain.project import Project
from projections.framework import Table, View, Where, iso, on, sid
from projections.members import MemberTracking, members_table
from projections.narrative import event_name, narrate, opener_named, subject_title

AUDIT_EVENTS = Table(
    name="audit_events",
    columns={
        "position": "BIGINT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "subject_id": "TEXT NOT NULL",
        "subject_type": "TEXT NOT NULL",
        "event_type": "TEXT NOT NULL",
        "actor": "TEXT NOT NULL",
        "attributed_to": "TEXT",
        "occurred_at": "TEXT NOT NULL",
        "recorded_at": "TEXT NOT NULL",
        "lag_seconds": "BIGINT NOT NULL",
        "imported": "INTEGER NOT NULL",
        "originator_version": "BIGINT NOT NULL",
        "narrative": "TEXT NOT NULL",
    },
    key=("position",),
    indexes=(
        ("project_id", "occurred_at", "position"),
        ("project_id", "subject_id", "occurred_at", "position"),
        ("project_id", "event_type", "occurred_at", "position"),
    ),
)

AUDIT_PEOPLE = Table(
    name="audit_people",
    columns={
        "person_key": "BIGINT NOT NULL",
        "occurred_us": "BIGINT NOT NULL",
        "position": "BIGINT NOT NULL",
    },
    key=("person_key", "occurred_us", "position"),
)

AUDIT_SUBJECTS = Table(
    name="audit_subjects",
    columns={
        "subject_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "subject_type": "TEXT NOT NULL",
        "title": "TEXT",
    },
    key=("project_id", "subject_id"),
)

# Event fields that name people: promisor, promisee, the person asked to acknowledge, a risk's
# owner, who acted ("by"), who agreed, requested, raised, sent, received, took part, decided,
# attended; a member's email.
PERSON_FIELDS = (
    "promisor",
    "promisee",
    "person",
    "owner",
    "by",
    "agreed_by",
    "requested_by",
    "raised_by",
    "from_address",
    "to",
    "cc",
    "participants",
    "decided_by",
    "attendees",
    "email",
)


@functools.cache
def _person_fields(event_class: type) -> tuple[str, ...]:
    names = {f.name for f in dataclasses.fields(event_class)}
    return tuple(f for f in PERSON_FIELDS if f in names)


def people_of(event: LedgerAggregate.Event) -> set[str]:
    """Every person an event involves: who recorded it, for whom, and the people it names."""
    people = {event.actor}
    if event.attributed_to:
        people.add(event.attributed_to)
    state = event.__dict__
    for field in _person_fields(type(event)):
        value = state[field]
        if isinstance(value, str):
            if "@" in value:
                people.add(value)
        elif isinstance(value, tuple):
            people.update(v for v in value if isinstance(v, str) and "@" in v)
    member = state.get("member")
    if member is not None:
        people.add(member.email)
    failure = state.get("delivery_failure")
    if failure is not None:  # a bounce is about the people it could not reach
        people.update(r.address.lower() for r in failure.recipients if "@" in r.address)
    return people


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def occurred_key(moment: datetime) -> int:
    """An instant as whole microseconds since 1970 (UTC): the people index orders by it."""
    return (moment - _EPOCH) // _MICROSECOND


def from_occurred_key(key: int) -> datetime:
    return _EPOCH + key * _MICROSECOND


def is_imported(event: Any) -> bool:
    """A message imported from mail: an e-mail interaction whose original is held (its
    digest recorded). It was always going to be recorded after it was sent."""
    return (
        type(event).__qualname__ == "Interaction.Recorded"
        and event.channel == "email"
        and event.body_sha256 is not None
    )


_PERSON_KEYS: dict[tuple[str, str], int] = {}


def person_key(project_id: str, email: str) -> int:
    """A person of a project as a signed 64-bit integer: the first 8 bytes of
    BLAKE2b(project id, NUL, email). The people index is then two integers per row rather than
    two strings; queries also filter the events by project, and within a project two people
    share a key with a probability of about n² / 2⁶⁵ (n people)."""
    key = _PERSON_KEYS.get((project_id, email))
    if key is None:
        if len(_PERSON_KEYS) > 100_000:
            _PERSON_KEYS.clear()
        digest = hashlib.blake2b(f"{project_id}\0{email}".encode(), digest_size=8).digest()
        key = _PERSON_KEYS[(project_id, email)] = int.from_bytes(digest, "big", signed=True)
    return key


class AuditProjection(MemberTracking):
    name = "audit"
    members = members_table("audit")
    tables = (AUDIT_EVENTS, AUDIT_PEOPLE, AUDIT_SUBJECTS, members)

    def handle(self, view: View, event: LedgerAggregate.Event, position: int) -> None:
        # Every event is audited; member events first update the names, so a member's own
        # arrival is narrated with their name.
        for handler in self.handlers.get(type(event), ()):
            handler(self, view, event, position)
        self.record(view, event, position)

    @on(Project.MemberAdded)
    def _opener_named(self, view: View, e: Project.MemberAdded, position: int) -> None:
        """The opener joins, with their name, in the same save as the opening and just after
        it (``originator_version`` 2, added by themself): the opening's line, written before
        the name was known, is written again with it."""
        member = e.member
        if e.originator_version != 2 or member.email != e.actor or member.name == member.email:
            return
        project_id = sid(e.project_id)
        opened = view.get(AUDIT_EVENTS, (position - 1,))  # where it is, unless the log has a gap
        if opened is None or (opened["project_id"], opened["event_type"]) != (
            project_id,
            "Project.Opened",
        ):
            found = view.select(
                AUDIT_EVENTS,
                Where(eq={"project_id": project_id, "event_type": "Project.Opened"}),
                limit=1,
            )
            opened = found[0] if found else None
        if opened is not None and opened["actor"] == member.email:
            line = opener_named(opened["narrative"], member.email, member.name)
            view.put(AUDIT_EVENTS, {**opened, "narrative": line})

    def record(self, view: View, event: LedgerAggregate.Event, position: int) -> None:
        project_id = sid(event.project_id)
        subject_id = sid(event.originator_id)
        event_type = event_name(event)
        kind = event_type.partition(".")[0]
        title = subject_title(event)
        put = view.put
        if title is not None:
            put(
                AUDIT_SUBJECTS,
                {
                    "subject_id": subject_id,
                    "project_id": project_id,
                    "subject_type": kind,
                    "title": title,
                },
            )
        else:
            subject = view.peek(AUDIT_SUBJECTS, (project_id, subject_id))
            title = subject["title"] if subject else None

        peek, members = view.peek, self.members

        def name(email: str) -> str:
            member = peek(members, (project_id, email))
            return member["name"] if member else email

        line = narrate(event, name, title)
        if event.attributed_to:
            line += f" (recorded by {name(event.actor)})"
        occurred, recorded = event.occurred_at, event.timestamp
        put(
            AUDIT_EVENTS,
            {
                "position": position,
                "project_id": project_id,
                "subject_id": subject_id,
                "subject_type": kind,
                "event_type": event_type,
                "actor": event.actor,
                "attributed_to": event.attributed_to,
                "occurred_at": iso(occurred),
                "recorded_at": iso(recorded),
                "lag_seconds": int((recorded - occurred).total_seconds()),
                "imported": 1 if is_imported(event) else 0,
                "originator_version": event.originator_version,
                "narrative": line,
            },
        )
        when = occurred_key(occurred)
        for person in people_of(event):
            put(
                AUDIT_PEOPLE,
                {
                    "person_key": person_key(project_id, person),
                    "occurred_us": when,
                    "position": position,
                },
            )


def project_positions(
    view: View,
    project_id: str,
    *,
    until: str | None = None,
    basis: str = "recorded",
    event_types: Collection[str] | None = None,
) -> list[int]:
    """The positions of a project's events, in order; ``until`` (ISO, UTC) keeps those recorded
    (or, with ``basis="occurred"``, that occurred) at or before it; ``event_types``
    (``Commitment.Made``...), if given, keeps those of these types."""
    column = "recorded_at" if basis == "recorded" else "occurred_at"
    where = Where(
        eq={"project_id": project_id},
        isin={"event_type": sorted(event_types)} if event_types is not None else {},
        column=column if until else None,
        le=until,
    )
    rows = view.select(AUDIT_EVENTS, where, order_by=("position",), columns=("position",))
    return [r["position"] for r in rows]
