"""Project: its members and their roles, key contacts, communication plan, and closing.

The project's stream is the authority on who may record what in it. Every other aggregate
carries the project's id; the application checks membership against this aggregate (kept hot
in the aggregate cache) before any command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import field_validator

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
    ProjectClosedError,
)
from ledger.domain.roles import Party, Role
from ledger.domain.time import DEFAULT_TIME_ZONE, parse_time_zone
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_text
from ledger.domain.values import ImmutableModel


class ProjectNotFoundError(NotFoundError):
    pass


class MemberNotFoundError(NotFoundError):
    pass


class NotAMemberError(NotPermittedError):
    """The person is not a current member of the project."""


class Member(ImmutableModel):
    email: str
    name: str
    party: Party
    role: Role


def require_member(members: Mapping[str, Member], email: str, field: str = "actor") -> Member:
    """The one membership check: the current member ``email`` of ``members`` (a project's),
    or :class:`NotAMemberError` naming the input ``field`` that named them."""
    member = members.get(email)
    if member is None:
        raise NotAMemberError(f"{field}: {email} is not a member of this project")
    return member


def require_members(members: Mapping[str, Member], emails: Iterable[str], field: str) -> None:
    """:func:`require_member` for each of ``emails``, all named by ``field``."""
    for email in emails:
        require_member(members, email, field)


def require_may_record(member: Member) -> Member:
    """The one role check: auditors only read (:class:`NotPermittedError`)."""
    if not member.role.may_record:
        raise NotPermittedError(f"{member.email} is an auditor of this project and only reads")
    return member


class Channel(ImmutableModel):
    """An agreed channel and what it is for (``email`` for formal notices, ``im`` for quick
    questions...)."""

    channel: str
    purpose: str


_ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


class Cadence(ImmutableModel):
    """A recurring communication the plan promises, e.g. ``weekly_report`` every ``P7D``."""

    kind: str
    every: str
    owner: str
    starts_on: date | None = None
    audience: tuple[str, ...] = ()

    @field_validator("every")
    @classmethod
    def _iso_duration(cls, v: str) -> str:
        if not _ISO_DURATION.match(v):
            raise ValueError("must be an ISO 8601 duration in days, weeks, months or years (P7D)")
        return v


class Project(LedgerAggregate):
    if TYPE_CHECKING:
        name: str
        client_org: str
        team_org: str
        description: str
        time_zone: str
        members: dict[str, Member]
        key_contacts: dict[str, str]
        channels: tuple[Channel, ...]
        cadences: tuple[Cadence, ...]
        closed: bool
        mail_senders: dict[str, str]
        delegates: dict[str, tuple[str, ...]]

    class Opened(LedgerAggregate.Created):
        """A project between a client organisation and the team starts, in a time zone (IANA
        name: its days, due dates and cadence deadlines are counted there). By: the team member
        who opens it, who joins as its team manager in the same save.

        Version 2 added ``time_zone``; projects opened before it count their days in UTC."""

        class_version = 2

        name: str
        client_org: str
        team_org: str
        description: str
        time_zone: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["time_zone"] = DEFAULT_TIME_ZONE

        def apply(self, aggregate: Project) -> None:
            super().apply(aggregate)
            aggregate.name = self.name
            aggregate.client_org = self.client_org
            aggregate.team_org = self.team_org
            aggregate.description = self.description
            aggregate.time_zone = self.time_zone
            aggregate.members = {}
            aggregate.key_contacts = {}
            aggregate.channels = ()
            aggregate.cadences = ()
            aggregate.closed = False
            aggregate.delegates = {}

    class TimeZoneChanged(LedgerAggregate.Event):
        """The project's days are counted in another IANA time zone from now on (due dates
        already recorded keep their instants). By: a team manager."""

        time_zone: str

        def apply(self, aggregate: Project) -> None:
            aggregate.time_zone = self.time_zone

    class MemberAdded(LedgerAggregate.Event):
        """A person joins the project on one side with a role. By: a team manager."""

        member: Member

        def apply(self, aggregate: Project) -> None:
            aggregate.members = {**aggregate.members, self.member.email: self.member}

    class MemberRoleChanged(LedgerAggregate.Event):
        """A member's role changes (within their side). By: a team manager."""

        email: str
        role: Role

        def apply(self, aggregate: Project) -> None:
            member = aggregate.members[self.email].model_copy(update={"role": self.role})
            aggregate.members = {**aggregate.members, self.email: member}

    class MemberRemoved(LedgerAggregate.Event):
        """A person leaves the project; their past events stay theirs. By: a team manager
        (not about themselves)."""

        email: str
        reason: str

        def apply(self, aggregate: Project) -> None:
            aggregate.members = {k: v for k, v in aggregate.members.items() if k != self.email}
            aggregate.key_contacts = {
                area: who for area, who in aggregate.key_contacts.items() if who != self.email
            }

    class KeyContactDesignated(LedgerAggregate.Event):
        """A member becomes the contact for an area (approvals, billing...). By: a team
        manager."""

        email: str
        area: str

        def apply(self, aggregate: Project) -> None:
            aggregate.key_contacts = {**aggregate.key_contacts, self.area: self.email}

    class CommunicationPlanSet(LedgerAggregate.Event):
        """The agreed channels and cadences (weekly report every P7D...), replacing the previous
        plan. Cadence adherence is measured against it. By: a team manager."""

        channels: tuple[Channel, ...]
        cadences: tuple[Cadence, ...]

        def apply(self, aggregate: Project) -> None:
            aggregate.channels = self.channels
            aggregate.cadences = self.cadences

    class MailSenderAllowed(LedgerAggregate.Event):
        """Mail from ``email`` (not a member: a client's assistant, a supplier) may be recorded
        when it reaches the project's inbox address. By: a team manager."""

        email: str
        name: str

        def apply(self, aggregate: Project) -> None:
            aggregate.mail_senders = {**aggregate.allowed_mail_senders, self.email: self.name}

    class MailSenderDisallowed(LedgerAggregate.Event):
        """Mail from ``email`` is no longer recorded. By: a team manager."""

        email: str

        def apply(self, aggregate: Project) -> None:
            aggregate.mail_senders = {
                k: v for k, v in aggregate.allowed_mail_senders.items() if k != self.email
            }

    class DelegateNamed(LedgerAggregate.Event):
        """A member names another member of their side who may give their consent for them
        (approve or reject a change, accept or dispute a fulfilment, agree an expectation,
        acknowledge). By: that member themself, never on someone's behalf."""

        delegate: str

        def apply(self, aggregate: Project) -> None:
            named = {*aggregate.delegations_of(self.actor), self.delegate}
            aggregate.delegates = {**aggregate.delegations, self.actor: tuple(sorted(named))}

    class DelegationRevoked(LedgerAggregate.Event):
        """A member takes back a delegation they gave. By: that member themself."""

        delegate: str

        def apply(self, aggregate: Project) -> None:
            named = set(aggregate.delegations_of(self.actor)) - {self.delegate}
            aggregate.delegates = {**aggregate.delegations, self.actor: tuple(sorted(named))}

    class Closed(LedgerAggregate.Event):
        """The project ends with a summary and lessons learned; nothing more can be recorded.
        By: a team manager."""

        summary: str
        lessons_learned: str

        def apply(self, aggregate: Project) -> None:
            aggregate.closed = True

    # ------------------------------------------------------------------------- commands

    @classmethod
    def open(
        cls,
        act: Act,
        *,
        id: UUID,
        name: str,
        client_org: str,
        team_org: str,
        description: str = "",
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> Project:
        return cls._open(
            cls.Opened,
            id=id,
            project_id=id,
            act=act,
            name=require_text(name, "name", max_length=200),
            client_org=require_text(client_org, "client_org", max_length=200),
            team_org=require_text(team_org, "team_org", max_length=200),
            description=require_text(description, "description", empty=True),
            time_zone=parse_time_zone(time_zone),
        )

    def change_time_zone(self, act: Act, *, time_zone: str) -> None:
        self._require_open()
        name = parse_time_zone(time_zone)
        if name == self.time_zone:
            raise InvalidTransitionError(f"the project's time zone is already {name}")
        self._record(self.TimeZoneChanged, act, time_zone=name)

    def add_member(self, act: Act, *, email: str, name: str, party: Party, role: Role) -> None:
        self._require_open()
        if email in self.members:
            raise InvalidTransitionError(f"{email} is already a member of this project")
        _check_role_fits_party(role, party)
        member = Member(
            email=email, name=require_text(name, "name", max_length=200), party=party, role=role
        )
        self._record(self.MemberAdded, act, member=member)

    def change_member_role(self, act: Act, *, email: str, role: Role) -> None:
        self._require_open()
        member = self.member(email)
        if member.role is role:
            raise InvalidTransitionError(f"{email} already has the role {role}")
        _check_role_fits_party(role, member.party)
        self._record(self.MemberRoleChanged, act, email=email, role=role)

    def remove_member(self, act: Act, *, email: str, reason: str = "") -> None:
        self._require_open()
        self.member(email)
        if email == act.actor:
            raise NotPermittedError("members cannot remove themselves; ask a team manager")
        self._record(
            self.MemberRemoved, act, email=email, reason=require_text(reason, "reason", empty=True)
        )

    def designate_key_contact(self, act: Act, *, email: str, area: str) -> None:
        self._require_open()
        self.member(email)
        self._record(
            self.KeyContactDesignated,
            act,
            email=email,
            area=require_text(area, "area", max_length=200),
        )

    def set_communication_plan(
        self, act: Act, *, channels: tuple[Channel, ...], cadences: tuple[Cadence, ...]
    ) -> None:
        self._require_open()
        for i, cadence in enumerate(cadences):
            if cadence.owner not in self.members:
                raise InvalidInputError(
                    f"cadences[{i}].owner", f"{cadence.owner} is not a member of this project"
                )
        kinds = [c.kind for c in cadences]
        if len(set(kinds)) != len(kinds):
            raise InvalidInputError("cadences", "each cadence kind may appear only once")
        self._record(self.CommunicationPlanSet, act, channels=channels, cadences=cadences)

    def allow_mail_sender(self, act: Act, *, email: str, name: str = "") -> None:
        self._require_open()
        if email in self.members:
            raise InvalidTransitionError(f"{email} is a member: their mail is recorded already")
        if email in self.allowed_mail_senders:
            raise InvalidTransitionError(f"mail from {email} is allowed already")
        self._record(
            self.MailSenderAllowed,
            act,
            email=email,
            name=require_text(name, "name", max_length=200, empty=True),
        )

    def disallow_mail_sender(self, act: Act, *, email: str) -> None:
        self._require_open()
        if email not in self.allowed_mail_senders:
            raise InvalidTransitionError(f"mail from {email} is not allowed")
        self._record(self.MailSenderDisallowed, act, email=email)

    @property
    def allowed_mail_senders(self) -> dict[str, str]:
        """Addresses (not members) whose mail to the inbox is recorded, with their names."""
        senders: dict[str, str] = getattr(self, "mail_senders", {})
        return senders

    def name_delegate(self, act: Act, *, delegate: str) -> None:
        """``act.actor`` names ``delegate`` to consent for them (see :meth:`require_consent`)."""
        self._require_open()
        self._require_own_act(act, "names a delegate")
        principal = self.require_member(act.actor)
        other = self.require_member(delegate, "delegate")
        if delegate == act.actor:
            raise InvalidInputError("delegate", "name someone else than yourself")
        if other.party is not principal.party:
            raise InvalidInputError(
                "delegate",
                f"{delegate} is on the {other.party} side: a delegate is on your own side",
            )
        if delegate in self.delegations_of(act.actor):
            raise InvalidTransitionError(f"{delegate} is already your delegate")
        self._record(self.DelegateNamed, act, delegate=delegate)

    def revoke_delegate(self, act: Act, *, delegate: str) -> None:
        self._require_open()
        self._require_own_act(act, "revokes a delegation")
        if delegate not in self.delegations_of(act.actor):
            raise InvalidTransitionError(f"{delegate} is not your delegate")
        self._record(self.DelegationRevoked, act, delegate=delegate)

    @staticmethod
    def _require_own_act(act: Act, step: str) -> None:
        if act.attributed_to is not None:
            raise NotPermittedError(f"only the member themself {step}, with their own credential")

    def close(self, act: Act, *, summary: str, lessons_learned: str = "") -> None:
        self._require_open()
        self._record(
            self.Closed,
            act,
            summary=require_text(summary, "summary"),
            lessons_learned=require_text(lessons_learned, "lessons_learned", empty=True),
        )

    # -------------------------------------------------------------------------- queries

    def member(self, email: str) -> Member:
        try:
            return self.members[email]
        except KeyError:
            raise MemberNotFoundError(f"{email} is not a member of project {self.id}") from None

    def require_member(self, email: str, field: str = "actor") -> Member:
        """The current member ``email``, or :class:`NotAMemberError` naming ``field``."""
        return require_member(self.members, email, field)

    def require_recorder(self, act: Act) -> Member:
        """Check that ``act`` may record in this project: the project is open, the actor is a
        member who may record (auditors only read), and any attributed person is a member."""
        self._require_open()
        member = require_may_record(self.require_member(act.actor))
        if act.attributed_to is not None:
            self.require_member(act.attributed_to, "attributed_to")
        return member

    @property
    def delegations(self) -> dict[str, tuple[str, ...]]:
        """Who named whom to consent for them (member → delegates)."""
        return getattr(self, "delegates", {})  # projects snapshotted before delegation: none

    def delegations_of(self, email: str) -> tuple[str, ...]:
        return self.delegations.get(email, ())

    def require_consent(self, act: Act, step: str) -> None:
        """Consent belongs to its owner: a step that binds ``act.principal`` (``step``, e.g.
        "approving a change request") is taken by that person's own credential (the act's
        actor is the principal) or by a delegate the principal named by an event of their own
        (:meth:`name_delegate`). Anyone else recording it on their behalf is refused, from
        either side: what someone said on a call is recorded as an interaction, and they are
        asked to confirm it themself (an acknowledgement request)."""
        if act.attributed_to is None or act.actor in self.delegations_of(act.attributed_to):
            return
        raise NotPermittedError(
            f"{step} is the consent of {act.attributed_to}: only their own credential or a "
            f"delegate they named may give it, not {act.actor}. Record what they said as an "
            "interaction and send them an acknowledgement request",
            field="attributed_to",
        )

    def party_of(self, email: str) -> Party:
        return self.member(email).party

    def _require_open(self) -> None:
        if self.closed:
            raise ProjectClosedError(f"project {self.name!r} is closed")


def _check_role_fits_party(role: Role, party: Party) -> None:
    if role.party is not None and role.party is not party:
        raise InvalidInputError(
            "role", f"the role {role} belongs to the {role.party} side, not {party}"
        )


pin_topics(Project)
