"""Commitments: who promised what to whom, by when."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from api.schemas.common import (
    DueTime,
    Email,
    Envelope,
    InPerson,
    ItemPublic,
    ListPage,
    SourceModel,
    SourcePublic,
    Text,
)
from ledger.domain.commitment import CommitmentState, is_commitment_overdue


class CommitmentCreate(Envelope):
    promisor: Email = Field(description="The member who promises.")
    promisee: Email = Field(description="The member promised to (not the promisor).")
    statement: Text = Field(description="What is promised.")
    due_at: DueTime | None = Field(default=None, description="When it is due, if at all.")
    source: SourceModel | None = Field(
        default=None, description="Where the promise was made (a call, a meeting, an email)."
    )


class CommitmentAcknowledge(InPerson):
    """The promisor or the promisee confirms the commitment — in person."""


class RenegotiationPropose(Envelope):
    reason: Text = Field(description="Why the terms should change.")
    due_at: DueTime | None = Field(default=None, description="The proposed new due time.")
    statement: Text | None = Field(default=None, description="The proposed new statement.")


class RenegotiationAgree(Envelope):
    """The other side agrees to the proposed terms."""


class RenegotiationDecline(Envelope):
    reason: Text = Field(description="Why the proposed terms are declined.")


class CommitmentFulfil(Envelope):
    note: Text = Field(default="", description="How it was kept.")
    evidence: SourceModel | None = Field(default=None, description="Evidence of fulfilment.")


class FulfilmentAccept(Envelope):
    """The promisee accepts the fulfilment."""


class FulfilmentDispute(Envelope):
    reason: Text = Field(description="Why the fulfilment is disputed.")


class CommitmentWithdraw(Envelope):
    reason: Text = Field(description="Why the promisor takes the promise back.")


class CommitmentRelease(Envelope):
    reason: Text = Field(description="Why the promisee lets the promisor off.")


class RenegotiationProposalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    proposed_by: str = Field(description="Who proposed the new terms.")
    due_at: datetime | None = Field(description="The proposed due time (null: unchanged).")
    statement: str | None = Field(description="The proposed statement (null: unchanged).")
    reason: str = Field(description="Why.")


class CommitmentPublic(ItemPublic):
    promisor: str = Field(description="Who promised.")
    promisee: str = Field(description="To whom.")
    statement: str = Field(description="What, as currently agreed.")
    due_at: datetime | None = Field(description="By when, as currently agreed.")
    source: SourcePublic | None = Field(description="Where the promise was made.")
    state: CommitmentState = Field(description="Where the commitment is in its lifecycle.")
    acknowledged_by: list[str] = Field(description="Who has acknowledged it in the ledger.")
    proposal: RenegotiationProposalPublic | None = Field(
        description="New terms proposed and awaiting the other side's answer."
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="Live (open or fulfilment disputed) and past its due time, as of now."
    )
    @property
    def overdue(self) -> bool:
        return is_commitment_overdue(self.state, self.due_at, datetime.now(UTC))


class CommitmentsPublic(ListPage):
    items: list[CommitmentPublic] = Field(description="The commitments, oldest first.")
