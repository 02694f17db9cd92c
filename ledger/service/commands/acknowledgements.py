"""Commands on acknowledgement requests: request, acknowledge, dispute, withdraw."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ledger.domain.acknowledgement import (
    AcknowledgementRequest,
    AcknowledgementRequestNotFoundError,
    AcknowledgementSubjectKind,
    acknowledgement_request_id,
)
from ledger.domain.commitment import Commitment
from ledger.domain.envelope import LedgerAggregate
from ledger.domain.errors import InvalidInputError, NotFoundError
from ledger.domain.meeting import Meeting
from ledger.domain.project import Project
from ledger.domain.status_report import StatusReport
from ledger.domain.validation import normalise_email, parse_enum
from ledger.service.base import LedgerService, Recorded

#: The aggregate class a subject of each kind must be, where the ledger knows it.
_SUBJECT_CLASSES: dict[AcknowledgementSubjectKind, type[LedgerAggregate]] = {
    AcknowledgementSubjectKind.MINUTES: Meeting,
    AcknowledgementSubjectKind.STATUS_REPORT: StatusReport,
    AcknowledgementSubjectKind.COMMITMENT: Commitment,
}


class _SubjectNotFoundError(NotFoundError):
    pass


class AcknowledgementCommands(LedgerService):
    def request_acknowledgement(
        self,
        actor: str,
        project_id: UUID,
        *,
        subject_kind: AcknowledgementSubjectKind | str,
        subject_id: UUID,
        person: str,
        subject_version: int | None = None,
        subject_digest: str | None = None,
        due_at: datetime | date | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
    ) -> Recorded:
        """Ask ``person`` (a member who records) to acknowledge version ``subject_version`` of
        a subject of this project (default: its current version; for minutes, the current
        minutes). Asking again for the same version is a retry: nothing new is stored."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        kind = parse_enum(AcknowledgementSubjectKind, subject_kind, "subject_kind")
        person = normalise_email(person, "person")
        _require_answerer(project, person)
        due_time = self.due_in(project, due_at)
        version = self._subject_version(project_id, kind, subject_id, subject_version)
        request_id = acknowledgement_request_id(subject_id, version, person)
        return self.create_once(
            request_id,
            lambda: [
                AcknowledgementRequest.request(
                    act,
                    project_id=project_id,
                    subject_kind=kind,
                    subject_id=subject_id,
                    subject_version=version,
                    person=person,
                    due_at=due_time,
                    subject_digest=subject_digest,
                )
            ],
        )

    def get_acknowledgement_request(
        self, project_id: UUID, request_id: UUID
    ) -> AcknowledgementRequest:
        return self.get_item(
            AcknowledgementRequest, project_id, request_id, AcknowledgementRequestNotFoundError
        )

    def acknowledge(
        self,
        actor: str,
        project_id: UUID,
        request_id: UUID,
        *,
        comment: str = "",
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The person asked confirms the subject — always in person (no ``attributed_to``).
        The acknowledgement records the latest signed log checkpoint (size and root), so the
        person co-signs the state of the log they saw."""
        _, act, request = self.step_in(
            AcknowledgementRequest,
            actor,
            project_id,
            request_id,
            occurred_at,
            None,
            expected_version,
        )
        head = self.latest_checkpoint_head()
        request.acknowledge(
            act, comment=comment, checkpoint=(head.size, head.root_base64) if head else None
        )
        return self.save_changes(request)

    def dispute_acknowledgement(
        self,
        actor: str,
        project_id: UUID,
        request_id: UUID,
        *,
        reason: str,
        proposed_correction: str = "",
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The person asked does not confirm the subject — always in person."""
        _, act, request = self.step_in(
            AcknowledgementRequest,
            actor,
            project_id,
            request_id,
            occurred_at,
            None,
            expected_version,
        )
        request.dispute(act, reason=reason, proposed_correction=proposed_correction)
        return self.save_changes(request)

    def withdraw_acknowledgement_request(
        self,
        actor: str,
        project_id: UUID,
        request_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The requester (or a member of the requester's party) withdraws the request."""
        project, act, request = self.step_in(
            AcknowledgementRequest,
            actor,
            project_id,
            request_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        requester = project.members.get(request.requested_by)
        principal = project.members.get(act.principal)
        same_side = (
            requester is not None and principal is not None and requester.party is principal.party
        )
        request.withdraw(act, reason=reason, on_requester_side=same_side)
        return self.save_changes(request)

    # ------------------------------------------------------------------------ internals

    def _subject_version(
        self,
        project_id: UUID,
        kind: AcknowledgementSubjectKind,
        subject_id: UUID,
        version: int | None,
    ) -> int:
        """The version to acknowledge, after checking the subject is an item of this project
        (of the right class, where the ledger knows it) that has that version."""
        try:
            subject = self.get_item(LedgerAggregate, project_id, subject_id, _SubjectNotFoundError)
        except _SubjectNotFoundError:
            raise InvalidInputError(
                "subject_id", f"there is no item {subject_id} in this project"
            ) from None
        expected = _SUBJECT_CLASSES.get(kind)
        if expected is not None and not isinstance(subject, expected):
            raise InvalidInputError("subject_kind", f"item {subject_id} is not a {kind}")
        latest = subject.version
        if isinstance(subject, Meeting):
            if subject.minutes_version is None:
                raise InvalidInputError("subject_id", "the meeting has no minutes yet")
            latest = subject.minutes_version
        if version is None:
            return latest
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidInputError("subject_version", "must be a whole number")
        if not 1 <= version <= subject.version:
            raise InvalidInputError(
                "subject_version", f"the item has versions 1 to {subject.version}"
            )
        return version


def _require_answerer(project: Project, person: str) -> None:
    member = project.require_member(person, "person")
    if not member.role.may_record:
        raise InvalidInputError("person", f"{person} is an auditor and only reads")
