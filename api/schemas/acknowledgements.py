"""Acknowledgement requests: one person asked to confirm one version of one subject."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from api.schemas.common import (
    DueTime,
    Email,
    Envelope,
    InPerson,
    ItemPublic,
    ListPage,
    Sha256,
    Text,
)
from ledger.domain.acknowledgement import AcknowledgementState, AcknowledgementSubjectKind


class AcknowledgementRequestCreate(Envelope):
    """Asking again for the same subject version and person answers with the first request."""

    subject_kind: AcknowledgementSubjectKind = Field(description="What is to be confirmed.")
    subject_id: UUID = Field(description="The item of this project to be confirmed.")
    person: Email = Field(description="The member asked (not you, not an auditor).")
    subject_version: int | None = Field(
        default=None,
        ge=1,
        le=2**31,
        description="The item version to confirm; default: its current one (for minutes: "
        "the current minutes).",
    )
    subject_digest: Sha256 | None = Field(
        default=None, description="SHA-256 of the document to confirm, if any."
    )
    due_at: DueTime | None = Field(default=None, description="When the answer is due.")


class AcknowledgementGive(InPerson):
    comment: Text = Field(default="", description="A comment with the acknowledgement.")


class AcknowledgementDispute(InPerson):
    reason: Text = Field(description="Why the subject is not confirmed.")
    proposed_correction: Text = Field(default="", description="What it should say instead.")


class AcknowledgementWithdraw(Envelope):
    reason: Text = Field(description="Why the request no longer stands.")


class AcknowledgementRequestPublic(ItemPublic):
    subject_kind: AcknowledgementSubjectKind = Field(description="What is to be confirmed.")
    subject_id: UUID = Field(description="The item to be confirmed.")
    subject_version: int = Field(description="Which version of it.")
    subject_digest: str | None = Field(description="SHA-256 of the document, if any.")
    person: str = Field(description="The person asked.")
    due_at: datetime | None = Field(description="When the answer is due.")
    requested_by: str = Field(description="Who asked.")
    state: AcknowledgementState = Field(description="Requested, or how it was answered.")


class AcknowledgementRequestsPublic(ListPage):
    items: list[AcknowledgementRequestPublic] = Field(
        description="The acknowledgement requests, oldest first."
    )
