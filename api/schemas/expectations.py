"""Expectations: the agreed baseline, item by item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import (
    MAX_PEOPLE,
    Email,
    Envelope,
    ItemPublic,
    ListPage,
    RequestModel,
    SourceModel,
    SourcePublic,
    Text,
    Title,
)
from ledger.domain.expectation import (
    AgreementChange,
    DeliveryState,
    ExpectationKind,
    ExpectationState,
)


class ExpectationValueModel(RequestModel):
    """The agreed value; which fields apply depends on the kind:
    scope_item, assumption, constraint, acceptance_criterion: `text`;
    goal: `metric`, `target`, `deadline` (and `text`); milestone: `date` (and `text`);
    deliverable: `text` (and `date`); budget: `amount`, `currency` (and `text`);
    timeline: `start`, `end` (and `text`)."""

    text: Text | None = Field(default=None, description="The item in words.")
    date: dt.date | None = Field(default=None, description="A milestone's (or deliverable's) date.")
    start: dt.date | None = Field(default=None, description="A timeline's first day.")
    end: dt.date | None = Field(default=None, description="A timeline's last day.")
    amount: Decimal | None = Field(
        default=None,
        max_digits=30,
        decimal_places=6,
        description="A budget's amount, exact (sent back as a string).",
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="A budget's ISO 4217 currency."
    )
    metric: Text | None = Field(default=None, description="A goal's metric.")
    target: Text | None = Field(default=None, description="A goal's target value.")
    deadline: dt.date | None = Field(default=None, description="A goal's deadline.")


AGREED_BY = (
    "Who agrees: you agree by recording it; everyone else named agrees in person "
    "(`POST .../agree`) before it applies."
)


class ExpectationCreate(Envelope):
    kind: ExpectationKind = Field(description="What kind of baseline item it is.")
    title: Title = Field(description="A short name for it.")
    value: ExpectationValueModel = Field(description="The agreed value.")
    agreed_by: list[Email] = Field(
        default=[],
        max_length=MAX_PEOPLE,
        description=AGREED_BY + " Empty (or only you): it joins the baseline at once.",
    )
    source: SourceModel | None = Field(default=None, description="Where it was agreed.")


class ExpectationRevise(Envelope):
    value: ExpectationValueModel = Field(description="The new value (same kind).")
    agreed_by: list[Email] = Field(
        min_length=1,
        max_length=MAX_PEOPLE,
        description=AGREED_BY + " At least one client-side and one team-side member.",
    )
    reason: Text = Field(description="Why it changes.")


class ExpectationWithdraw(Envelope):
    agreed_by: list[Email] = Field(
        min_length=1,
        max_length=MAX_PEOPLE,
        description=AGREED_BY + " At least one client-side and one team-side member.",
    )
    reason: Text = Field(description="Why it is withdrawn.")


class ExpectationAgree(Envelope):
    proposal_version: int = Field(
        ge=1,
        description=(
            "The version of the proposal you agree to (`proposal.version`): a newer proposal "
            "is not agreed by mistake. `attributed_to`: the member you agree for, as the "
            "delegate they named."
        ),
    )


class ExpectationDecline(Envelope):
    proposal_version: int = Field(ge=1, description="The version of the proposal you decline.")
    reason: Text = Field(description="Why you decline it.")


class DeliverySubmit(Envelope):
    note: Text = Field(default="", description="What is delivered.")
    evidence: SourceModel | None = Field(default=None, description="Evidence of the delivery.")


class DeliveryAccept(Envelope):
    note: Text = Field(default="", description="A note on acceptance.")


class DeliveryReject(Envelope):
    reason: Text = Field(description="Why the delivery is rejected.")


class ExpectationValuePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    text: str | None = Field(description="The item in words.")
    date: dt.date | None = Field(description="A milestone's (or deliverable's) date.")
    start: dt.date | None = Field(description="A timeline's first day.")
    end: dt.date | None = Field(description="A timeline's last day.")
    amount: Decimal | None = Field(description="A budget's amount, as a string.")
    currency: str | None = Field(description="A budget's currency.")
    metric: str | None = Field(description="A goal's metric.")
    target: str | None = Field(description="A goal's target.")
    deadline: dt.date | None = Field(description="A goal's deadline.")


class AgreementProposalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(description="Name it when you agree or decline.")
    change: AgreementChange = Field(description="`set`, `revision` or `withdrawal`.")
    value: ExpectationValuePublic | None = Field(description="The proposed value, if any.")
    reason: str = Field(description="Why, as proposed.")
    proposed_by: str = Field(description="Who proposed it (and so agreed to it).")
    agreed_by: list[str] = Field(description="Everyone whose agreement it needs.")
    agreed: list[str] = Field(description="Who has agreed, each in person or by a delegate.")
    awaiting: list[str] = Field(description="Whose agreement it still awaits.")


class ExpectationPublic(ItemPublic):
    kind: ExpectationKind = Field(description="What kind of baseline item it is.")
    title: str = Field(description="Its short name.")
    value: ExpectationValuePublic = Field(description="The value agreed now.")
    agreed_by: list[str] = Field(description="Who agreed to the current value.")
    source: SourcePublic | None = Field(description="Where it was agreed.")
    state: ExpectationState = Field(
        description="Active or withdrawn; proposed (awaiting agreement) or declined."
    )
    delivery: DeliveryState | None = Field(
        description="For milestones and deliverables: where the delivery stands."
    )
    change_request_ids: list[UUID] = Field(
        description="The approved change requests that revised or withdrew it."
    )
    proposal: AgreementProposalPublic | None = Field(
        default=None,
        validation_alias="pending_proposal",
        description="A set, revision or withdrawal awaiting agreement, and whose.",
    )


class ExpectationsPublic(ListPage):
    items: list[ExpectationPublic] = Field(description="The expectations, oldest first.")
