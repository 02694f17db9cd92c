"""Times, dates and numbers as the reader reads them: in the project's time zone, in the
reader's locale. Every page formats through these functions, never with ``strftime``."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal


def project_zone(project: Any) -> tzinfo:
    """The project's time zone. Until projects carry one (issue 12) this is UTC; afterwards
    the project's ``time_zone`` (an IANA name) is used wherever it is set."""
    name = getattr(project, "time_zone", None)
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return UTC
    return UTC


def as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def when(value: datetime | str | None, locale: Locale, zone: tzinfo) -> str:
    """A moment, e.g. ``3 Mar 2026, 10:00`` or ``2026年3月3日 10:00``, in ``zone``."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    return format_datetime(moment, "medium", tzinfo=zone, locale=locale)


def day(value: date | datetime | str | None, locale: Locale, zone: tzinfo) -> str:
    """A date, e.g. ``3 Mar 2026``; a moment is shown as its day in ``zone``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, (str, datetime)):
        moment = as_datetime(value)
        if moment is None:
            return str(value)
        value = moment.astimezone(zone).date()
    return format_date(value, "medium", locale=locale)


def number(value: float | int | None, locale: Locale, digits: int = 1) -> str:
    if value is None:
        return "–"  # noqa: RUF001 (an en dash: no value)
    return format_decimal(round(value, digits), locale=locale)


def iso_local(value: datetime | str | None, zone: tzinfo) -> str:
    """The machine-readable moment for ``<time datetime=...>`` and inputs (minutes)."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
