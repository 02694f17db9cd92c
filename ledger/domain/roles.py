"""Sides of a project and the roles people hold in it."""

from __future__ import annotations

from enum import StrEnum


class Party(StrEnum):
    """A side of the project."""

    TEAM = "team"
    CLIENT = "client"
    THIRD_PARTY = "third_party"


class Role(StrEnum):
    """A person's role in one project; it decides what they may record (see docs/events.md)."""

    TEAM_MANAGER = "team_manager"
    TEAM_MEMBER = "team_member"
    CLIENT_MEMBER = "client_member"
    CLIENT_APPROVER = "client_approver"
    AUDITOR = "auditor"

    @property
    def party(self) -> Party | None:
        """The party a role belongs to; ``None`` for auditors, who may come from any side."""
        return _ROLE_PARTY[self]

    @property
    def may_record(self) -> bool:
        return self is not Role.AUDITOR


_ROLE_PARTY: dict[Role, Party | None] = {
    Role.TEAM_MANAGER: Party.TEAM,
    Role.TEAM_MEMBER: Party.TEAM,
    Role.CLIENT_MEMBER: Party.CLIENT,
    Role.CLIENT_APPROVER: Party.CLIENT,
    Role.AUDITOR: None,
}
