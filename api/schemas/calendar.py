"""Calendar tokens and the calendar feed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Email, Name, RequestModel


class CalendarTokenCreate(RequestModel):
    person: Email | None = Field(
        default=None,
        description="Whose feed the token opens; default: yours. Another member's needs a "
        "team manager.",
    )
    label: Name = Field(default="", description="Where the feed is used (`phone`, `Outlook`).")


class CalendarTokenPublic(BaseModel):
    token_id: str = Field(description="The calendar token's id, to revoke it.")
    project_id: UUID = Field(description="The project whose feed it opens.")
    person: str = Field(description="Whose feed it opens.")
    label: str = Field(description="Where the feed is used.")
    created_by: str = Field(description="Who issued it.")
    created_at: datetime = Field(description="When it was issued.")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was.")


class CalendarTokenIssued(CalendarTokenPublic):
    token: str = Field(
        description="The calendar token. Shown once: only its digest is kept. It opens this "
        "feed and nothing else."
    )
    url: str = Field(description="The feed's URL with the token: subscribe to it.")
    webcal_url: str = Field(
        description="The same URL as `webcal://`, which calendar apps open as a subscription."
    )


class CalendarTokenList(BaseModel):
    tokens: list[CalendarTokenPublic] = Field(
        description="Your calendar tokens of the project (a team manager's list has everyone's)."
    )
