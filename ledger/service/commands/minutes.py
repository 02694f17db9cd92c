"""Recording a meeting together with its written minutes, in one save: the import path for
minutes kept in documents (see :mod:`ledger.interchange.importing.minutes`).

One command stores, atomically: the meeting (held at ``held_at``), its minutes, the commitment
each action item becomes, a :class:`~ledger.domain.decision.Decision` for each decision whose makers
are named, and — when the minutes came as a document — an interaction of channel ``document``
holding that document's digest (the minutes' original, kept in the document store). Its id is
derived from the meeting's (:func:`minutes_document_id`), so the original of any meeting's
minutes is found from the meeting alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from ledger.domain.decision import Decision
from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import InvalidInputError
from ledger.domain.ids import derive_id
from ledger.domain.interaction import Interaction, InteractionChannel, interaction_id_for_source
from ledger.domain.meeting import Meeting, MeetingNotFoundError, NewActionItem
from ledger.domain.project import Project
from ledger.domain.validation import require_text
from ledger.domain.values import Attachment, Source, SourceKind
from ledger.service.base import LedgerService, Recorded
from ledger.service.commands.expectations import member_list


def minutes_document_id(project_id: UUID, meeting_id: UUID) -> UUID:
    """The id of the interaction that holds the original document of a meeting's minutes."""
    return interaction_id_for_source(project_id, f"accord:minutes:{meeting_id}")


def minutes_decision_id(meeting_id: UUID, index: int) -> UUID:
    """The id of the Decision recorded for the ``index``-th decision of a meeting's minutes."""
    return derive_id("minutes-decision", meeting_id, index)


class MinutesParts(NamedTuple):
    """What one recording of a meeting with its minutes stored besides the meeting."""

    commitment_ids: tuple[UUID, ...]
    decision_ids: tuple[UUID, ...]
    document_interaction_id: UUID | None


class _NewDecision(NamedTuple):
    statement: str
    decided_by: tuple[str, ...]


class MinutesCommands(LedgerService):
    def record_meeting_with_minutes(
        self,
        actor: str,
        project_id: UUID,
        *,
        title: str,
        held_at: datetime,
        attendees: Iterable[str],
        agenda: Iterable[str] = (),
        place: str | None = None,
        channel: str | None = None,
        discussion_points: Iterable[str] = (),
        decisions: Sequence[str | Mapping[str, Any]] = (),
        action_items: Sequence[Mapping[str, Any] | NewActionItem] = (),
        document: Mapping[str, Any] | Attachment | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Record that a meeting was held at ``held_at`` and its minutes, in one save.

        ``decisions``: statements, or ``{statement, decided_by: [member emails]}``; those that
        name who decided also become Decisions (source: the meeting, and the document's
        digest). ``action_items`` as for :meth:`record_minutes`. ``document``: the minutes'
        original ``{name, sha256, size, media_type}``, already in the document store.
        ``occurred_at``: when the minutes were written (default: now); ``attributed_to``: who
        took them, when not the actor. The result names the meeting."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        try:
            held = Act(actor, occurred_at=held_at, attributed_to=attributed_to)
        except InvalidInputError as e:
            raise InvalidInputError("held_at", e.message) from None
        parsed = [self._decision(project, d, f"decisions[{i}]") for i, d in enumerate(decisions)]
        original: Attachment | None
        if document is None or isinstance(document, Attachment):
            original = document
        else:
            original = Attachment.parse(dict(document), "document")
        meeting_id = self.new_id("meeting", project_id, idempotency_key)

        def build() -> list[LedgerAggregate]:
            meeting = Meeting.hold(
                held,
                id=meeting_id,
                project_id=project_id,
                title=title,
                attendees=attendees,
                agenda=agenda,
                place=place,
                channel=channel,
            )
            commitments = meeting.record_minutes(
                act,
                members=project.members,
                discussion_points=discussion_points,
                decisions=[d.statement for d in parsed],
                action_items=action_items,
            )
            source = Source(
                kind=SourceKind.MEETING,
                id=meeting_id,
                sha256=original.sha256 if original is not None else None,
            )
            made: list[LedgerAggregate] = [meeting, *commitments]
            made.extend(
                Decision.record(
                    act,
                    id=minutes_decision_id(meeting_id, i),
                    project_id=project_id,
                    statement=decision.statement,
                    decided_by=decision.decided_by,
                    source=source,
                )
                for i, decision in enumerate(parsed)
                if decision.decided_by
            )
            if original is not None:
                made.append(self._minutes_document(act, project_id, meeting, original))
            return made

        return self.create_once(meeting_id, build)

    def get_minutes_parts(self, project_id: UUID, meeting_id: UUID) -> MinutesParts:
        """The commitments, decisions and document recorded with a meeting's minutes."""
        meeting = self.get_item(Meeting, project_id, meeting_id, MeetingNotFoundError)
        decision_ids = tuple(
            decision_id
            for i in range(len(meeting.decisions))
            if self._version_of(decision_id := minutes_decision_id(meeting_id, i)) is not None
        )
        document_id = minutes_document_id(project_id, meeting_id)
        return MinutesParts(
            commitment_ids=tuple(item.commitment_id for item in meeting.action_items),
            decision_ids=decision_ids,
            document_interaction_id=document_id if self._version_of(document_id) else None,
        )

    # ------------------------------------------------------------------------ internals

    @staticmethod
    def _decision(project: Project, given: str | Mapping[str, Any], field: str) -> _NewDecision:
        if isinstance(given, str):
            return _NewDecision(require_text(given, field, max_length=5_000), ())
        if not isinstance(given, Mapping):
            raise InvalidInputError(field, "must be a statement or {statement, decided_by}")
        unknown = set(given) - {"statement", "decided_by"}
        if unknown:
            raise InvalidInputError(field, f"unknown fields: {', '.join(sorted(unknown))}")
        statement = require_text(given.get("statement", ""), f"{field}.statement", max_length=5_000)
        deciders = member_list(project, given.get("decided_by") or (), f"{field}.decided_by")
        return _NewDecision(statement, deciders)

    @staticmethod
    def _minutes_document(
        act: Act, project_id: UUID, meeting: Meeting, original: Attachment
    ) -> Interaction:
        return Interaction.record(
            act,
            id=minutes_document_id(project_id, meeting.id),
            project_id=project_id,
            channel=InteractionChannel.DOCUMENT,
            subject=f"Minutes: {meeting.title}"[:998],
            summary=f"The written minutes of the meeting {meeting.id}, kept as {original.name}.",
            from_address=act.principal,
            participants=meeting.attendees,
            body_sha256=original.sha256,
            attachments=(original,),
            source_ref=f"accord:minutes:{meeting.id}",
        )
