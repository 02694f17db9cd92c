"""Issues: problems, questions and feedback, followed until resolved."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import (
    Envelope,
    ItemPublic,
    ListPage,
    MoneyModel,
    MoneyPublic,
    Name,
    RequestModel,
    SourceModel,
    SourcePublic,
    Text,
)
from ledger.domain.issue import IssueKind, IssueState, Severity
from ledger.domain.roles import Party

OptionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$")]


class IssueCreate(Envelope):
    """The raiser is the attributed person, or else you."""

    kind: IssueKind = Field(description="Problem, question, feedback, complaint or suggestion.")
    title: Name = Field(description="A short title.")
    description: Text = Field(description="What it is about.")
    severity: Severity = Field(default=Severity.MEDIUM, description="How severe it is.")
    expected_resolution: Text = Field(default="", description="What the raiser expects.")
    source: SourceModel | None = Field(default=None, description="Where it was raised.")


class IssueRespond(Envelope):
    response: Text = Field(description="The response.")


class SolutionOptionModel(RequestModel):
    id: OptionId = Field(description="A short key, e.g. `A` or `option-2`.")
    description: Text = Field(description="What the option is.")
    cost: MoneyModel | None = Field(default=None, description="What it would cost.")
    time_days: int | None = Field(
        default=None, ge=0, le=36_500, description="How many days it would take."
    )


class SolutionOptionsPropose(Envelope):
    options: list[SolutionOptionModel] = Field(
        min_length=1, max_length=50, description="The options (replacing earlier ones)."
    )


class SolutionChoose(Envelope):
    option_id: OptionId = Field(description="The chosen option's id (by the client side).")
    note: Text = Field(default="", description="A note on the choice.")


class ProgressReport(Envelope):
    note: Text = Field(description="What progress was made.")
    percent_complete: int | None = Field(
        default=None, ge=0, le=100, description="How far along, 0 to 100."
    )


class IssueResolve(Envelope):
    resolution: Text = Field(description="How it was resolved.")


class ResolutionConfirm(Envelope):
    note: Text = Field(default="", description="A note (by the raiser's side).")


class ResolutionDispute(Envelope):
    reason: Text = Field(description="Why the resolution is disputed (by the raiser's side).")


class IssueReopen(Envelope):
    reason: Text = Field(description="Why it is reopened.")


class IssueResponsePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    by: str = Field(description="Who responded.")
    party: Party = Field(description="Their side.")
    response: str = Field(description="The response.")


class SolutionOptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="The option's key.")
    description: str = Field(description="What it is.")
    cost: MoneyPublic | None = Field(description="What it would cost.")
    time_days: int | None = Field(description="How many days it would take.")


class IssuePublic(ItemPublic):
    kind: IssueKind = Field(description="What kind of issue.")
    title: str = Field(description="Its title.")
    description: str = Field(description="What it is about.")
    expected_resolution: str = Field(description="What the raiser expects.")
    severity: Severity = Field(description="How severe.")
    raised_by: str = Field(description="Who raised it.")
    raiser_party: Party = Field(description="Their side.")
    source: SourcePublic | None = Field(description="Where it was raised.")
    state: IssueState = Field(description="Where it is in its lifecycle.")
    responses: list[IssueResponsePublic] = Field(description="Responses given, in order.")
    options: list[SolutionOptionPublic] = Field(description="Solution options proposed.")
    chosen_option_id: str | None = Field(description="The option the client chose.")
    percent_complete: int | None = Field(description="Latest progress, 0 to 100.")
    resolution: str | None = Field(description="How it was resolved.")


class IssuesPublic(ListPage):
    items: list[IssuePublic] = Field(description="The issues, oldest first.")
