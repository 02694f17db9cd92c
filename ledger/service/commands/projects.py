"""Commands on projects: opening, membership, key contacts, communication plan, closing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, NotPermittedError
from ledger.domain.project import Cadence, Channel, Project
from ledger.domain.roles import Party, Role
from ledger.domain.time import DEFAULT_TIME_ZONE
from ledger.domain.validation import normalise_email
from ledger.service.base import LedgerService, Recorded
from ledger.storage.reading import opened_projects, project_events


def _enum(enum: type[Party] | type[Role], value: str, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInputError(field, f"{value!r} is not one of: {allowed}") from None


class ProjectCommands(LedgerService):
    def open_project(
        self,
        actor: str,
        *,
        name: str,
        client_org: str,
        team_org: str,
        description: str = "",
        time_zone: str | None = None,
        actor_name: str | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Open a project; the actor joins it as its team manager in the same save."""
        act = Act(actor, occurred_at=occurred_at)
        project_id = self.new_id("project", None, idempotency_key)

        def build() -> list[Project]:
            project = Project.open(
                act,
                id=project_id,
                name=name,
                client_org=client_org,
                team_org=team_org,
                description=description,
                time_zone=DEFAULT_TIME_ZONE if time_zone is None else time_zone,
            )
            project.add_member(
                act,
                email=act.actor,
                name=actor_name or act.actor,
                party=Party.TEAM,
                role=Role.TEAM_MANAGER,
            )
            return [project]

        return self.create_once(project_id, build)

    def allow_mail_sender(
        self, actor: str, project_id: UUID, *, email: str, name: str = ""
    ) -> Recorded:
        """Let mail from ``email`` (not a member) to the project's inbox be recorded."""
        project, act = self._managing(project_id, actor, None, None)
        project.allow_mail_sender(act, email=normalise_email(email), name=name)
        return self.save_changes(project)

    def disallow_mail_sender(self, actor: str, project_id: UUID, *, email: str) -> Recorded:
        project, act = self._managing(project_id, actor, None, None)
        project.disallow_mail_sender(act, email=normalise_email(email))
        return self.save_changes(project)

    def project_ids(self) -> list[UUID]:
        """Every project of this ledger, oldest first (read from the log, not a view)."""
        return opened_projects(self, Project.Opened)

    def mail_sender_allowed_by(self, project_id: UUID, email: str) -> str | None:
        """The manager who last allowed mail from ``email`` in the project, if any."""
        allowed_by = None
        for _n, event in project_events(
            self, project_id, [Project.MailSenderAllowed, Project.MailSenderDisallowed]
        ):
            if getattr(event, "email", None) == email:
                allowed = isinstance(event, Project.MailSenderAllowed)
                allowed_by = event.actor if allowed else None
        return allowed_by

    def change_time_zone(
        self,
        actor: str,
        project_id: UUID,
        *,
        time_zone: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Count the project's days in another IANA time zone from now on."""
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        project.change_time_zone(act, time_zone=time_zone)
        return self.save_changes(project)

    def add_member(
        self,
        actor: str,
        project_id: UUID,
        *,
        email: str,
        name: str,
        party: str,
        role: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        project.add_member(
            act,
            email=normalise_email(email),
            name=name,
            party=_enum(Party, party, "party"),
            role=_enum(Role, role, "role"),
        )
        return self.save_changes(project)

    def change_member_role(
        self,
        actor: str,
        project_id: UUID,
        *,
        email: str,
        role: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        project.change_member_role(
            act, email=normalise_email(email), role=_enum(Role, role, "role")
        )
        return self.save_changes(project)

    def remove_member(
        self,
        actor: str,
        project_id: UUID,
        *,
        email: str,
        reason: str = "",
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        project.remove_member(act, email=normalise_email(email), reason=reason)
        return self.save_changes(project)

    def designate_key_contact(
        self,
        actor: str,
        project_id: UUID,
        *,
        email: str,
        area: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        project.designate_key_contact(act, email=normalise_email(email), area=area)
        return self.save_changes(project)

    def name_delegate(
        self,
        actor: str,
        project_id: UUID,
        *,
        delegate: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """``actor`` names a member of their side who may give their consent for them; always
        with their own credential (consent belongs to its owner)."""
        project, act = self._own_step(project_id, actor, occurred_at, expected_version)
        project.name_delegate(act, delegate=normalise_email(delegate, "delegate"))
        return self.save_changes(project)

    def revoke_delegate(
        self,
        actor: str,
        project_id: UUID,
        *,
        delegate: str,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._own_step(project_id, actor, occurred_at, expected_version)
        project.revoke_delegate(act, delegate=normalise_email(delegate, "delegate"))
        return self.save_changes(project)

    def _own_step(
        self,
        project_id: UUID,
        actor: str,
        occurred_at: datetime | None,
        expected_version: int | None,
    ) -> tuple[Project, Act]:
        act = Act(actor, occurred_at=occurred_at)
        project = self.get_project(project_id, for_update=True)
        project.require_recorder(act)
        self.check_version(project, expected_version)
        return project, act

    def set_communication_plan(
        self,
        actor: str,
        project_id: UUID,
        *,
        channels: list[dict[str, Any]],
        cadences: list[dict[str, Any]],
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        parsed_cadences = Cadence.parse_many(cadences, "cadences")
        parsed_cadences = tuple(
            c.model_copy(update={"owner": normalise_email(c.owner, f"cadences[{i}].owner")})
            for i, c in enumerate(parsed_cadences)
        )
        project.set_communication_plan(
            act, channels=Channel.parse_many(channels, "channels"), cadences=parsed_cadences
        )
        return self.save_changes(project)

    def close_project(
        self,
        actor: str,
        project_id: UUID,
        *,
        summary: str,
        lessons_learned: str = "",
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act = self._managing(project_id, actor, occurred_at, expected_version)
        project.close(act, summary=summary, lessons_learned=lessons_learned)
        return self.save_changes(project)

    # ------------------------------------------------------------------------------ steps

    def _managing(
        self,
        project_id: UUID,
        actor: str,
        occurred_at: datetime | None,
        expected_version: int | None,
    ) -> tuple[Project, Act]:
        """Membership, key contacts, plan and closing are the team manager's to record."""
        act = Act(actor, occurred_at=occurred_at)
        project = self.get_project(project_id, for_update=True)
        project.require_recorder(act)
        if project.members[act.actor].role is not Role.TEAM_MANAGER:
            raise NotPermittedError("only a team manager manages the project's members and plan")
        self.check_version(project, expected_version)
        return project, act
