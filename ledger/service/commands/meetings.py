"""Commands on meetings: hold, record minutes (action items become commitments), circulate
minutes (acknowledgement requests), amend minutes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.domain.meeting import Meeting, MeetingNotFoundError, NewActionItem
from ledger.domain.roles import Role
from ledger.service.base import LedgerService, Recorded


class MeetingCommands(LedgerService):
    def hold_meeting(
        self,
        actor: str,
        project_id: UUID,
        *,
        title: str,
        attendees: Iterable[str],
        agenda: Iterable[str] = (),
        place: str | None = None,
        channel: str | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record that a meeting took place (``occurred_at``: when). Attendees may include
        people outside the project."""
        _, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        meeting_id = self.new_id("meeting", project_id, idempotency_key)
        return self.create_once(
            meeting_id,
            lambda: [
                Meeting.hold(
                    act,
                    id=meeting_id,
                    project_id=project_id,
                    title=title,
                    attendees=attendees,
                    agenda=agenda,
                    place=place,
                    channel=channel,
                )
            ],
        )

    def get_meeting(self, project_id: UUID, meeting_id: UUID) -> Meeting:
        return self.get_item(Meeting, project_id, meeting_id, MeetingNotFoundError)

    def record_minutes(
        self,
        actor: str,
        project_id: UUID,
        meeting_id: UUID,
        *,
        discussion_points: Iterable[str] = (),
        decisions: Iterable[str] = (),
        action_items: Sequence[Mapping[str, Any] | NewActionItem] = (),
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Record the minutes. Each action item ``{owner, description, due_at?, promisee?}``
        becomes a commitment in the same save (promisee by default: the first attendee of the
        other side). The result names the meeting."""
        project, act, meeting = self.step_in(
            Meeting, actor, project_id, meeting_id, occurred_at, attributed_to, expected_version
        )
        items = [
            {
                **item,
                "due_at": self.due_in(project, item.get("due_at"), f"action_items[{i}].due_at"),
            }
            if isinstance(item, Mapping)
            else item
            for i, item in enumerate(action_items)
        ]
        commitments = meeting.record_minutes(
            act,
            members=project.members,
            discussion_points=discussion_points,
            decisions=decisions,
            action_items=items,
        )
        return self.save_changes(meeting, *commitments)

    def circulate_minutes(
        self,
        actor: str,
        project_id: UUID,
        meeting_id: UUID,
        *,
        to: Iterable[str],
        acknowledge_by: datetime | date | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Send the minutes to ``to`` (members); each recipient but the sender and auditors is
        asked to acknowledge the current minutes, in the same save. Someone already asked for
        this version of the minutes is not asked again."""
        project, act, meeting = self.step_in(
            Meeting, actor, project_id, meeting_id, occurred_at, attributed_to, expected_version
        )
        due_time = self.due_in(project, acknowledge_by, "acknowledge_by")
        requests = meeting.circulate_minutes(
            act, to=to, members=project.members, acknowledge_by=due_time
        )
        new = [r for r in requests if self._version_of(r.id) is None]
        return self.save_changes(meeting, *new)

    def amend_minutes(
        self,
        actor: str,
        project_id: UUID,
        meeting_id: UUID,
        *,
        reason: str,
        discussion_points: Iterable[str] | None = None,
        decisions: Iterable[str] | None = None,
        attendees: Iterable[str] | None = None,
        action_items: Sequence[Mapping[str, Any] | NewActionItem] = (),
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Amend the minutes: the lists given replace the old ones; ``action_items`` are new
        items, each a new commitment in the same save. By whoever recorded the minutes, or a
        team manager. Circulate again to ask for acknowledgement of the amended minutes."""
        project, act, meeting = self.step_in(
            Meeting, actor, project_id, meeting_id, occurred_at, attributed_to, expected_version
        )
        commitments = meeting.amend_minutes(
            act,
            reason=reason,
            members=project.members,
            discussion_points=discussion_points,
            decisions=decisions,
            attendees=attendees,
            action_items=action_items,
            manager=project.members[act.actor].role is Role.TEAM_MANAGER,
        )
        return self.save_changes(meeting, *commitments)
