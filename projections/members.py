"""Who is on each project, as each projection needs to know it.

Projections are rebuilt independently, so each keeps its own copy of the members (a projection
never reads another's tables while it processes events). :class:`MemberTracking` is the mixin.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ledger.domain.project import Project
from projections.framework import Projection, Table, View, on, sid


def members_table(prefix: str) -> Table:
    return Table(
        name=f"{prefix}_members",
        columns={
            "project_id": "TEXT NOT NULL",
            "email": "TEXT NOT NULL",
            "name": "TEXT NOT NULL",
            "party": "TEXT NOT NULL",
            "role": "TEXT NOT NULL",
            "active": "INTEGER NOT NULL",
        },
        key=("project_id", "email"),
    )


class MemberTracking(Projection):
    members: ClassVar[Table]

    @on(Project.MemberAdded)
    def _member_added(self, view: View, e: Project.MemberAdded, position: int) -> None:
        m = e.member
        view.put(
            self.members,
            {
                "project_id": sid(e.project_id),
                "email": m.email,
                "name": m.name,
                "party": m.party.value,
                "role": m.role.value,
                "active": 1,
            },
        )

    @on(Project.MemberRoleChanged)
    def _member_role_changed(self, view: View, e: Project.MemberRoleChanged, position: int) -> None:
        row = view.get(self.members, (sid(e.project_id), e.email))
        if row is not None:
            view.put(self.members, {**row, "role": e.role.value})

    @on(Project.MemberRemoved)
    def _member_removed(self, view: View, e: Project.MemberRemoved, position: int) -> None:
        row = view.get(self.members, (sid(e.project_id), e.email))
        if row is not None:
            view.put(self.members, {**row, "active": 0})

    def member(self, view: View, project_id: Any, email: str | None) -> dict[str, Any] | None:
        if email is None:
            return None
        return view.get(self.members, (sid(project_id), email))

    def name_of(self, view: View, project_id: Any, email: str) -> str:
        row = view.peek(self.members, (sid(project_id), email))
        return row["name"] if row else email

    def party_of(self, view: View, project_id: Any, email: str | None) -> str | None:
        if email is None:
            return None
        row = view.peek(self.members, (sid(project_id), email))
        return row["party"] if row else None
