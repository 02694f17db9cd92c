"""Value types of event payloads: frozen, strict pydantic models (money, attachments, sources).

Every :class:`ImmutableModel` subclass is registered by name so the transcoder stores and restores
it exactly; the name, not the module, is part of the stored format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator

from ledger.domain.errors import InvalidInputError
from ledger.domain.validation import refuse_nul


class ImmutableModel(BaseModel):
    """Base of the structured parts of event payloads: frozen, and unknown fields rejected.

    Every subclass is registered by name so the transcoder can store and restore it exactly.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    registry: ClassVar[dict[str, type[ImmutableModel]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__name__
        if name in ImmutableModel.registry and ImmutableModel.registry[name] is not cls:
            raise TypeError(f"Payload model name {name!r} is already used")
        ImmutableModel.registry[name] = cls

    @classmethod
    def parse(cls, value: Self | dict[str, Any], field: str) -> Self:
        """Validate a dict (or pass through an instance), naming ``field`` on failure.
        Text holding NUL is refused here (a command's input), not by the model's own
        validation: decoding a stored event validates its models again, and must not fail."""
        if isinstance(value, cls):
            model = value
        else:
            try:
                model = cls.model_validate(value)
            except ValueError as e:
                raise InvalidInputError(field, _first_error(e)) from None
        refuse_nul(model, field)
        return model

    @classmethod
    def parse_many(cls, values: Iterable[Self | dict[str, Any]], field: str) -> tuple[Self, ...]:
        if isinstance(values, (str, bytes, dict)):
            raise InvalidInputError(field, "must be a list")
        return tuple(cls.parse(v, f"{field}[{i}]") for i, v in enumerate(values))


def _first_error(e: ValueError) -> str:
    errors = getattr(e, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(e)


class Money(ImmutableModel):
    """An exact amount in an ISO 4217 currency."""

    amount: Decimal
    currency: str

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("must be a three-letter ISO 4217 code such as EUR")
        return v

    @field_validator("amount")
    @classmethod
    def _finite(cls, v: Decimal) -> Decimal:
        if not v.is_finite():
            raise ValueError("must be a finite number")
        return v

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class Attachment(ImmutableModel):
    """A file that came with an interaction, referenced by its SHA-256 digest."""

    name: str
    sha256: str
    size: int
    media_type: str | None = None

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError("must be 64 lower-case hex digits")
        return v


class DisplayName(ImmutableModel):
    """The name a message gave an address (``"Lucía García" <lucia@example.com>``), as written
    by the sender's mail program; kept beside the address, never in place of it."""

    address: str
    name: str


class FailedRecipient(ImmutableModel):
    """One recipient a delivery failure report names: the address as the report gives it (not
    necessarily a valid address), the action (``failed``, ``delayed``...), the RFC 3463 status
    code (``5.1.1``) and the remote server's diagnostic, when the report says them."""

    address: str
    action: str | None = None
    status: str | None = None
    diagnostic: str | None = None


class DeliveryFailure(ImmutableModel):
    """What a delivery failure report (a bounce) says: the message whose delivery failed
    (``original_message_id``; ``original_interaction_id`` when that message was on record when
    the report was imported), the recipients it could not reach, the server that reported it,
    and how the report was written (``rfc3464``, ``qmail``, ``exim``, ``postfix``,
    ``sendmail``, or ``other`` for a report recognised by its sender and wording only)."""

    format: str
    recipients: tuple[FailedRecipient, ...] = ()
    reporting_mta: str | None = None
    original_message_id: str | None = None
    original_interaction_id: UUID | None = None

    @property
    def failed(self) -> tuple[FailedRecipient, ...]:
        """The recipients whose delivery failed for good (not those merely delayed)."""
        return tuple(r for r in self.recipients if (r.action or "failed") == "failed")


class SourceKind(StrEnum):
    INTERACTION = "interaction"
    MEETING = "meeting"
    DOCUMENT = "document"
    AGREEMENT = "agreement"
    CHANGE_REQUEST = "change_request"


class Source(ImmutableModel):
    """Where a claim comes from: an interaction or meeting in the ledger, and/or a held document
    identified by its SHA-256 digest (an imported email, signed minutes)."""

    kind: SourceKind
    id: UUID | None = None
    sha256: str | None = None
    note: str | None = None

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError("must be 64 lower-case hex digits")
        return v
