"""The audit trail and the timeline: every event, indexed by project, subject, person, type and
time, with its position and a readable line.

Tables:

* ``audit_events`` — one row per event: ``position``, ``project_id``, ``subject_id`` and
  ``subject_type`` (the item and its kind), ``event_type`` (``Commitment.Made``), ``actor``,
  ``attributed_to``, ``occurred_at``, ``recorded_at``, ``lag_seconds`` (recorded minus occurred:
  back-dating shows), ``originator_version`` and ``narrative``.
* ``audit_people`` — one row per person an event involves (who recorded it, for whom, and the
  people it names: promisor, promisee, owner, recipients...), for "everything about Alice".
* ``audit_subjects`` — each item's kind and title, so later lines can name it.
* ``audit_members`` — names for the lines.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from projections.framework import Table, View, Where, iso, sid
from projections.members import MemberTracking, members_table
from projections.narrative import event_name, narrate, subject_title

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
        "originator_version": "BIGINT NOT NULL",
        "narrative": "TEXT NOT NULL",
    },
    key=("position",),
    indexes=(
        ("project_id", "position"),
        ("project_id", "subject_id", "position"),
        ("project_id", "event_type", "position"),
    ),
)

AUDIT_PEOPLE = Table(
    name="audit_people",
    columns={
        "project_id": "TEXT NOT NULL",
        "person": "TEXT NOT NULL",
        "position": "BIGINT NOT NULL",
        "roles": "TEXT NOT NULL",
    },
    key=("project_id", "person", "position"),
)

AUDIT_SUBJECTS = Table(
    name="audit_subjects",
    columns={
        "subject_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "subject_type": "TEXT NOT NULL",
        "title": "TEXT",
    },
    key=("subject_id",),
)

# Event fields that name people, and the role the person plays in the event.
PERSON_FIELDS = {
    "promisor": "promisor",
    "promisee": "promisee",
    "person": "asked",
    "owner": "owner",
    "by": "by",
    "agreed_by": "agreed_by",
    "requested_by": "requester",
    "raised_by": "raiser",
    "from_address": "from",
    "to": "to",
    "cc": "cc",
    "participants": "participant",
    "decided_by": "decided_by",
    "attendees": "attendee",
    "email": "member",
}


@functools.cache
def _person_fields(event_class: type) -> tuple[tuple[str, str], ...]:
    names = {f.name for f in dataclasses.fields(event_class)}
    return tuple((f, role) for f, role in PERSON_FIELDS.items() if f in names)


def people_of(event: Any) -> dict[str, set[str]]:
    """Every person an event involves, with their roles in it."""
    people: dict[str, set[str]] = {event.actor: {"recorded"}}
    if event.attributed_to:
        people.setdefault(event.attributed_to, set()).add("attributed")
    state = event.__dict__
    for field, role in _person_fields(type(event)):
        value = state[field]
        if isinstance(value, str):
            if "@" in value:
                people.setdefault(value, set()).add(role)
        elif isinstance(value, tuple):
            for v in value:
                if isinstance(v, str) and "@" in v:
                    people.setdefault(v, set()).add(role)
    member = state.get("member")
    if member is not None:
        people.setdefault(member.email, set()).add("member")
    return people


class AuditProjection(MemberTracking):
    name = "audit"
    members = members_table("audit")
    tables = (AUDIT_EVENTS, AUDIT_PEOPLE, AUDIT_SUBJECTS, members)

    def handle(self, view: View, event: Any, position: int) -> None:
        # Every event is audited; member events first update the names, so a member's own
        # arrival is narrated with their name.
        for handler in self.handlers.get(type(event), ()):
            handler(self, event, view, position)
        self.record(view, event, position)

    def record(self, view: View, event: Any, position: int) -> None:
        project_id = sid(event.project_id)
        subject_id = sid(event.originator_id)
        kind, _, _ = event_name(event).partition(".")
        title = subject_title(event)
        if title is not None:
            view.put(
                AUDIT_SUBJECTS,
                {
                    "subject_id": subject_id,
                    "project_id": project_id,
                    "subject_type": kind,
                    "title": title,
                },
            )
        else:
            subject = view.get(AUDIT_SUBJECTS, (subject_id,))
            title = subject["title"] if subject else None

        def name(email: str) -> str:
            return self.name_of(view, project_id, email)

        line = narrate(event, name, title)
        if event.attributed_to:
            line += f" (recorded by {name(event.actor)})"
        occurred, recorded = event.occurred_at, event.timestamp
        view.put(
            AUDIT_EVENTS,
            {
                "position": position,
                "project_id": project_id,
                "subject_id": subject_id,
                "subject_type": kind,
                "event_type": event_name(event),
                "actor": event.actor,
                "attributed_to": event.attributed_to,
                "occurred_at": iso(occurred),
                "recorded_at": iso(recorded),
                "lag_seconds": int((recorded - occurred).total_seconds()),
                "originator_version": event.originator_version,
                "narrative": line,
            },
        )
        for person, roles in people_of(event).items():
            view.put(
                AUDIT_PEOPLE,
                {
                    "project_id": project_id,
                    "person": person,
                    "position": position,
                    "roles": ",".join(sorted(roles)),
                },
            )


def project_positions(
    view: View, project_id: str, *, until: str | None = None, basis: str = "recorded"
) -> list[int]:
    """The positions of a project's events, in order; ``until`` (ISO, UTC) keeps those recorded
    (or, with ``basis="occurred"``, that occurred) at or before it."""
    column = "recorded_at" if basis == "recorded" else "occurred_at"
    where = Where(eq={"project_id": project_id}, column=column if until else None, le=until)
    return [r["position"] for r in view.select(AUDIT_EVENTS, where, order_by=("position",))]
