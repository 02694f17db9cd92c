"""Interactions: one communication act on any channel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import (
    MAX_PEOPLE,
    AttachmentModel,
    Email,
    Envelope,
    ItemPublic,
    ListPage,
    LongText,
    Printable,
    RecordedPublic,
    RequestModel,
    Sha256,
    Text,
)
from ledger.domain.interaction import InteractionChannel

Subject = Annotated[str, StringConstraints(max_length=998), Printable]
SourceRef = Annotated[str, StringConstraints(max_length=998), Printable]
MAX_ATTACHMENTS = 100


class InteractionCreate(Envelope):
    channel: InteractionChannel = Field(description="The channel it happened on.")
    subject: Subject = Field(default="", description="Subject line (a subject or a summary).")
    summary: LongText = Field(default="", description="What was said or written, in short.")
    from_address: Email = Field(description="Who wrote or spoke (member or not).")
    to: list[Email] = Field(default=[], max_length=MAX_PEOPLE, description="Recipients.")
    cc: list[Email] = Field(default=[], max_length=MAX_PEOPLE, description="Copied.")
    participants: list[Email] = Field(
        default=[], max_length=MAX_PEOPLE, description="Others present (a call, a chat)."
    )
    body_sha256: Sha256 | None = Field(
        default=None, description="SHA-256 of the full body, kept outside the ledger."
    )
    attachments: list[AttachmentModel] = Field(
        default=[], max_length=MAX_ATTACHMENTS, description="Files that came with it."
    )
    source_ref: SourceRef | None = Field(
        default=None,
        description=(
            "A stable reference at the source (an email's Message-ID): recording the same "
            "reference again stores nothing and answers with the first record."
        ),
    )
    in_reply_to: UUID | None = Field(
        default=None, description="The interaction of this project it answers."
    )


class InteractionImportItem(InteractionCreate):
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = Field(
        default=None, description="Makes this item safe to import again (no source_ref)."
    )


class InteractionsImport(RequestModel):
    items: list[InteractionImportItem] = Field(
        min_length=1,
        max_length=1_000,
        description="Up to 1,000 interactions, stored in one atomic save (all or none).",
    )


class InteractionsImported(BaseModel):
    items: list[RecordedPublic] = Field(
        description="One result per item, in order (position 0: already stored)."
    )


class InteractionChanges(RequestModel):
    """New values for some fields; a field left out (or null) stands."""

    channel: InteractionChannel | None = Field(default=None, description="Corrected channel.")
    occurred_at: AwareDatetime | None = Field(default=None, description="When it really happened.")
    subject: Subject | None = Field(default=None, description="Corrected subject.")
    summary: LongText | None = Field(default=None, description="Corrected summary.")
    from_address: Email | None = Field(default=None, description="Corrected sender.")
    to: list[Email] | None = Field(
        default=None, max_length=MAX_PEOPLE, description="Corrected recipients."
    )
    cc: list[Email] | None = Field(
        default=None, max_length=MAX_PEOPLE, description="Corrected copies."
    )
    participants: list[Email] | None = Field(
        default=None, max_length=MAX_PEOPLE, description="Corrected participants."
    )
    body_sha256: Sha256 | None = Field(default=None, description="Corrected body digest.")
    attachments: list[AttachmentModel] | None = Field(
        default=None, max_length=MAX_ATTACHMENTS, description="Corrected attachments."
    )


class InteractionCorrect(Envelope):
    changes: InteractionChanges = Field(description="The fields to correct.")
    reason: Text = Field(description="Why the record was wrong.")


class InteractionRetract(Envelope):
    reason: Text = Field(description="Why the record should not have been made.")


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="The file name.")
    sha256: str = Field(description="SHA-256 of its bytes.")
    size: int = Field(description="Size in bytes.")
    media_type: str | None = Field(description="Its media type.")


class InteractionPublic(ItemPublic):
    channel: InteractionChannel = Field(description="The channel.")
    occurred_at: datetime = Field(description="When it happened (as last corrected).")
    subject: str = Field(description="Subject line.")
    summary: str = Field(description="Summary.")
    from_address: str = Field(description="Who wrote or spoke.")
    to: list[str] = Field(description="Recipients.")
    cc: list[str] = Field(description="Copied.")
    participants: list[str] = Field(description="Others present.")
    body_sha256: str | None = Field(description="SHA-256 of the full body.")
    attachments: list[AttachmentPublic] = Field(description="Files that came with it.")
    source_ref: str | None = Field(description="Reference at the source (Message-ID).")
    in_reply_to: UUID | None = Field(description="The interaction it answers.")
    recorded_by: str = Field(description="Who recorded it (the actor).")
    recorded_for: str | None = Field(description="Whom it was recorded for, if not the actor.")
    corrections: int = Field(description="How many corrections it has had.")
    retracted: bool = Field(description="Whether it was retracted (it stays in the log).")


class InteractionsPublic(ListPage):
    items: list[InteractionPublic] = Field(description="The interactions, oldest first.")
