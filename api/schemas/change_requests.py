"""Change requests: asked, assessed, decided, implemented."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import (
    Envelope,
    ItemPublic,
    ListPage,
    MoneyModel,
    MoneyPublic,
    RequestModel,
    SourceModel,
    Text,
    Title,
)
from api.schemas.expectations import ExpectationValueModel, ExpectationValuePublic
from ledger.domain.change_request import ChangeRequestState
from ledger.domain.roles import Party

MAX_AFFECTED = 100


class ChangeRequestCreate(Envelope):
    title: Title = Field(description="A short name for the change.")
    description: Text = Field(description="What should change.")
    rationale: Text = Field(default="", description="Why.")
    affected_expectations: list[UUID] = Field(
        default=[],
        max_length=MAX_AFFECTED,
        description="The expectations it would change (each still changeable).",
    )


class ProposedRevisionModel(RequestModel):
    """What approval does to one affected expectation: a new value, or `withdraw: true`."""

    expectation_id: UUID = Field(description="One of the affected expectations.")
    value: ExpectationValueModel | None = Field(default=None, description="Its new value.")
    withdraw: bool = Field(default=False, description="Withdraw it instead.")


class ImpactAssess(Envelope):
    scope_impact: Text = Field(description="What the change does to the scope.")
    schedule_delta_days: int = Field(
        ge=-36_500, le=36_500, description="Days it adds to (or takes from) the schedule."
    )
    cost_delta: MoneyModel | None = Field(default=None, description="What it adds to the cost.")
    revisions: list[ProposedRevisionModel] = Field(
        default=[],
        max_length=MAX_AFFECTED,
        description="What approval will do to each affected expectation.",
    )


class ChangeApprove(Envelope):
    conditions: Text = Field(default="", description="Conditions of the approval.")


class ChangeReject(Envelope):
    reason: Text = Field(description="Why the change is rejected.")


class ChangeWithdraw(Envelope):
    reason: Text = Field(description="Why the requesting side withdraws it.")


class ChangeImplemented(Envelope):
    note: Text = Field(default="", description="How it was implemented.")
    evidence: SourceModel | None = Field(default=None, description="Evidence.")


class ProposedRevisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    expectation_id: UUID = Field(description="The affected expectation.")
    value: ExpectationValuePublic | None = Field(description="Its new value on approval.")
    withdraw: bool = Field(description="Whether approval withdraws it.")


class ChangeRequestPublic(ItemPublic):
    title: str = Field(description="The change's short name.")
    description: str = Field(description="What should change.")
    rationale: str = Field(description="Why.")
    requested_by: str = Field(description="Who asked for it.")
    requesting_party: Party = Field(description="Their side.")
    affected_expectations: list[UUID] = Field(description="The expectations it changes.")
    state: ChangeRequestState = Field(description="Where it is in its lifecycle.")
    assessments: int = Field(description="How many impact assessments it has had.")
    scope_impact: str | None = Field(description="Latest assessment: impact on scope.")
    schedule_delta_days: int | None = Field(description="Latest assessment: schedule delta.")
    cost_delta: MoneyPublic | None = Field(description="Latest assessment: cost delta.")
    revisions: list[ProposedRevisionPublic] = Field(
        description="Latest assessment: what approval does to each affected expectation."
    )
    conditions: str | None = Field(description="The approval's conditions, once approved.")


class ChangeRequestsPublic(ListPage):
    items: list[ChangeRequestPublic] = Field(description="The change requests, oldest first.")
