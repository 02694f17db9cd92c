"""What every aggregate and event of the ledger shares.

* :class:`Act` — who recorded an event, on whose behalf, and when it happened in the world.
  It is built by the application from the credential, never from a request body.
* :class:`LedgerAggregate` and its ``Event``/``Created`` bases — every event carries
  ``project_id``, ``actor``, ``attributed_to`` and ``occurred_at`` besides eventsourcing's own
  ``originator_id``, ``originator_version`` and ``timestamp`` (the recorded time).
* :class:`ImmutableModel` — frozen, strict pydantic models for the structured parts of payloads.
* The domain errors, named after what went wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict, field_validator

#: How far in the future an ``occurred_at`` may lie, to allow for clocks that disagree.
MAX_CLOCK_SKEW = timedelta(minutes=5)

#: Namespace of every deterministic id the ledger derives from a natural key.
LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.dev/ns/ledger")

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


# --------------------------------------------------------------------------------------- errors


class DomainError(Exception):
    """Base of every error a command can raise because of what was asked."""


class InvalidInputError(DomainError, ValueError):
    """A value is malformed. ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTransitionError(DomainError):
    """The item's lifecycle does not allow this step now (events never go backwards)."""


class NotPermittedError(DomainError):
    """The person asking may not take this step (wrong side, wrong role, not themself)."""


class NotFoundError(DomainError, LookupError):
    """Base of the ``...NotFoundError`` errors."""


class ConflictError(DomainError):
    """Someone else changed the same item at the same time; reload and try again."""


class ProjectClosedError(InvalidTransitionError):
    """The project is closed: nothing more can be recorded in it."""


# ------------------------------------------------------------------------------- vocabulary


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


#: The one character no text of the ledger may hold: PostgreSQL ``TEXT`` (the read models, the
#: document store's metadata) cannot store it, and no person typed it.
NUL = "\x00"
_NUL_MESSAGE = "must not contain NUL characters (\\x00)"


def refuse_nul(value: object, field: str) -> None:
    """Raise :class:`InvalidInputError` naming the exact place (``field``, ``field[2]``,
    ``field.name``) when ``value`` — text, or a list, mapping or payload model holding text —
    contains NUL. Every new event's payload passes through it (see ``LedgerAggregate``); stored
    events are never checked again, so history recorded before the rule stays readable."""
    if isinstance(value, str):
        if NUL in value:
            raise InvalidInputError(field, _NUL_MESSAGE)
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            refuse_nul(item, f"{field}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key, field)
            refuse_nul(item, f"{field}.{key}")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            refuse_nul(getattr(value, name), f"{field}.{name}")


def normalise_email(value: str, field: str = "email") -> str:
    """Return the address in the form the ledger stores it (trimmed, lower case)."""
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be an email address")
    refuse_nul(value, field)
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInputError(field, f"{value!r} is not an email address")
    return email


def require_text(value: str, field: str, *, max_length: int = 10_000, empty: bool = False) -> str:
    """Return ``value`` stripped, or raise when it is not text, too long, or blank."""
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be text")
    refuse_nul(value, field)
    text = value.strip()
    if not text and not empty:
        raise InvalidInputError(field, "must not be blank")
    if len(text) > max_length:
        raise InvalidInputError(field, f"must be at most {max_length} characters")
    return text


def require_aware(value: datetime, field: str) -> datetime:
    """Reject naive datetimes: a time without a zone cannot be placed on the ledger's line."""
    if not isinstance(value, datetime):
        raise InvalidInputError(field, "must be a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(field, "must carry a timezone (for example 2026-03-01T10:00:00Z)")
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def derive_id(kind: str, *parts: object) -> UUID:
    """A deterministic id from a natural key, so a retried or re-imported record is not stored
    twice. ``kind`` keeps keys of different things apart."""
    # Length-prefixed parts keep keys apart: ("a", "b", "c") and ("a", "b|c") never collide.
    key = "|".join(f"{len(p)}:{p}" for p in (kind, *(str(part) for part in parts)))
    return uuid5(LEDGER_NAMESPACE, key)


# --------------------------------------------------------------------------------------- act


class Act:
    """Who recorded something, on whose behalf, and when it happened.

    ``actor`` is the authenticated principal; ``attributed_to`` the person whose act the event
    describes when that is someone else (``None`` when it is the actor themself).
    """

    __slots__ = ("actor", "attributed_to", "occurred_at")

    actor: str
    attributed_to: str | None
    occurred_at: datetime

    def __init__(
        self,
        actor: str,
        *,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        now: datetime | None = None,
    ) -> None:
        now = now or utcnow()
        actor = normalise_email(actor, "actor")
        if attributed_to is not None:
            attributed_to = normalise_email(attributed_to, "attributed_to")
            if attributed_to == actor:
                attributed_to = None
        if occurred_at is None:
            occurred_at = now
        require_aware(occurred_at, "occurred_at")
        if occurred_at > now + MAX_CLOCK_SKEW:
            raise InvalidInputError(
                "occurred_at",
                f"{occurred_at.isoformat()} is in the future (the ledger records what happened)",
            )
        object.__setattr__(self, "actor", actor)
        object.__setattr__(self, "attributed_to", attributed_to)
        object.__setattr__(self, "occurred_at", occurred_at)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Act is immutable")

    @property
    def principal(self) -> str:
        """The person whose act this is: the attributed person, or else the actor."""
        return self.attributed_to or self.actor

    def stamp(self) -> dict[str, Any]:
        """The envelope fields every event carries (besides ``project_id``)."""
        return {
            "actor": self.actor,
            "attributed_to": self.attributed_to,
            "occurred_at": self.occurred_at,
        }

    def __repr__(self) -> str:
        return (
            f"Act(actor={self.actor!r}, attributed_to={self.attributed_to!r}, "
            f"occurred_at={self.occurred_at.isoformat()!r})"
        )


# -------------------------------------------------------------------------- payload models


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


def optional_date(value: date | None, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInputError(field, "must be a calendar date such as 2026-12-01")
    return value


# ----------------------------------------------------------------------------- aggregates


class LedgerAggregate(Aggregate):
    """Base of every aggregate: one stream per item, each event tagged with its project."""

    if TYPE_CHECKING:  # set by the Created event's apply(); not dataclass fields
        project_id: UUID

    class Event(Aggregate.Event):
        project_id: UUID
        actor: str
        attributed_to: str | None
        occurred_at: datetime

        @property
        def recorded_at(self) -> datetime:
            """When the ledger stored the event (the server's clock)."""
            return self.timestamp

    class Created(Event, Aggregate.Created):
        def apply(self, aggregate: Any) -> None:
            aggregate.project_id = self.project_id

    def _record(self, event_class: type[LedgerAggregate.Event], act: Act, **payload: Any) -> None:
        """Trigger ``event_class`` with the envelope of ``act``."""
        _refuse_nul_in(payload)
        self.trigger_event(event_class, project_id=self.project_id, **act.stamp(), **payload)

    @classmethod
    def _open(
        cls,
        event_class: type[LedgerAggregate.Created],
        *,
        id: UUID,
        project_id: UUID,
        act: Act,
        **payload: Any,
    ) -> Self:
        """Create the aggregate with its first event."""
        _refuse_nul_in(payload)
        return cls._create(event_class, id=id, project_id=project_id, **act.stamp(), **payload)


def _refuse_nul_in(payload: dict[str, Any]) -> None:
    """The last word on NUL: whatever path a command took, no new event stores it (the
    command's own checks usually refused it first, naming its input field)."""
    for name, value in payload.items():
        refuse_nul(value, name)


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
