"""Meetings and their minutes."""

from __future__ import annotations

from datetime import datetime
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import (
    MAX_ITEMS,
    MAX_PEOPLE,
    DueTime,
    Email,
    Envelope,
    Item,
    ItemPublic,
    ListPage,
    Name,
    RequestModel,
    Text,
    Title,
)
from ledger.domain.meeting import Meeting

MAX_ACTION_ITEMS = 100


class MeetingCreate(Envelope):
    """`occurred_at` is when the meeting took place."""

    title: Title = Field(description="What the meeting was.")
    attendees: list[Email] = Field(
        min_length=1, max_length=MAX_PEOPLE, description="Who attended (members or not)."
    )
    agenda: list[Item] = Field(default=[], max_length=MAX_ITEMS, description="The agenda.")
    place: Name | None = Field(default=None, description="Where it took place.")
    channel: Name | None = Field(default=None, description="Or the channel (video, phone).")


class ActionItemModel(RequestModel):
    """An action agreed in the meeting; it becomes a commitment in the same save."""

    owner: Email = Field(description="The member who will do it (the promisor).")
    description: Text = Field(description="What will be done.")
    due_at: DueTime | None = Field(default=None, description="By when.")
    promisee: Email | None = Field(
        default=None,
        description="To whom it is owed; default: the first attendee of the other side.",
    )


class MinutesRecord(Envelope):
    discussion_points: list[Item] = Field(
        default=[], max_length=MAX_ITEMS, description="Points discussed."
    )
    decisions: list[Item] = Field(default=[], max_length=MAX_ITEMS, description="Decisions.")
    action_items: list[ActionItemModel] = Field(
        default=[], max_length=MAX_ACTION_ITEMS, description="Actions agreed."
    )


class MinutesCirculate(Envelope):
    to: list[Email] = Field(
        min_length=1,
        max_length=MAX_PEOPLE,
        description="Members the minutes go to; each (but you and auditors) is asked to "
        "acknowledge them.",
    )
    acknowledge_by: DueTime | None = Field(
        default=None, description="When the acknowledgements are due."
    )


class MinutesAmend(Envelope):
    reason: Text = Field(description="Why the minutes change.")
    discussion_points: list[Item] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Replaces the points (null: unchanged)."
    )
    decisions: list[Item] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Replaces the decisions."
    )
    attendees: list[Email] | None = Field(
        default=None, max_length=MAX_PEOPLE, description="Replaces the attendees."
    )
    action_items: list[ActionItemModel] = Field(
        default=[], max_length=MAX_ACTION_ITEMS, description="New action items."
    )


class ActionItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    owner: str = Field(description="Who will do it.")
    description: str = Field(description="What.")
    due_at: datetime | None = Field(description="By when.")
    promisee: str = Field(description="To whom it is owed.")
    commitment_id: UUID = Field(description="The commitment it became.")


class MeetingPublic(ItemPublic):
    title: str = Field(description="What the meeting was.")
    occurred_at: datetime = Field(description="When it took place.")
    place: str | None = Field(description="Where.")
    channel: str | None = Field(description="Or on which channel.")
    attendees: list[str] = Field(description="Who attended.")
    agenda: list[str] = Field(description="The agenda.")
    discussion_points: list[str] = Field(description="Points discussed (minutes).")
    decisions: list[str] = Field(description="Decisions taken (minutes).")
    action_items: list[ActionItemPublic] = Field(description="Actions agreed (minutes).")
    minutes_version: int | None = Field(
        description="The meeting version of the current minutes (null: no minutes yet); "
        "acknowledgements of the minutes name it."
    )
    minutes_by: list[str] = Field(description="Who recorded the minutes.")
    circulated_to: list[str] = Field(description="Who the minutes were sent to.")

    @classmethod
    def of_meeting(cls, meeting: Meeting, occurred_at: datetime) -> Self:
        public = cls.model_validate(
            {**_attributes(meeting), "occurred_at": occurred_at}, from_attributes=True
        )
        return public


def _attributes(meeting: Meeting) -> dict[str, object]:
    names = [
        "id",
        "project_id",
        "version",
        "created_on",
        "modified_on",
        "title",
        "place",
        "channel",
        "attendees",
        "agenda",
        "discussion_points",
        "decisions",
        "action_items",
        "minutes_version",
        "minutes_by",
        "circulated_to",
    ]
    return {name: getattr(meeting, name) for name in names}


class MeetingsPublic(ListPage):
    items: list[MeetingPublic] = Field(description="The meetings, oldest first.")
