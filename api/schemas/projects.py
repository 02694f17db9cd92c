"""Projects: their members and roles, key contacts, communication plan, and closing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import (
    MAX_PEOPLE,
    Email,
    InPerson,
    ItemPublic,
    ListPage,
    Name,
    RequestModel,
    Text,
    Title,
)
from ledger.domain.project import Project
from ledger.domain.roles import Party, Role
from ledger.interchange.mailroom import inbox_address

TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ProjectCreate(InPerson):
    name: Name = Field(description="The project's name.")
    client_org: Name = Field(description="The client organisation.")
    team_org: Name = Field(description="The team's (supplier's) organisation.")
    description: Text = Field(default="", description="What the project is about.")
    time_zone: TimeZoneName = Field(
        default="UTC",
        description="The team's IANA time zone (`Asia/Shanghai`): the project's days, plain-date "
        "due dates, cadence deadlines and date-only query parameters are counted in it.",
    )
    actor_name: Name | None = Field(
        default=None,
        description="Your name as a member (you join as the project's team manager).",
    )


class TimeZoneChange(InPerson):
    time_zone: TimeZoneName = Field(
        description="The new IANA time zone; due dates already recorded keep their instants."
    )


class MemberCreate(InPerson):
    email: Email = Field(description="The person's email address.")
    name: Name = Field(description="The person's name.")
    party: Party = Field(description="Their side of the project.")
    role: Role = Field(description="Their role, which must belong to their side.")


class MemberRoleChange(InPerson):
    role: Role = Field(description="The new role, within the member's side.")


class MemberRemove(InPerson):
    reason: Text = Field(default="", description="Why the person leaves the project.")


class KeyContactDesignate(InPerson):
    email: Email = Field(description="The member who becomes the contact.")
    area: Name = Field(description="The area, e.g. `approvals` or `billing`.")


class DelegateName(InPerson):
    delegate: Email = Field(
        description="A member of your side who may give your consent for you (approve, "
        "reject, accept, dispute, agree) from now on."
    )


class DelegationPublic(BaseModel):
    member: str = Field(description="The member who named the delegates.")
    delegates: list[str] = Field(description="Who may give their consent for them.")


class ChannelModel(RequestModel):
    channel: Name = Field(description="The channel, e.g. `email` or `im`.")
    purpose: Title = Field(description="What it is used for.")


Duration = Annotated[str, StringConstraints(max_length=40)]


class CadenceModel(RequestModel):
    kind: Name = Field(description="The kind of recurring communication, e.g. `weekly_report`.")
    every: Duration = Field(description="ISO 8601 period in days, weeks, months or years (`P7D`).")
    owner: Email = Field(description="The member who owns it.")
    starts_on: dt.date | None = Field(default=None, description="The first day it is due.")
    audience: list[Email] = Field(default=[], max_length=MAX_PEOPLE, description="Who receives it.")


class CommunicationPlanSet(InPerson):
    channels: list[ChannelModel] = Field(
        max_length=50, description="The agreed channels and their purpose."
    )
    cadences: list[CadenceModel] = Field(
        max_length=50, description="The recurring communications promised (each kind once)."
    )


class ProjectClose(InPerson):
    summary: Text = Field(description="How the project ended.")
    lessons_learned: Text = Field(default="", description="What to keep or change next time.")


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    email: str = Field(description="The member's email address.")
    name: str = Field(description="The member's name.")
    party: Party = Field(description="Their side.")
    role: Role = Field(description="Their role in this project.")


class KeyContactPublic(BaseModel):
    area: str = Field(description="The area.")
    email: str = Field(description="The member who is its contact.")


class ChannelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str = Field(description="The channel.")
    purpose: str = Field(description="What it is used for.")


class CadencePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="The kind of recurring communication.")
    every: str = Field(description="ISO 8601 period.")
    owner: str = Field(description="The member who owns it.")
    starts_on: dt.date | None = Field(description="The first day it is due.")
    audience: list[str] = Field(description="Who receives it.")


class ProjectPublic(ItemPublic):
    name: str = Field(description="The project's name.")
    client_org: str = Field(description="The client organisation.")
    team_org: str = Field(description="The team's organisation.")
    description: str = Field(description="What the project is about.")
    time_zone: str = Field(description="The IANA time zone its days are counted in.")
    closed: bool = Field(description="Whether the project is closed (nothing more is recorded).")
    members: list[MemberPublic] = Field(description="The current members, by email.")
    key_contacts: list[KeyContactPublic] = Field(description="Who is the contact for what.")
    channels: list[ChannelPublic] = Field(description="The agreed channels.")
    cadences: list[CadencePublic] = Field(description="The agreed recurring communications.")
    inbox_address: str = Field(
        description="Bcc or send mail to this address and it is recorded in the project "
        "(`accord mail serve`; the domain is ACCORD_MAIL_DOMAIN). See docs/mail.md."
    )
    delegations: list[DelegationPublic] = Field(
        default_factory=list, description="Who named whom to give their consent for them."
    )

    @classmethod
    def of(cls, item: Project) -> Self:
        return cls(
            id=item.id,
            project_id=item.id,
            version=item.version,
            created_on=item.created_on,
            modified_on=item.modified_on,
            name=item.name,
            client_org=item.client_org,
            team_org=item.team_org,
            description=item.description,
            time_zone=item.time_zone,
            closed=item.closed,
            members=[MemberPublic.model_validate(m) for _, m in sorted(item.members.items())],
            key_contacts=[
                KeyContactPublic(area=area, email=email)
                for area, email in sorted(item.key_contacts.items())
            ],
            channels=[ChannelPublic.model_validate(c) for c in item.channels],
            cadences=[CadencePublic.model_validate(c) for c in item.cadences],
            inbox_address=inbox_address(item.id, item.name),
            delegations=[
                DelegationPublic(member=member, delegates=list(delegates))
                for member, delegates in sorted(item.delegations.items())
                if delegates
            ],
        )


class ProjectsPublic(ListPage):
    items: list[ProjectPublic] = Field(
        description="The projects you are a member of, oldest first."
    )


class MembersPublic(ListPage):
    items: list[MemberPublic] = Field(description="The members, by email.")
