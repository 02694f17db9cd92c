"""Answers of the search route."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    """One event whose text matches: the item it is about, what was written, by and to whom."""

    position: int = Field(description="The event's position in the log.")
    subject_id: str = Field(description="The id of the item the text belongs to.")
    kind: str = Field(description="The kind of item (`Interaction`, `Meeting`, `Commitment`...).")
    event_type: str = Field(description="The event holding the text (`Meeting.MinutesRecorded`).")
    title: str | None = Field(description="The item's title as known when the event was recorded.")
    snippet: str = Field(description="About 200 characters of the text around the first match.")
    highlights: list[tuple[int, int]] = Field(
        description="Where the matches are in `snippet`: [start, end) character offsets."
    )
    people: list[str] = Field(description="Everyone the event involves (emails).")
    occurred_at: str = Field(description="When it happened (UTC, ISO 8601).")
    recorded_at: str = Field(description="When the ledger stored it (UTC, ISO 8601).")
    score: float = Field(description="Relevance as the engine ranks it (higher is better).")
    retracted: bool = Field(description="The item was retracted (as of the search's instant).")


class SearchPage(BaseModel):
    """A page of hits."""

    query: str = Field(description="The query as searched.")
    order: str = Field(description="`relevance` or `newest`.")
    position: int = Field(description="The last log position these results may include.")
    items: list[SearchHit] = Field(description="The hits.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")
