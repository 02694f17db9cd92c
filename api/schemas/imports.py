"""What an import over the API answers: the same summary ``accord import`` prints."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class MessageOutcome(BaseModel):
    where: str = Field(description="Which message: `inbox.mbox #12`, or the .eml file's name.")
    outcome: Literal["imported", "duplicate", "variant", "rejected"] = Field(
        description="`imported`, `duplicate` (already in the ledger with the same bytes: nothing "
        "recorded), `variant` (its Message-ID is recorded with other bytes: these bytes are kept "
        "too, as `Interaction.VariantRecorded`) or `rejected` (refused: nothing of it recorded; "
        "see `reason`)."
    )
    interaction_id: UUID | None = Field(
        description="The interaction the message is (null when rejected)."
    )
    reason: str | None = Field(
        description="Why it was rejected, or how a variant differs from the message recorded."
    )


class ImportNote(BaseModel):
    where: str = Field(description="Which message.")
    note: str = Field(description="Something worth knowing (a broken header, a guessed date).")


class EmailImportPublic(BaseModel):
    messages: int = Field(description="Messages read from the upload.")
    imported: int = Field(description="Messages recorded as new interactions.")
    duplicates: int = Field(
        description="Messages already in the ledger with the same bytes (nothing recorded)."
    )
    variants: int = Field(
        default=0,
        description="Messages whose Message-ID is recorded with other bytes: kept as variants.",
    )
    rejected: int = Field(description="Messages refused, each with its reason (see `results`).")
    delivery_failures: int = Field(
        default=0, description="Imported messages that are delivery failure reports (bounces)."
    )
    attachments: int = Field(description="Attachments stored with the imported messages.")
    replies_linked: int = Field(description="Replies linked to the message they answer.")
    replies_unlinked: int = Field(
        description="Replies whose thread is not in the ledger (yet): kept unlinked; a later "
        "import of the message they answer links them."
    )
    replies_relinked: int = Field(
        description="Replies recorded by earlier imports, before the message they answer, now "
        "linked to it (`Interaction.ThreadLinked`)."
    )
    members: list[str] = Field(description="Project members found on the messages.")
    external_addresses: list[str] = Field(
        description="Other addresses found on the messages (kept as external participants)."
    )
    results: list[MessageOutcome] = Field(description="What became of each message, in order.")
    notes: list[ImportNote] = Field(description="Notes on messages (originals are kept whole).")
    skipped: list[ImportNote] = Field(
        default_factory=list,
        description="Files of the upload (zip members) that hold no email message: not read.",
    )


class MinutesImportPublic(BaseModel):
    meeting_id: UUID = Field(description="The meeting the minutes became.")
    document_sha256: str = Field(description="SHA-256 of the uploaded file, kept as it was.")
    commitment_ids: list[UUID] = Field(description="A commitment for each action item.")
    decision_ids: list[UUID] = Field(description="A decision for each decision line.")
    document_interaction_id: UUID = Field(
        description="The `document` interaction that holds the file's digest."
    )
    already_imported: bool = Field(
        description="True when the same file was imported before: nothing new was recorded."
    )
