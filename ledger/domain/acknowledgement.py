"""AcknowledgementRequest: one person is asked to confirm one version of one subject.

Lifecycle::

    requested ──acknowledge (the person)──> acknowledged   (final)
        ├──────dispute (the person)─────> disputed       (final)
        └──────withdraw (requester side)─> withdrawn      (final; e.g. the subject was amended)

There is one request per (subject, subject version, person): its id is derived from them, so
asking twice for the same version stores one request. A new version of the subject (amended
minutes, a corrected report) is asked for with a new request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
)
from ledger.domain.ids import derive_id
from ledger.domain.project import Member
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_aware, require_text, sha256_hex


class AcknowledgementRequestNotFoundError(NotFoundError):
    pass


class AcknowledgementSubjectKind(StrEnum):
    MINUTES = "minutes"
    STATUS_REPORT = "status_report"
    COMMITMENT = "commitment"
    EXPECTATION = "expectation"
    CHANGE_REQUEST = "change_request"
    DECISION = "decision"
    DOCUMENT = "document"


class AcknowledgementState(StrEnum):
    REQUESTED = "requested"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    WITHDRAWN = "withdrawn"


def acknowledgement_request_id(subject_id: UUID, subject_version: int, person: str) -> UUID:
    """The id of the request that ``person`` acknowledge version ``subject_version``."""
    return derive_id("ack", subject_id, subject_version, person)


class AcknowledgementRequest(LedgerAggregate):
    if TYPE_CHECKING:
        subject_kind: AcknowledgementSubjectKind
        subject_id: UUID
        subject_version: int
        subject_digest: str | None
        person: str
        due_at: datetime | None
        requested_by: str
        state: AcknowledgementState

    class Requested(LedgerAggregate.Created):
        """``person`` is asked to confirm version ``subject_version`` of the subject (and, when
        given, the document with SHA-256 ``subject_digest``) by ``due_at``.

        By: any member who records, never of themself (the requester is ``attributed_to`` or
        else the actor)."""

        subject_kind: AcknowledgementSubjectKind
        subject_id: UUID
        subject_version: int
        subject_digest: str | None
        person: str
        due_at: datetime | None

        def apply(self, aggregate: AcknowledgementRequest) -> None:
            super().apply(aggregate)
            aggregate.subject_kind = self.subject_kind
            aggregate.subject_id = self.subject_id
            aggregate.subject_version = self.subject_version
            aggregate.subject_digest = self.subject_digest
            aggregate.person = self.person
            aggregate.due_at = self.due_at
            aggregate.requested_by = self.attributed_to or self.actor
            aggregate.state = AcknowledgementState.REQUESTED

    class Acknowledged(LedgerAggregate.Event):
        """The person confirms the subject as requested. ``checkpoint_size`` and
        ``checkpoint_root`` (base64, as in the checkpoint) name the latest signed log checkpoint
        when they did (``None`` before the first): the person witnesses that state of the log.
        By: the person themself, in person."""

        comment: str
        checkpoint_size: int | None
        checkpoint_root: str | None

        def apply(self, aggregate: AcknowledgementRequest) -> None:
            aggregate.state = AcknowledgementState.ACKNOWLEDGED

    class Disputed(LedgerAggregate.Event):
        """The person does not confirm the subject, says why, and may propose a correction.
        By: the person themself, in person."""

        reason: str
        proposed_correction: str

        def apply(self, aggregate: AcknowledgementRequest) -> None:
            aggregate.state = AcknowledgementState.DISPUTED

    class Withdrawn(LedgerAggregate.Event):
        """The request no longer stands (typically: the subject was amended and a new version
        is asked for). By: the requester, or a member of the requester's party (never the
        person asked)."""

        reason: str

        def apply(self, aggregate: AcknowledgementRequest) -> None:
            aggregate.state = AcknowledgementState.WITHDRAWN

    # ------------------------------------------------------------------------- commands

    @classmethod
    def request(
        cls,
        act: Act,
        *,
        project_id: UUID,
        subject_kind: AcknowledgementSubjectKind,
        subject_id: UUID,
        subject_version: int,
        person: str,
        due_at: datetime | None = None,
        subject_digest: str | None = None,
    ) -> AcknowledgementRequest:
        """A new request, its id derived from (subject, version, person). Whether a request
        with that id is already stored is for the caller to check."""
        if person == act.principal:
            raise InvalidInputError("person", "nobody is asked to acknowledge their own record")
        if isinstance(subject_version, bool) or not isinstance(subject_version, int):
            raise InvalidInputError("subject_version", "must be a whole number")
        if subject_version < 1:
            raise InvalidInputError("subject_version", "versions start at 1")
        if due_at is not None:
            require_aware(due_at, "due_at")
            if due_at <= act.occurred_at:
                raise InvalidInputError("due_at", "must be after the request is made")
        return cls._open(
            cls.Requested,
            id=acknowledgement_request_id(subject_id, subject_version, person),
            project_id=project_id,
            act=act,
            subject_kind=subject_kind,
            subject_id=subject_id,
            subject_version=subject_version,
            subject_digest=(
                sha256_hex(subject_digest, "subject_digest") if subject_digest is not None else None
            ),
            person=person,
            due_at=due_at,
        )

    def acknowledge(
        self, act: Act, *, comment: str = "", checkpoint: tuple[int, str] | None = None
    ) -> None:
        """``checkpoint``: ``(size, base64 root)`` of the latest signed log checkpoint."""
        self._require_in_person(act, "acknowledge")
        self._require_requested("acknowledge")
        self._record(
            self.Acknowledged,
            act,
            comment=require_text(comment, "comment", empty=True),
            checkpoint_size=checkpoint[0] if checkpoint else None,
            checkpoint_root=checkpoint[1] if checkpoint else None,
        )

    def dispute(self, act: Act, *, reason: str, proposed_correction: str = "") -> None:
        self._require_in_person(act, "dispute")
        self._require_requested("dispute")
        self._record(
            self.Disputed,
            act,
            reason=require_text(reason, "reason"),
            proposed_correction=require_text(
                proposed_correction, "proposed_correction", empty=True
            ),
        )

    def withdraw(self, act: Act, *, reason: str, on_requester_side: bool) -> None:
        """``on_requester_side``: the caller found the principal in the requester's party."""
        if act.principal == self.person:
            raise NotPermittedError(
                "the person asked answers by acknowledging or disputing, not by withdrawing"
            )
        if act.principal != self.requested_by and not on_requester_side:
            raise NotPermittedError(
                f"only {self.requested_by} or a member of their party can withdraw this request"
            )
        self._require_requested("withdraw")
        self._record(self.Withdrawn, act, reason=require_text(reason, "reason"))

    # -------------------------------------------------------------------------- checks

    def _require_in_person(self, act: Act, step: str) -> None:
        if act.attributed_to is not None:
            raise NotPermittedError(f"only the person asked can {step}, and only in person")
        if act.actor != self.person:
            raise NotPermittedError(f"only {self.person}, the person asked, can {step}")

    def _require_requested(self, step: str) -> None:
        if self.state is not AcknowledgementState.REQUESTED:
            raise InvalidTransitionError(f"cannot {step}: the request is already {self.state}")


def request_acknowledgements(
    act: Act,
    *,
    project_id: UUID,
    subject_kind: AcknowledgementSubjectKind,
    subject_id: UUID,
    subject_version: int,
    recipients: Iterable[str],
    members: Mapping[str, Member],
    due_at: datetime | None = None,
    subject_digest: str | None = None,
) -> list[AcknowledgementRequest]:
    """Requests for every recipient who can answer one: not the requester themself (their own
    copy needs no confirmation) and not auditors (who only read). Used by minutes and status
    reports, saved with them; the caller drops requests that are already stored."""
    return [
        AcknowledgementRequest.request(
            act,
            project_id=project_id,
            subject_kind=subject_kind,
            subject_id=subject_id,
            subject_version=subject_version,
            person=person,
            due_at=due_at,
            subject_digest=subject_digest,
        )
        for person in recipients
        if person != act.principal and person in members and members[person].role.may_record
    ]


pin_topics(AcknowledgementRequest)
