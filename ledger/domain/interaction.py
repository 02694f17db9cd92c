"""Interaction: one communication act on any channel — an email, a call, a chat, a document sent.

Lifecycle::

    recorded ──correct──> recorded (corrected fields, reason kept) ...
        ├──link to thread──> recorded (now answering a message recorded after it) ...
        └──retract──> retracted (final)

Addresses may be external (people who are not members of the project); they are stored
normalised. An interaction imported from a source with a stable reference (an email's
Message-ID) gets an id derived from it, so importing the same message twice stores it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain.envelope import MAX_CLOCK_SKEW, Act, LedgerAggregate
from ledger.domain.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from ledger.domain.ids import derive_id
from ledger.domain.topics import pin_topics
from ledger.domain.validation import (
    normalise_email,
    normalise_emails,
    parse_enum,
    require_aware,
    require_editor,
    require_text,
    sha256_hex,
)
from ledger.domain.values import Attachment, ImmutableModel


class InteractionNotFoundError(NotFoundError):
    pass


class InteractionChannel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    VIDEO = "video"
    IM = "im"
    MEETING = "meeting"
    IN_PERSON = "in_person"
    DOCUMENT = "document"


class InteractionCorrection(ImmutableModel):
    """New values for some fields of a recorded interaction; a field left ``None`` stands.

    Field names are those of :class:`Interaction.Recorded` (``occurred_at`` corrects when the
    interaction happened). Only the fields that actually change are stored."""

    channel: InteractionChannel | None = None
    occurred_at: datetime | None = None
    subject: str | None = None
    summary: str | None = None
    from_address: str | None = None
    to: tuple[str, ...] | None = None
    cc: tuple[str, ...] | None = None
    participants: tuple[str, ...] | None = None
    body_sha256: str | None = None
    attachments: tuple[Attachment, ...] | None = None

    def changes(self) -> dict[str, Any]:
        """The corrected fields and their new values."""
        return {
            name: value
            for name in type(self).model_fields
            if (value := getattr(self, name)) is not None
        }


def normalise_source_ref(value: str) -> str:
    """A source reference as stored and keyed: trimmed, and an email Message-ID without its
    angle brackets (``<abc@mail.test>`` and ``abc@mail.test`` are the same message)."""
    ref = require_text(value, "source_ref", max_length=998)
    if ref.startswith("<") and ref.endswith(">"):
        ref = require_text(ref[1:-1], "source_ref", max_length=998)
    return ref


def interaction_id_for_source(project_id: UUID, source_ref: str) -> UUID:
    """The id of the interaction imported into ``project_id`` from ``source_ref``."""
    return derive_id("interaction", project_id, normalise_source_ref(source_ref))


class Interaction(LedgerAggregate):
    if TYPE_CHECKING:
        channel: InteractionChannel
        occurred_at: datetime
        subject: str
        summary: str
        from_address: str
        to: tuple[str, ...]
        cc: tuple[str, ...]
        participants: tuple[str, ...]
        body_sha256: str | None
        attachments: tuple[Attachment, ...]
        source_ref: str | None
        in_reply_to: UUID | None
        recorded_by: str
        recorded_for: str | None
        corrections: int
        retracted: bool

    class Recorded(LedgerAggregate.Created):
        """A communication happened: who wrote or said what to whom, on which channel, when
        (``occurred_at``). The body is kept outside the ledger and referenced by its digest.

        By: any member who records (often importing an email, or noting a call)."""

        channel: InteractionChannel
        subject: str
        summary: str
        from_address: str
        to: tuple[str, ...]
        cc: tuple[str, ...]
        participants: tuple[str, ...]
        body_sha256: str | None
        attachments: tuple[Attachment, ...]
        source_ref: str | None
        in_reply_to: UUID | None

        def apply(self, aggregate: Interaction) -> None:
            super().apply(aggregate)
            aggregate.channel = self.channel
            aggregate.occurred_at = self.occurred_at
            aggregate.subject = self.subject
            aggregate.summary = self.summary
            aggregate.from_address = self.from_address
            aggregate.to = self.to
            aggregate.cc = self.cc
            aggregate.participants = self.participants
            aggregate.body_sha256 = self.body_sha256
            aggregate.attachments = self.attachments
            aggregate.source_ref = self.source_ref
            aggregate.in_reply_to = self.in_reply_to
            aggregate.recorded_by = self.actor
            aggregate.recorded_for = self.attributed_to
            aggregate.corrections = 0
            aggregate.retracted = False

    class Corrected(LedgerAggregate.Event):
        """Some recorded fields were wrong; ``correction`` holds their new values. The original
        event stays. By: whoever recorded it, the person it was recorded for, its sender, or a
        team manager."""

        correction: InteractionCorrection
        reason: str

        def apply(self, aggregate: Interaction) -> None:
            for name, value in self.correction.changes().items():
                setattr(aggregate, name, value)
            aggregate.corrections += 1

    class ThreadLinked(LedgerAggregate.Event):
        """The message this one answers is now in the ledger: ``in_reply_to`` names it, in
        place of the link recorded before (none, or an earlier message of the thread). Nothing
        recorded was wrong — the parent was simply not known yet (imported later, in another
        run); the original message, kept whole, names it in ``In-Reply-To``/``References``.
        By: any member who records — in practice the importer, in the same save as the
        parent."""

        in_reply_to: UUID

        def apply(self, aggregate: Interaction) -> None:
            aggregate.in_reply_to = self.in_reply_to

    class Retracted(LedgerAggregate.Event):
        """The record should not have been made (wrong project, never happened); it stays in
        the log, marked retracted. Final. By: as for Corrected."""

        reason: str

        def apply(self, aggregate: Interaction) -> None:
            aggregate.retracted = True

    # ------------------------------------------------------------------------- commands

    @classmethod
    def record(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        channel: InteractionChannel | str,
        subject: str,
        summary: str,
        from_address: str,
        to: Iterable[str] = (),
        cc: Iterable[str] = (),
        participants: Iterable[str] = (),
        body_sha256: str | None = None,
        attachments: Iterable[Attachment | Mapping[str, Any]] = (),
        source_ref: str | None = None,
        in_reply_to: UUID | None = None,
    ) -> Interaction:
        """Record an interaction; ``in_reply_to`` (checked to exist by the caller) must not be
        the interaction itself."""
        subject = require_text(subject, "subject", max_length=998, empty=True)
        summary = require_text(summary, "summary", max_length=20_000, empty=True)
        if not subject and not summary:
            raise InvalidInputError("summary", "give a subject or a summary (or both)")
        if in_reply_to is not None and in_reply_to == id:
            raise InvalidInputError("in_reply_to", "an interaction cannot reply to itself")
        return cls._open(
            cls.Recorded,
            id=id,
            project_id=project_id,
            act=act,
            channel=parse_enum(InteractionChannel, channel, "channel"),
            subject=subject,
            summary=summary,
            from_address=normalise_email(from_address, "from_address"),
            to=normalise_emails(to, "to"),
            cc=normalise_emails(cc, "cc"),
            participants=normalise_emails(participants, "participants"),
            body_sha256=sha256_hex(body_sha256, "body_sha256") if body_sha256 is not None else None,
            attachments=_attachments(attachments, "attachments"),
            source_ref=normalise_source_ref(source_ref) if source_ref is not None else None,
            in_reply_to=in_reply_to,
        )

    def correct(
        self,
        act: Act,
        *,
        correction: InteractionCorrection | Mapping[str, Any],
        reason: str,
        manager: bool = False,
    ) -> None:
        """Correct some fields; ``manager`` says whether the actor is a team manager."""
        self._require_editor(act, manager, "correct this interaction")
        self._require_not_retracted("correct")
        reason = require_text(reason, "reason")
        if not isinstance(correction, InteractionCorrection):
            correction = InteractionCorrection.parse(dict(correction), "changes")
        proposed = correction.changes()
        normalised = {name: self._normalise(act, name, value) for name, value in proposed.items()}
        changed = {k: v for k, v in normalised.items() if getattr(self, k) != v}
        if not changed:
            raise InvalidInputError("changes", "the correction changes nothing")
        subject = changed.get("subject", self.subject)
        summary = changed.get("summary", self.summary)
        if not subject and not summary:
            raise InvalidInputError("changes", "an interaction keeps a subject or a summary")
        self._record(
            self.Corrected, act, correction=InteractionCorrection(**changed), reason=reason
        )

    def link_to_thread(self, act: Act, *, in_reply_to: UUID) -> None:
        """Link this interaction to the message it answers, recorded after it. The caller
        checks that ``in_reply_to`` is an interaction of the project and that the link makes
        no loop."""
        self._require_not_retracted("link")
        if not isinstance(in_reply_to, UUID):
            raise InvalidInputError("in_reply_to", "must be an interaction id")
        if in_reply_to == self.id:
            raise InvalidInputError("in_reply_to", "an interaction cannot reply to itself")
        if in_reply_to == self.in_reply_to:
            raise InvalidInputError("in_reply_to", "the interaction already replies to it")
        self._record(self.ThreadLinked, act, in_reply_to=in_reply_to)

    def retract(self, act: Act, *, reason: str, manager: bool = False) -> None:
        self._require_editor(act, manager, "retract this interaction")
        self._require_not_retracted("retract")
        self._record(self.Retracted, act, reason=require_text(reason, "reason"))

    # -------------------------------------------------------------------------- checks

    def _require_editor(self, act: Act, manager: bool, what: str) -> None:
        require_editor(
            act,
            (self.recorded_by, self.recorded_for, self.from_address),
            manager=manager,
            what=what,
        )

    def _require_not_retracted(self, step: str) -> None:
        if self.retracted:
            raise InvalidTransitionError(f"cannot {step} an interaction that was retracted")

    @staticmethod
    def _normalise(act: Act, name: str, value: Any) -> Any:
        field = f"changes.{name}"
        if name == "occurred_at":
            require_aware(value, field)
            if value > act.occurred_at + MAX_CLOCK_SKEW:
                raise InvalidInputError(field, "cannot be after the correction itself")
            return value
        if name == "subject":
            return require_text(value, field, max_length=998, empty=True)
        if name == "summary":
            return require_text(value, field, max_length=20_000, empty=True)
        if name == "from_address":
            return normalise_email(value, field)
        if name in ("to", "cc", "participants"):
            return normalise_emails(value, field)
        if name == "body_sha256":
            return sha256_hex(value, field)
        if name == "attachments":
            return _attachments(value, field)
        return value  # channel: already an InteractionChannel


def _attachments(
    values: Iterable[Attachment | Mapping[str, Any]], field: str
) -> tuple[Attachment, ...]:
    if values is None or isinstance(values, (str, bytes, Mapping)):
        raise InvalidInputError(field, "must be a list of attachments")
    parsed = Attachment.parse_many(
        (v if isinstance(v, Attachment) else dict(v) for v in values), field
    )
    for i, attachment in enumerate(parsed):
        if attachment.size < 0:
            raise InvalidInputError(f"{field}[{i}].size", "must not be negative")
    return parsed


pin_topics(Interaction)
