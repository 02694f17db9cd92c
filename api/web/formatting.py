"""Times, dates and numbers as the reader reads them: in the project's time zone, in the
reader's locale. Every page formats through these functions, never with ``strftime``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import (
    format_date,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from babel.numbers import get_decimal_symbol, get_group_symbol

# A page shows hundreds of times: Babel's locale patterns are compiled once per locale into a
# %-format and the few fields they use (Babel formats any field we do not know; measured in
# bench/web.py: the timeline's 200 times went from ~45 ms to a few).
_Field = Callable[[datetime, Locale], str]
_FIELDS: dict[str, _Field] = {
    "y": lambda d, _: str(d.year),
    "yyyy": lambda d, _: f"{d.year:04}",
    "M": lambda d, _: str(d.month),
    "MM": lambda d, _: f"{d.month:02}",
    "MMM": lambda d, loc: str(loc.months["format"]["abbreviated"][d.month]),
    "MMMM": lambda d, loc: str(loc.months["format"]["wide"][d.month]),
    "d": lambda d, _: str(d.day),
    "dd": lambda d, _: f"{d.day:02}",
    "H": lambda d, _: str(d.hour),
    "HH": lambda d, _: f"{d.hour:02}",
    "h": lambda d, _: str(d.hour % 12 or 12),
    "mm": lambda d, _: f"{d.minute:02}",
    "ss": lambda d, _: f"{d.second:02}",
}


@cache
def _compiled(locale: Locale, with_time: bool) -> tuple[str, tuple[str, ...]]:
    """The locale's medium date (and short time) as a %-format and the fields it needs."""
    day_pattern = get_date_format("medium", locale).pattern
    if with_time:
        time_pattern = get_time_format("short", locale).pattern
        pattern = (
            str(get_datetime_format("medium", locale))
            .replace("{1}", day_pattern)
            .replace("{0}", time_pattern)
        )
    else:
        pattern = day_pattern
    template = str(parse_pattern(pattern).format)
    fields = tuple(sorted(set(re.findall(r"%\(([^)]+)\)s", template))))
    return template, fields


def _format(moment: datetime, locale: Locale, with_time: bool) -> str:
    template, fields = _compiled(locale, with_time)
    values = {}
    for name in fields:
        field = _FIELDS.get(name)
        values[name] = field(moment, locale) if field else _babel_field(moment, locale, name)
    return template % values


def _babel_field(moment: datetime, locale: Locale, name: str) -> str:
    from babel.dates import DateTimeFormat

    return str(DateTimeFormat(moment, locale)[name])


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
    return _format(moment.astimezone(zone), locale, True)


def day(value: date | datetime | str | None, locale: Locale, zone: tzinfo) -> str:
    """A date, e.g. ``3 Mar 2026``; a moment is shown as its day in ``zone``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, (str, datetime)):
        moment = as_datetime(value)
        if moment is None:
            return str(value)
        value = moment.astimezone(zone).date()
    if isinstance(value, datetime):
        return format_date(value, "medium", locale=locale)
    return _format(datetime(value.year, value.month, value.day), locale, False)


@cache
def _symbols(locale: Locale) -> tuple[str, str]:
    return get_decimal_symbol(locale), get_group_symbol(locale)


def number(value: float | int | None, locale: Locale, digits: int = 1) -> str:
    """``27.9``, ``1,234`` — at most ``digits`` decimals, no trailing zeros."""
    if value is None:
        return "–"  # noqa: RUF001 (an en dash: no value)
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    decimal, group = _symbols(locale)
    return "".join(group if c == "," else decimal if c == "." else c for c in text)


def iso_local(value: datetime | str | None, zone: tzinfo) -> str:
    """The machine-readable moment for ``<time datetime=...>`` and inputs (minutes)."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
