"""Interaction: one communication act on any channel — an email, a call, a chat, a document sent.

Lifecycle::

    recorded ──correct──> recorded (corrected fields, reason kept) ...
        ├──link to thread──> recorded (now answering a message recorded after it) ...
        ├──keep variant──> recorded (another copy of the message, other bytes, kept too) ...
        └──retract──> retracted (final)

A delivery failure report (a bounce) is an interaction of its own kind: an email whose
``delivery_failure`` says which message could not be delivered to whom, and why.

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
from ledger.domain.values import (
    Attachment,
    DeliveryFailure,
    DisplayName,
    ImmutableModel,
)


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
        display_names: tuple[DisplayName, ...]
        delivery_failure: DeliveryFailure | None
        variants: tuple[str, ...]
        recorded_by: str
        recorded_for: str | None
        corrections: int
        retracted: bool

    class Recorded(LedgerAggregate.Created):
        """A communication happened: who wrote or said what to whom, on which channel, when
        (``occurred_at``). The body is kept outside the ledger and referenced by its digest.
        ``display_names``: the names the message gave its addresses. ``delivery_failure``:
        set when the message is a report that another could not be delivered (a bounce).
        Version 2 added both; events stored before read with none.

        By: any member who records (often importing an email, or noting a call)."""

        class_version = 2

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
        display_names: tuple[DisplayName, ...]
        delivery_failure: DeliveryFailure | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["display_names"] = ()
            state["delivery_failure"] = None

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
            aggregate.display_names = self.display_names
            aggregate.delivery_failure = self.delivery_failure
            aggregate.variants = ()
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

    class VariantRecorded(LedgerAggregate.Event):
        """Another copy of this message was found — the same Message-ID, other bytes (sent
        again, relayed with other headers, edited, saved by another program) — and kept whole
        beside the first: ``sha256`` and ``size`` of its bytes in the document store, ``where``
        it was found, ``note`` how it differs. The interaction's own fields stay those of the
        copy recorded first. By: any member who records — in practice the importer."""

        sha256: str
        size: int
        where: str
        note: str

        def apply(self, aggregate: Interaction) -> None:
            aggregate.variants = (*aggregate.variants, self.sha256)

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
        display_names: Iterable[DisplayName | Mapping[str, Any]] = (),
        delivery_failure: DeliveryFailure | Mapping[str, Any] | None = None,
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
            display_names=_display_names(display_names),
            delivery_failure=_delivery_failure(delivery_failure),
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

    def keep_variant(self, act: Act, *, sha256: str, size: int, where: str, note: str) -> bool:
        """Keep another copy of the message (other bytes, same Message-ID); ``False`` when
        it is the recorded copy or already kept (nothing to record)."""
        digest = sha256_hex(sha256, "sha256")
        if digest == self.body_sha256 or digest in self.variants:
            return False
        if not isinstance(size, int) or size < 0:
            raise InvalidInputError("size", "must be a size in bytes")
        self._record(
            self.VariantRecorded,
            act,
            sha256=digest,
            size=size,
            where=require_text(where, "where", max_length=1_000),
            note=require_text(note, "note", max_length=2_000),
        )
        return True

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


def _display_names(
    values: Iterable[DisplayName | Mapping[str, Any]],
) -> tuple[DisplayName, ...]:
    if values is None or isinstance(values, (str, bytes, Mapping)):
        raise InvalidInputError("display_names", "must be a list of {address, name}")
    names = DisplayName.parse_many(
        (v if isinstance(v, DisplayName) else dict(v) for v in values), "display_names"
    )
    for i, named in enumerate(names):
        require_text(named.name, f"display_names[{i}].name", max_length=500)
        require_text(named.address, f"display_names[{i}].address", max_length=500)
    return names


def _delivery_failure(
    value: DeliveryFailure | Mapping[str, Any] | None,
) -> DeliveryFailure | None:
    if value is None:
        return None
    if not isinstance(value, (DeliveryFailure, Mapping)):
        raise InvalidInputError("delivery_failure", "must be an object")
    return DeliveryFailure.parse(
        value if isinstance(value, DeliveryFailure) else dict(value), "delivery_failure"
    )


pin_topics(Interaction)
