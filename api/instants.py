"""Instants in query parameters, as people write them.

``as_of=2026-09-26`` means the end of that day in the project's time zone (the answer then
shows ``2026-09-26T23:59:59.999999+08:00``); ``as_of=2026-09-26T18:00:00+08:00`` is that
instant. A time without an offset is refused: it could be any of 26 instants. ``from`` bounds
of a range take the start of a date instead (``from=2026-09-01&to=2026-09-30``: all of
September, local time).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from api.problems import ApiProblem
from ledger.domain.time import end_of_day, in_zone, start_of_day

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_instant(
    value: str | None,
    field: str,
    time_zone: str,
    *,
    day_edge: Literal["end", "start"] = "end",
) -> datetime | None:
    """``value`` as an aware instant, or a problem naming ``field``."""
    if value is None:
        return None
    text = value.strip()
    if _DATE_ONLY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ApiProblem(
                "invalid-input", f"{value!r} is not a calendar date", field=field
            ) from None
        edge = end_of_day if day_edge == "end" else start_of_day
        return edge(day, time_zone)
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise ApiProblem(
            "invalid-input",
            f"{value!r} is neither a date (2026-09-26: the end of that day in the project's "
            "time zone) nor an instant with an offset (2026-09-26T18:00:00+08:00)",
            field=field,
        ) from None
    if moment.utcoffset() is None:
        raise ApiProblem(
            "invalid-input",
            f"{value!r} has no offset: give one (2026-03-01T10:00:00Z) or a plain date",
            field=field,
        )
    return moment


def shown(moment: datetime | None, time_zone: str) -> str | None:
    """An instant of an answer, in the project's zone with its full offset."""
    return None if moment is None else in_zone(moment, time_zone).isoformat()
