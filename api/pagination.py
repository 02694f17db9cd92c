"""Cursor pagination: every list returns ``next_cursor``; pass it back as ``cursor`` for the
next page. Cursors are opaque (they carry a position in the notification log today, which may
change); a list ends when ``next_cursor`` is ``null``."""

from __future__ import annotations

import base64
import binascii

from api.problems import ApiProblem

_PREFIX = "p:"


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor stands for (0 for none), or a 422 naming ``cursor``."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if (
        not text.startswith(_PREFIX)
        or not (number.isascii() and number.isdigit())
        or len(number) > 18
    ):
        raise ApiProblem("validation", "cursor: not a cursor this API returned", field="cursor")
    return int(number)


_KEY_PREFIX = "k:"


def encode_key_cursor(key: str) -> str:
    """A cursor after ``key``, for lists ordered by a text key (members by email)."""
    return base64.urlsafe_b64encode(f"{_KEY_PREFIX}{key}".encode()).decode().rstrip("=")


def decode_key_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_KEY_PREFIX):
        raise ApiProblem("validation", "cursor: not a cursor this API returned", field="cursor")
    return text.removeprefix(_KEY_PREFIX)
