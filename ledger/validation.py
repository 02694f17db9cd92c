"""Input checks shared by the record-keeping aggregates (interactions, meetings, status reports).

They sit beside :mod:`ledger.common`'s ``require_text`` / ``normalise_email`` and follow the same
habit: return the value in the form the ledger stores, or raise :class:`InvalidInputError`
naming the offending field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from ledger.common import (
    Act,
    InvalidInputError,
    NotPermittedError,
    normalise_email,
    require_text,
)

E = TypeVar("E", bound=StrEnum)

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
