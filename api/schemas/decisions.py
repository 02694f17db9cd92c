"""Decisions: recorded, and superseded by later ones."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.schemas.common import (
    MAX_ITEMS,
    MAX_PEOPLE,
    Email,
    Envelope,
    ItemPublic,
    Line,
    ListPage,
    SourceModel,
    SourcePublic,
    Text,
)
from ledger.domain.decision import DecisionState


class DecisionCreate(Envelope):
    statement: Text = Field(description="What was decided.")
    decided_by: list[Email] = Field(
        min_length=1, max_length=MAX_PEOPLE, description="The members who took the decision."
    )
    options_considered: list[Line] = Field(
        default=[], max_length=MAX_ITEMS, description="The options that were weighed."
    )
    rationale: Text = Field(default="", description="Why this option.")
    source: SourceModel | None = Field(default=None, description="Where it was decided.")


class DecisionSupersede(Envelope):
    by_decision_id: UUID = Field(description="The current decision of this project replacing it.")
    reason: Text = Field(description="Why it is replaced.")


class DecisionPublic(ItemPublic):
    statement: str = Field(description="What was decided.")
    decided_by: list[str] = Field(description="Who took it.")
    options_considered: list[str] = Field(description="The options weighed.")
    rationale: str = Field(description="Why.")
    source: SourcePublic | None = Field(description="Where it was decided.")
    state: DecisionState = Field(description="Current or superseded.")
    superseded_by: UUID | None = Field(description="The decision that replaced it.")


class DecisionsPublic(ListPage):
    items: list[DecisionPublic] = Field(description="The decisions, oldest first.")
