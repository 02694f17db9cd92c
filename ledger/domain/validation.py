"""Input checks shared by every aggregate: return the value in the form the ledger stores, or raise
:class:`~ledger.domain.errors.InvalidInputError` naming the offending field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from pydantic import BaseModel

from ledger.domain.errors import InvalidInputError, NotPermittedError

if TYPE_CHECKING:
    from ledger.domain.envelope import Act

#: An address as people write it (RFC 5322 ``dot-atom@domain``, RFC 6531 for non-ASCII letters):
#: a local part of letters, digits and ``! # $ % & ' * + - / = ? ^ _ ` { | } ~`` with single dots
#: between, and a domain of at least two dot-separated labels of letters, digits and inner
#: hyphens (beyond ASCII, letters and digits only: :func:`_letters_beyond_ascii`). Quoted local
#: parts, comments and domain literals are refused: no person of a project is known by one, and
#: each is how a mistyped address (``x@y.com)``) would slip through.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LABEL = r"[a-z0-9\u0080-\U0010ffff](?:[a-z0-9\-\u0080-\U0010ffff]{0,61}[a-z0-9\u0080-\U0010ffff])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")

E = TypeVar("E", bound=StrEnum)


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
    """Return the address in the form the ledger stores it (trimmed, lower case); the one
    check of an address for every entry point (commands, imports, tokens, the CLI)."""
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be an email address")
    refuse_nul(value, field)
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email) or not _letters_beyond_ascii(email):
        raise InvalidInputError(
            field, f"{value!r} is not an email address (write it as name@example.com)"
        )
    return email


def _letters_beyond_ascii(email: str) -> bool:
    """Every non-ASCII character of the address is a letter, a mark or a digit (张三@例子.中国),
    never a space or punctuation such as a full-width bracket typed by an input method."""
    return email.isascii() or all(c.isascii() or unicodedata.category(c)[0] in "LMN" for c in email)


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


def optional_date(value: date | None, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInputError(field, "must be a calendar date such as 2026-12-01")
    return value


_SHA256 = re.compile(r"[0-9a-f]{64}")


def parse_enum(enum: type[E], value: E | str, field: str) -> E:
    """``value`` as a member of ``enum``, or an error listing the allowed values."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInputError(field, f"{value!r} is not one of: {allowed}") from None


def normalise_emails(
    values: Iterable[str], field: str, *, required: bool = False
) -> tuple[str, ...]:
    """Normalised addresses in their given order, each once; ``required``: at least one."""
    if values is None or isinstance(values, (str, bytes, dict)):
        raise InvalidInputError(field, "must be a list of email addresses")
    emails = tuple(dict.fromkeys(normalise_email(v, f"{field}[{i}]") for i, v in enumerate(values)))
    if required and not emails:
        raise InvalidInputError(field, "name at least one person")
    return emails


def text_items(values: Iterable[str], field: str, *, max_length: int = 5_000) -> tuple[str, ...]:
    """A list of non-blank text items (points, decisions, steps), each stripped."""
    if values is None or isinstance(values, (str, bytes, dict)):
        raise InvalidInputError(field, "must be a list of text items")
    return tuple(
        require_text(v, f"{field}[{i}]", max_length=max_length) for i, v in enumerate(values)
    )


def optional_text(value: str | None, field: str, *, max_length: int = 200) -> str | None:
    if value is None:
        return None
    return require_text(value, field, max_length=max_length)


def sha256_hex(value: str, field: str) -> str:
    """A SHA-256 digest as 64 lower-case hex digits (upper case is accepted and lowered)."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value.strip().lower()):
        raise InvalidInputError(field, "must be a SHA-256 digest: 64 hex digits")
    return value.strip().lower()


def require_date(value: date, field: str) -> date:
    """A calendar date (a datetime is refused: a period is made of days)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInputError(field, "must be a calendar date such as 2026-03-01")
    return value


def require_editor(act: Act, editors: Iterable[str | None], *, manager: bool, what: str) -> None:
    """A record is corrected by whoever recorded it (or the person it was recorded for, or its
    author) — or by a team manager (``manager``, decided by the caller from project roles)."""
    if manager:
        return
    allowed = {e for e in editors if e}
    if act.actor not in allowed and act.principal not in allowed:
        raise NotPermittedError(f"only {', '.join(sorted(allowed))} or a team manager can {what}")


def parse_id(value: object, field: str) -> UUID:
    """An item's id given as a UUID or its text, or :class:`InvalidInputError` naming ``field``."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not an id") from None
