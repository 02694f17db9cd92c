"""Meeting: who met, when, where, about what — and its minutes, circulated for confirmation.

Lifecycle::

    held ──record minutes──> minutes recorded ──amend──> (amended) ...
                                  └──circulate──> acknowledgement requests (any number of times)

Each action item of the minutes becomes a :class:`~ledger.domain.commitment.Commitment` in the same
save (promisor: the item's owner; promisee: as given, or else the first attendee of the other
side). Circulating the minutes asks each recipient to acknowledge the current version of the
minutes (``minutes_version``: the meeting version at which they were last recorded or amended),
again in the same save.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import field_validator

from ledger.domain.acknowledgement import (
    AcknowledgementRequest,
    AcknowledgementSubjectKind,
    request_acknowledgements,
)
from ledger.domain.commitment import Commitment
from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from ledger.domain.ids import derive_id
from ledger.domain.project import Member, require_members
from ledger.domain.roles import Party, Role
from ledger.domain.topics import pin_topics
from ledger.domain.validation import (
    normalise_email,
    normalise_emails,
    optional_text,
    require_aware,
    require_editor,
    require_text,
    text_items,
)
from ledger.domain.values import ImmutableModel, Source, SourceKind


class MeetingNotFoundError(NotFoundError):
    pass


class ActionItem(ImmutableModel):
    """An action agreed in a meeting, as stored: the commitment it became is
    ``commitment_id``."""

    owner: str
    description: str
    due_at: datetime | None = None
    promisee: str
    commitment_id: UUID

    @field_validator("due_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.utcoffset() is None:
            raise ValueError("must carry a timezone")
        return v


class NewActionItem(ImmutableModel):
    """An action item as given to :meth:`Meeting.record_minutes`; ``promisee`` is optional."""

    owner: str
    description: str
    due_at: datetime | None = None
    promisee: str | None = None


def action_item_commitment_id(meeting_id: UUID, minutes_event_version: int, index: int) -> UUID:
    """The commitment of the ``index``-th action item added by the meeting's event number
    ``minutes_event_version`` (minutes recorded or amended)."""
    return derive_id("action-item", meeting_id, minutes_event_version, index)


class Meeting(LedgerAggregate):
    if TYPE_CHECKING:
        title: str
        place: str | None
        channel: str | None
        attendees: tuple[str, ...]
        agenda: tuple[str, ...]
        discussion_points: tuple[str, ...]
        decisions: tuple[str, ...]
        action_items: tuple[ActionItem, ...]
        minutes_version: int | None
        minutes_by: tuple[str, ...]
        circulated_to: tuple[str, ...]

    class Held(LedgerAggregate.Created):
        """A meeting took place (``occurred_at``) with these attendees (members or not).

        By: any member who records."""

        title: str
        place: str | None
        channel: str | None
        attendees: tuple[str, ...]
        agenda: tuple[str, ...]

        def apply(self, aggregate: Meeting) -> None:
            super().apply(aggregate)
            aggregate.title = self.title
            aggregate.place = self.place
            aggregate.channel = self.channel
            aggregate.attendees = self.attendees
            aggregate.agenda = self.agenda
            aggregate.discussion_points = ()
            aggregate.decisions = ()
            aggregate.action_items = ()
            aggregate.minutes_version = None
            aggregate.minutes_by = ()
            aggregate.circulated_to = ()

    class MinutesRecorded(LedgerAggregate.Event):
        """The minutes: points discussed, decisions taken, actions agreed (each action item
        became the commitment it names, in the same save). By: any member who records."""

        discussion_points: tuple[str, ...]
        decisions: tuple[str, ...]
        action_items: tuple[ActionItem, ...]

        def apply(self, aggregate: Meeting) -> None:
            aggregate.discussion_points = self.discussion_points
            aggregate.decisions = self.decisions
            aggregate.action_items = self.action_items
            aggregate.minutes_version = self.originator_version
            aggregate.minutes_by = tuple(
                dict.fromkeys(p for p in (self.actor, self.attributed_to) if p)
            )

    class MinutesCirculated(LedgerAggregate.Event):
        """The minutes were sent to ``to`` (members); each of them but the sender and auditors
        is asked to acknowledge the current minutes by ``acknowledge_by``, in the same save.

        By: any member who records."""

        to: tuple[str, ...]
        acknowledge_by: datetime | None

        def apply(self, aggregate: Meeting) -> None:
            aggregate.circulated_to = tuple(dict.fromkeys((*aggregate.circulated_to, *self.to)))

    class MinutesAmended(LedgerAggregate.Event):
        """The minutes were wrong or incomplete: the fields given replace the old ones
        (``None``: unchanged); ``action_items`` are new items (commitments made in the same
        save); earlier items stay, each commitment with its own lifecycle.

        By: whoever recorded the minutes (or the person they were recorded for), or a team
        manager."""

        reason: str
        discussion_points: tuple[str, ...] | None
        decisions: tuple[str, ...] | None
        attendees: tuple[str, ...] | None
        action_items: tuple[ActionItem, ...]

        def apply(self, aggregate: Meeting) -> None:
            if self.discussion_points is not None:
                aggregate.discussion_points = self.discussion_points
            if self.decisions is not None:
                aggregate.decisions = self.decisions
            if self.attendees is not None:
                aggregate.attendees = self.attendees
            aggregate.action_items = (*aggregate.action_items, *self.action_items)
            aggregate.minutes_version = self.originator_version

    # ------------------------------------------------------------------------- commands

    @classmethod
    def hold(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        title: str,
        attendees: Iterable[str],
        agenda: Iterable[str] = (),
        place: str | None = None,
        channel: str | None = None,
    ) -> Meeting:
        return cls._open(
            cls.Held,
            id=id,
            project_id=project_id,
            act=act,
            title=require_text(title, "title", max_length=500),
            place=optional_text(place, "place"),
            channel=optional_text(channel, "channel"),
            attendees=normalise_emails(attendees, "attendees", required=True),
            agenda=text_items(agenda, "agenda"),
        )

    @property
    def has_minutes(self) -> bool:
        return self.minutes_version is not None

    def record_minutes(
        self,
        act: Act,
        *,
        members: Mapping[str, Member],
        discussion_points: Iterable[str] = (),
        decisions: Iterable[str] = (),
        action_items: Sequence[NewActionItem | Mapping[str, Any]] = (),
    ) -> list[Commitment]:
        """Record the minutes; returns the commitments the action items became, to be saved
        with the meeting. ``members``: the project's members (owners and promisees must be)."""
        if self.has_minutes:
            raise InvalidTransitionError("the minutes are already recorded; amend them instead")
        points = text_items(discussion_points, "discussion_points")
        decided = text_items(decisions, "decisions")
        items = self._action_items(action_items, members, self.attendees)
        if not (points or decided or items):
            raise InvalidInputError(
                "discussion_points", "minutes need a point, a decision or an action item"
            )
        self._record(
            self.MinutesRecorded,
            act,
            discussion_points=points,
            decisions=decided,
            action_items=items,
        )
        return self._commitments(act, items)

    def circulate_minutes(
        self,
        act: Act,
        *,
        to: Iterable[str],
        members: Mapping[str, Member],
        acknowledge_by: datetime | None = None,
    ) -> list[AcknowledgementRequest]:
        """Send the minutes to ``to``; returns the acknowledgement requests to save with the
        meeting (the caller drops those already stored for this version of the minutes)."""
        if self.minutes_version is None:
            raise InvalidTransitionError("there are no minutes to circulate yet")
        recipients = normalise_emails(to, "to", required=True)
        require_members(members, recipients, "to")
        if acknowledge_by is not None:
            require_aware(acknowledge_by, "acknowledge_by")
            if acknowledge_by <= act.occurred_at:
                raise InvalidInputError("acknowledge_by", "must be after the minutes are sent")
        minutes_version = self.minutes_version
        self._record(self.MinutesCirculated, act, to=recipients, acknowledge_by=acknowledge_by)
        return request_acknowledgements(
            act,
            project_id=self.project_id,
            subject_kind=AcknowledgementSubjectKind.MINUTES,
            subject_id=self.id,
            subject_version=minutes_version,
            recipients=recipients,
            members=members,
            due_at=acknowledge_by,
        )

    def amend_minutes(
        self,
        act: Act,
        *,
        reason: str,
        members: Mapping[str, Member],
        discussion_points: Iterable[str] | None = None,
        decisions: Iterable[str] | None = None,
        attendees: Iterable[str] | None = None,
        action_items: Sequence[NewActionItem | Mapping[str, Any]] = (),
        manager: bool = False,
    ) -> list[Commitment]:
        """Amend the minutes; ``manager``: the actor is a team manager. Returns the
        commitments the new action items became."""
        if self.minutes_version is None:
            raise InvalidTransitionError("there are no minutes to amend yet; record them first")
        require_editor(act, self.minutes_by, manager=manager, what="amend these minutes")
        reason = require_text(reason, "reason")
        points = (
            text_items(discussion_points, "discussion_points")
            if discussion_points is not None
            else None
        )
        decided = text_items(decisions, "decisions") if decisions is not None else None
        present = (
            normalise_emails(attendees, "attendees", required=True)
            if attendees is not None
            else None
        )
        items = self._action_items(action_items, members, present or self.attendees)
        changes = {
            "discussion_points": None if points == self.discussion_points else points,
            "decisions": None if decided == self.decisions else decided,
            "attendees": None if present == self.attendees else present,
        }
        if all(v is None for v in changes.values()) and not items:
            raise InvalidInputError("reason", "the amendment changes nothing")
        self._record(self.MinutesAmended, act, reason=reason, action_items=items, **changes)
        return self._commitments(act, items)

    # ------------------------------------------------------------------------ internals

    def _action_items(
        self,
        given: Sequence[NewActionItem | Mapping[str, Any]],
        members: Mapping[str, Member],
        attendees: tuple[str, ...],
    ) -> tuple[ActionItem, ...]:
        if isinstance(given, (str, bytes, Mapping)):
            raise InvalidInputError("action_items", "must be a list of action items")
        event_version = self.version + 1  # the version the minutes event will have
        items = []
        for i, raw in enumerate(given):
            field = f"action_items[{i}]"
            item = raw if isinstance(raw, NewActionItem) else NewActionItem.parse(dict(raw), field)
            owner = normalise_email(item.owner, f"{field}.owner")
            require_members(members, (owner,), f"{field}.owner")
            if item.promisee is not None:
                promisee = normalise_email(item.promisee, f"{field}.promisee")
                require_members(members, (promisee,), f"{field}.promisee")
            else:
                promisee = _default_promisee(owner, attendees, members, f"{field}.promisee")
            if promisee == owner:
                raise InvalidInputError(
                    f"{field}.promisee", "an action item is owed to someone else"
                )
            if item.due_at is not None:
                require_aware(item.due_at, f"{field}.due_at")
            items.append(
                ActionItem(
                    owner=owner,
                    description=require_text(item.description, f"{field}.description"),
                    due_at=item.due_at,
                    promisee=promisee,
                    commitment_id=action_item_commitment_id(self.id, event_version, i),
                )
            )
        return tuple(items)

    def _commitments(self, act: Act, items: Iterable[ActionItem]) -> list[Commitment]:
        source = Source(kind=SourceKind.MEETING, id=self.id)
        return [
            Commitment.make(
                act,
                id=item.commitment_id,
                project_id=self.project_id,
                promisor=item.owner,
                promisee=item.promisee,
                statement=item.description,
                due_at=item.due_at,
                source=source,
            )
            for item in items
        ]


_OTHER_SIDE = {Party.TEAM: Party.CLIENT, Party.CLIENT: Party.TEAM}


def _default_promisee(
    owner: str, attendees: Iterable[str], members: Mapping[str, Member], field: str
) -> str:
    """The first attendee of the other side: a team member's action is owed to the client's
    first attendee, a client member's to the team's. Otherwise the promisee must be named."""
    other = _OTHER_SIDE.get(members[owner].party)
    for attendee in attendees:
        member = members.get(attendee)
        if member is not None and member.party is other and member.role is not Role.AUDITOR:
            return attendee
    raise InvalidInputError(
        field, f"no attendee of the other side to owe it to; name the promisee of {owner}'s action"
    )


pin_topics(Meeting)
