"""The closure of an evidence scope: which events belong in a bundle, and in what role.

A pure function of the events themselves (their decoded fields and their stored JSON), so the
exporter uses it to choose what goes in and the offline verifier uses it to check what came
out: every event of a bundle must have the role ``bundle.json`` gives it, derived from the
other events of the bundle and the scope. Rules (docs/integrity.md, "Closure"):

* ``subject`` — the item's own events (in the window ``[from, to]``);
* ``acknowledgement`` — the acknowledgement requests about the subject (all their events);
* ``source`` — every item a ``Source`` in the subject's events cites by id (the minutes, the
  interaction, the original email's record a commitment came from; a fulfilment's evidence);
* ``source acknowledgement`` — the acknowledgement requests about those sources;
* ``revised expectation`` — for a change request: every expectation it names as affected or
  revises, with its whole history up to the bundle's end (so old and new values are in it);
* ``revising change request`` — for an expectation: every change request that revised or
  withdrew it;
* ``acknowledged subject`` — for an acknowledgement request: the item acknowledged, up to the
  version the person was asked to acknowledge;
* ``scope`` — a project's events (project scope), or the events naming a person (person scope),
  in the window;
* ``context`` — the project's opening, and the membership events of the people the other
  events name (who is on which side), whatever their time.

Related items (every role but ``subject``, ``scope`` and ``context``) keep their events that
occurred at or before ``to``. Times are compared as instants; ``to`` is inclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

__all__ = [
    "MEMBERSHIP",
    "ROLES",
    "ClosureEvent",
    "assign_roles",
    "linked_ids",
    "parties_of",
    "source_ids",
]

#: Every role, strongest first: an event that fits two roles takes the earlier one.
ROLES: Final = (
    "subject",
    "scope",
    "acknowledgement",
    "source",
    "revised expectation",
    "revising change request",
    "acknowledged subject",
    "source acknowledgement",
    "context",
)

MEMBERSHIP: Final = frozenset(
    (
        "Project.Opened",
        "Project.MemberAdded",
        "Project.MemberRoleChanged",
        "Project.MemberRemoved",
    )
)

_ACK_REQUEST: Final = "AcknowledgementRequest.Requested"


@dataclass(frozen=True)
class ClosureEvent:
    """What the closure reads of one event."""

    position: int
    originator_id: str  # 8-4-4-4-12
    originator_version: int
    type: str  # e.g. "ChangeRequest.Approved"
    fields: Mapping[str, Any]  # the state, type tags removed
    tagged: Any  # the state as parsed JSON, type tags kept

    @property
    def project_id(self) -> Any:
        return self.fields.get("project_id")

    @property
    def occurred_at(self) -> datetime | None:
        return parse_instant(self.fields.get("occurred_at"))


def parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def source_ids(events: Iterable[ClosureEvent]) -> list[str]:
    """Ids cited by ``Source`` values anywhere in these events (read from the type tags), in
    order of appearance."""

    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if type(value) is dict:
            if value.get("_type_") == "Source" and isinstance(value.get("_data_"), dict):
                cited = value["_data_"].get("id")
                if isinstance(cited, dict) and isinstance(cited.get("_data_"), str):
                    with suppress(ValueError):
                        found[str(UUID(hex=cited["_data_"]))] = None
            for v in value.values():
                walk(v)
        elif type(value) is list:
            for v in value:
                walk(v)

    for event in events:
        walk(event.tagged)
    return list(found)


@dataclass(frozen=True)
class Links:
    """The items the subject's events point at, by role."""

    sources: tuple[str, ...]
    revised_expectations: tuple[str, ...]
    revising_change_requests: tuple[str, ...]
    acknowledged: tuple[str, int] | None  # (subject id, version asked)

    def all_ids(self) -> list[str]:
        ids = [*self.sources, *self.revised_expectations, *self.revising_change_requests]
        if self.acknowledged:
            ids.append(self.acknowledged[0])
        return list(dict.fromkeys(ids))


def linked_ids(subject_id: str, own: Sequence[ClosureEvent]) -> Links:
    """What the subject's own events link to (see the module docstring)."""
    expectations: dict[str, None] = {}
    changes: dict[str, None] = {}
    acknowledged = None
    for event in own:
        f = event.fields
        if event.type == "ChangeRequest.Requested":
            for e in f.get("affected_expectations") or ():
                expectations[str(e)] = None
        elif event.type in ("ChangeRequest.ImpactAssessed", "ChangeRequest.Approved"):
            for revision in f.get("revisions") or ():
                if isinstance(revision, dict) and revision.get("expectation_id"):
                    expectations[str(revision["expectation_id"])] = None
        elif event.type in ("Expectation.Revised", "Expectation.Withdrawn"):
            if f.get("change_request_id"):
                changes[str(f["change_request_id"])] = None
        elif event.type == _ACK_REQUEST and f.get("subject_id"):
            version = f.get("subject_version")
            acknowledged = (str(f["subject_id"]), version if type(version) is int else 0)
    sources = [s for s in source_ids(own) if s != subject_id]
    return Links(
        tuple(sources),
        tuple(e for e in expectations if e != subject_id),
        tuple(c for c in changes if c != subject_id),
        acknowledged if acknowledged and acknowledged[0] != subject_id else None,
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _in_window(event: ClosureEvent, start: datetime | None, end: datetime | None) -> bool:
    if start is None and end is None:
        return True
    occurred = event.occurred_at
    if occurred is None:
        return False
    if start is not None and occurred < start:
        return False
    return end is None or occurred <= end


def assign_roles(scope: Mapping[str, Any], events: Sequence[ClosureEvent]) -> dict[int, str]:
    """``{position: role}`` for every event of ``events`` that belongs to the closure of
    ``scope`` (the ``scope`` object of ``bundle.json``); events that belong nowhere are left
    out. Pure and deterministic: the exporter and the verifier both call it."""
    start = parse_instant(scope.get("from"))
    end = parse_instant(scope.get("to"))
    kind = scope.get("kind")
    roles: dict[int, str] = {}

    def give(event: ClosureEvent, role: str) -> None:
        held = roles.get(event.position)
        if held is None or ROLES.index(role) < ROLES.index(held):
            roles[event.position] = role

    by_item: dict[str, list[ClosureEvent]] = {}
    for event in events:
        by_item.setdefault(event.originator_id, []).append(event)
    projects: set[Any] = set()

    if kind == "subject":
        subject = str(scope.get("id"))
        own = sorted(by_item.get(subject, []), key=lambda e: e.position)
        if not own:
            return {}
        project = own[0].project_id
        if scope.get("project_id") and str(scope["project_id"]) != project:
            return {}
        projects.add(project)
        for event in own:
            if event.project_id == project and _in_window(event, start, end):
                give(event, "subject")
        links = linked_ids(subject, own)
        related = {
            **dict.fromkeys(links.sources, "source"),
            **dict.fromkeys(links.revised_expectations, "revised expectation"),
            **dict.fromkeys(links.revising_change_requests, "revising change request"),
        }
        if links.acknowledged:
            related.setdefault(links.acknowledged[0], "acknowledged subject")
        for item, role in related.items():
            for event in by_item.get(item, []):
                if event.project_id != project or not _in_window(event, None, end):
                    continue
                if (
                    role == "acknowledged subject"
                    and links.acknowledged
                    and event.originator_version > links.acknowledged[1]
                ):
                    continue
                give(event, role)
        # Acknowledgement requests: about the subject, or about one of its sources.
        asked: dict[str, str] = {}
        for event in events:
            if event.type == _ACK_REQUEST and event.project_id == project:
                about = str(event.fields.get("subject_id"))
                if about == subject:
                    asked[event.originator_id] = "acknowledgement"
                elif about in links.sources:
                    asked[event.originator_id] = "source acknowledgement"
        for request, role in asked.items():
            for event in by_item.get(request, []):
                if event.project_id == project and _in_window(event, None, end):
                    give(event, role)
    elif kind == "project":
        project = str(scope.get("id"))
        projects.add(project)
        for event in events:
            if event.project_id == project and _in_window(event, start, end):
                give(event, "scope")
    elif kind == "person":
        person = scope.get("person")
        narrowed = scope.get("project_id")
        for event in events:
            if narrowed and event.project_id != str(narrowed):
                continue
            if any(s == person for s in _strings(event.fields)) and _in_window(event, start, end):
                give(event, "scope")
                projects.add(event.project_id)
    else:
        return {}

    # Context: who is who, for the people the chosen events name.
    named: set[str] = set()
    for event in events:
        if event.position in roles:
            named.update(_strings(event.fields))
    for event in events:
        if event.type not in MEMBERSHIP or event.project_id not in projects:
            continue
        if event.originator_id != event.project_id:
            continue
        member = event.fields.get("member")
        person = member.get("email") if isinstance(member, dict) else event.fields.get("email")
        if event.type == "Project.Opened" or person in named:
            give(event, "context")
    return roles


_PARTY_FIELDS: Final = (
    "promisor",
    "promisee",
    "requested_by",
    "raised_by",
    "person",
    "proposed_by",
)
_DECISIONS: Final = frozenset(
    (
        "ChangeRequest.Approved",
        "ChangeRequest.Rejected",
        "Commitment.FulfilmentAccepted",
        "Commitment.FulfilmentDisputed",
        "Commitment.Released",
        "Expectation.DeliveryAccepted",
        "Expectation.DeliveryRejected",
        "Expectation.AgreementGiven",
        "Expectation.ProposalDeclined",
        "AcknowledgementRequest.Acknowledged",
        "AcknowledgementRequest.Disputed",
        "Issue.SolutionChosen",
        "Issue.ResolutionConfirmed",
        "Issue.ResolutionDisputed",
    )
)


def parties_of(events: Sequence[ClosureEvent], roles: Mapping[int, str]) -> set[str]:
    """The people party to a subject, read from its own events and its acknowledgement
    requests (``roles`` from :func:`assign_roles`): promisor, promisee, requester, raiser, the
    person asked to acknowledge, the meeting's attendees, agreers, and whoever decided
    (approved, rejected, accepted, disputed, acknowledged) — in person or through a recorder."""
    parties: set[str] = set()
    for event in events:
        if roles.get(event.position) not in ("subject", "acknowledgement"):
            continue
        f = event.fields
        for name in _PARTY_FIELDS:
            if isinstance(f.get(name), str):
                parties.add(f[name])
        for name in ("attendees", "agreed_by"):
            parties.update(p for p in f.get(name) or () if isinstance(p, str))
        if event.type in _DECISIONS:
            principal = f.get("attributed_to") or f.get("actor")
            if isinstance(principal, str):
                parties.add(principal)
    return parties
