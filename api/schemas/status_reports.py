"""Status reports: the periodic reports to the project's people."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

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
)


class StatusReportCreate(Envelope):
    period_start: dt.date = Field(description="First day of the period reported on.")
    period_end: dt.date = Field(description="Last day of the period (inclusive).")
    to: list[Email] = Field(
        min_length=1, max_length=MAX_PEOPLE, description="The members it is sent to."
    )
    progress: list[Item] = Field(default=[], max_length=MAX_ITEMS, description="Progress made.")
    problems: list[Item] = Field(default=[], max_length=MAX_ITEMS, description="Problems met.")
    next_steps: list[Item] = Field(default=[], max_length=MAX_ITEMS, description="Next steps.")
    cadence_kind: Name = Field(
        default="weekly_report", description="The cadence of the plan it fulfils."
    )
    acknowledge_by: DueTime | None = Field(
        default=None,
        description="Ask each recipient (but you and auditors) to acknowledge it by then.",
    )


class StatusReportChanges(RequestModel):
    """New values for some fields; a field left out (or null) stands."""

    period_start: dt.date | None = Field(default=None, description="Corrected first day.")
    period_end: dt.date | None = Field(default=None, description="Corrected last day.")
    progress: list[Item] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Corrected progress."
    )
    problems: list[Item] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Corrected problems."
    )
    next_steps: list[Item] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Corrected next steps."
    )
    cadence_kind: Name | None = Field(default=None, description="Corrected cadence kind.")


class StatusReportCorrect(Envelope):
    changes: StatusReportChanges = Field(description="The fields to correct.")
    reason: Text = Field(description="Why the report was wrong.")
    acknowledge_by: DueTime | None = Field(
        default=None, description="Ask the recipients to acknowledge the corrected version."
    )


class StatusReportPublic(ItemPublic):
    period_start: dt.date = Field(description="First day of the period.")
    period_end: dt.date = Field(description="Last day of the period.")
    progress: list[str] = Field(description="Progress made.")
    problems: list[str] = Field(description="Problems met.")
    next_steps: list[str] = Field(description="Next steps.")
    to: list[str] = Field(description="Who it was sent to.")
    cadence_kind: str = Field(description="The cadence it fulfils.")
    issued_by: list[str] = Field(description="Who issued it.")
    corrections: int = Field(description="How many corrections it has had.")


class StatusReportsPublic(ListPage):
    items: list[StatusReportPublic] = Field(description="The status reports, oldest first.")
