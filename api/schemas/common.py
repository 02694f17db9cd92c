"""What every resource's schemas share: bounded text and list types, the act envelope
(``occurred_at``, ``attributed_to``), the structured parts (source, money, attachment), and
the fields of every item (id, project, version, times).

Request models forbid unknown fields and bound every string and list, so a malformed or
oversized input is a 422 naming the field before the ledger is asked. The ledger checks the
meaning (an email is an email, a person is a member, a step is allowed).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from ledger.domain.values import SourceKind

# Control characters other than tab, newline and carriage return, and lone surrogates (which
# cannot be encoded as UTF-8), are refused in every string: they cannot be stored or shown.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _printable(value: str) -> str:
    if _FORBIDDEN.search(value):
        raise ValueError("must not contain control characters")
    return value


Printable = AfterValidator(_printable)

Email = Annotated[str, StringConstraints(min_length=3, max_length=254), Printable]
Name = Annotated[str, StringConstraints(max_length=200), Printable]
Title = Annotated[str, StringConstraints(max_length=500), Printable]
Line = Annotated[str, StringConstraints(max_length=2_000), Printable]
Text = Annotated[str, StringConstraints(max_length=10_000), Printable]
LongText = Annotated[str, StringConstraints(max_length=20_000), Printable]
#: One entry of a list of text items (agenda, points, decisions, progress...).
Item = Annotated[str, StringConstraints(max_length=5_000), Printable]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]

#: Lists of people (recipients, attendees, deciders...).
MAX_PEOPLE = 200
#: Lists of text items (agenda, points, decisions...).
MAX_ITEMS = 200


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    def arguments(self) -> dict[str, Any]:
        """The body as keyword arguments of the ledger command (nested models as dicts)."""
        return self.model_dump()


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _due_time(value: Any) -> datetime | date:
    """An instant with an offset, or a plain date; errors name the field, not a union arm."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "must be a date (2026-09-26) or a time with an offset (2026-09-26T18:00:00+08:00)"
            ) from None
    else:
        raise ValueError("must be a date (2026-09-26) or a time with an offset")
    if moment.utcoffset() is None:
        raise ValueError("must carry a timezone (2026-03-01T10:00:00Z), or be a plain date")
    return moment


#: A due time: an instant with an offset, or a plain date (due by the end of that day in the
#: project's time zone).
DueTime = Annotated[
    datetime | date,
    PlainValidator(_due_time),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ]
        }
    ),
]


class InPerson(RequestModel):
    """A step only the person themself takes (no ``attributed_to``)."""

    occurred_at: AwareDatetime | None = Field(
        default=None,
        description=(
            "When it happened in the world, ISO 8601 with an offset (`2026-03-01T10:00:00Z`); "
            "default: now. It may lie in the past (back-dating stays visible beside the "
            "recorded time), never more than 5 minutes in the future."
        ),
    )


class Envelope(InPerson):
    """A step that may be recorded on someone's behalf."""

    attributed_to: Email | None = Field(
        default=None,
        description=(
            "The member whose act this is, when you record it for them (the client who "
            "promised it on a call). The actor is always you, the token's person."
        ),
    )


class SourceModel(RequestModel):
    """Where a claim comes from: an item of the ledger and/or a held document."""

    kind: SourceKind = Field(description="What kind of source it is.")
    id: UUID | None = Field(
        default=None, description="The interaction, meeting or change request it comes from."
    )
    sha256: Sha256 | None = Field(
        default=None, description="SHA-256 of the held document (64 hex digits)."
    )
    note: Text | None = Field(default=None, description="Free text about the source.")


class MoneyModel(RequestModel):
    """An exact amount of money."""

    amount: Decimal = Field(
        description='The amount, exact (sent back as a string, e.g. `"1250.00"`).',
        max_digits=30,
        decimal_places=6,
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        description="ISO 4217 currency code, e.g. `EUR`."
    )


class AttachmentModel(RequestModel):
    """A file that came with an interaction, referenced by its digest."""

    name: Name = Field(description="The file name.")
    sha256: Sha256 = Field(description="SHA-256 of the file's bytes (64 hex digits).")
    size: int = Field(ge=0, le=2**53, description="Size in bytes.")
    media_type: Name | None = Field(
        default=None, description="The media type, e.g. `application/pdf`."
    )


class RecordedPublic(BaseModel):
    """What a command stored."""

    id: UUID = Field(description="The item the command was about.")
    version: int = Field(description="The item's version after the command.")
    position: int = Field(
        description=(
            "Position in the event feed of the last event stored (0 when the request was a "
            "retry that stored nothing)."
        )
    )


class ItemPublic(BaseModel):
    """The fields every item shares."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="The item's id.")
    project_id: UUID = Field(description="The project it belongs to.")
    version: int = Field(
        description="How many events the item has: its version, also sent as the ETag."
    )
    created_at: datetime = Field(
        validation_alias="created_on",
        description="When the ledger recorded its first event (server clock).",
    )
    updated_at: datetime = Field(
        validation_alias="modified_on",
        description="When the ledger recorded its latest event (server clock).",
    )

    @classmethod
    def of(cls, item: Any) -> Self:
        return cls.model_validate(item, from_attributes=True)


class SourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: SourceKind = Field(description="What kind of source it is.")
    id: UUID | None = Field(description="The item of the ledger it comes from, if any.")
    sha256: str | None = Field(description="SHA-256 of the held document, if any.")
    note: str | None = Field(description="Free text about the source.")


class MoneyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    amount: Decimal = Field(description="The exact amount, as a string.")
    currency: str = Field(description="ISO 4217 currency code.")


class ListPage(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; `null` on the last page."
    )
