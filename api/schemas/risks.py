"""Risks: identified, assessed, responded to, materialised or closed."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.schemas.common import Email, Envelope, ItemPublic, ListPage, Name, Text
from ledger.domain.issue import Severity
from ledger.domain.risk import RiskLevel, RiskResponseStrategy, RiskState


class RiskCreate(Envelope):
    description: Text = Field(description="What might happen.")
    probability: RiskLevel = Field(description="How likely it is.")
    impact: RiskLevel = Field(description="How bad it would be.")
    owner: Email = Field(description="The member who owns the risk.")


class RiskAssess(Envelope):
    probability: RiskLevel = Field(description="How likely it is now.")
    impact: RiskLevel = Field(description="How bad it would be now.")
    note: Text = Field(default="", description="Why the estimate changed.")


class RiskResponsePlan(Envelope):
    strategy: RiskResponseStrategy = Field(description="Avoid, mitigate, transfer or accept.")
    plan: Text = Field(description="What will be done.")
    owner: Email | None = Field(
        default=None, description="The member who owns the response; default: the risk's owner."
    )


class RiskMaterialise(Envelope):
    """Name the issue it became, or leave `issue_id` out to raise a new problem issue in the
    same save (its fields default to the risk's)."""

    issue_id: UUID | None = Field(default=None, description="The existing issue it became.")
    issue_title: Name | None = Field(default=None, description="The new issue's title.")
    issue_description: Text | None = Field(default=None, description="The new issue's description.")
    issue_severity: Severity | None = Field(default=None, description="The new issue's severity.")
    issue_expected_resolution: Text = Field(
        default="", description="The new issue's expected resolution."
    )


class RiskClose(Envelope):
    reason: Text = Field(description="Why the risk is closed.")


class RiskPublic(ItemPublic):
    description: str = Field(description="What might happen.")
    probability: RiskLevel = Field(description="How likely (latest assessment).")
    impact: RiskLevel = Field(description="How bad (latest assessment).")
    owner: str = Field(description="Who owns the risk.")
    state: RiskState = Field(description="Open, materialised or closed.")
    strategy: RiskResponseStrategy | None = Field(description="The planned response's strategy.")
    plan: str | None = Field(description="The planned response.")
    response_owner: str | None = Field(description="Who owns the response.")
    issue_id: UUID | None = Field(description="The issue it became, once materialised.")


class RisksPublic(ListPage):
    items: list[RiskPublic] = Field(description="The risks, oldest first.")
