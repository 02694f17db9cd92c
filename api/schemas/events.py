"""The event feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field


class EventPublic(BaseModel):
    position: int = Field(description="The event's position in the ledger (its feed order).")
    type: str = Field(description="`Aggregate.Event`, e.g. `Commitment.Acknowledged`.")
    item_id: UUID = Field(description="The item the event belongs to.")
    item_version: int = Field(description="The item's version this event made.")
    project_id: UUID = Field(description="The project.")
    actor: str = Field(description="Who recorded it (a token's person).")
    attributed_to: str | None = Field(description="Whose act it describes, if not the actor.")
    occurred_at: datetime = Field(description="When it happened in the world.")
    recorded_at: datetime = Field(description="When the ledger stored it.")
    data: dict[str, Any] = Field(
        description="The event's own fields (see docs/events.md); decimals as strings."
    )


class EventsPublic(BaseModel):
    events: list[EventPublic] = Field(description="Events of projects you may read, in order.")
    next_after: int = Field(
        description="Pass as `after` for the next page: the last position looked at (it may be "
        "past the last event shown, when events of other projects were skipped)."
    )
    at_end: bool = Field(description="Whether the page reached the latest event.")
