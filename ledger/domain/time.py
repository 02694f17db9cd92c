"""Time as people mean it: a project's time zone, its days, due dates and "overdue".

A project has an IANA time zone (its team's, ``Asia/Shanghai``; ``UTC`` for projects opened
before zones existed). Its days are counted there: a due date given as a plain date is due by
the end of that day in the project's zone, a cadence deadline ends with the local day, and a
date-only query parameter (``as_of=2026-09-26``) means the end of that day there. Instants stay
instants (aware datetimes); only dates are placed in the zone.

Pure functions, no I/O (the IANA database is read through :mod:`zoneinfo`, with the ``tzdata``
package where the system has none).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.domain.errors import InvalidInputError

#: The zone of projects opened before projects had one.
DEFAULT_TIME_ZONE = "UTC"

#: Nothing the ledger records happened before this (the oldest plausible e-mail of a project):
#: an earlier ``occurred_at`` is a typo (``0226-09-01``, ``1900-01-01``) and is refused.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)

#: How far ahead a due date may lie before it is taken for a typo (``2226`` for ``2026``).
LATEST_PLAUSIBLE_YEARS_AHEAD = 50

#: A recorded time this long after the occurred time makes an entry "late" in the timeline and
#: the audit trail (the default; deployments may choose another, see ``docs/projections.md``).
LATE_ENTRY_AFTER = timedelta(hours=24)

_LAST_MICROSECOND = time(23, 59, 59, 999_999)


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The :class:`ZoneInfo` of a valid IANA name (see :func:`parse_time_zone`)."""
    return ZoneInfo(name)


def parse_time_zone(value: object, field: str = "time_zone") -> str:
    """``value`` as an IANA time zone name (``Asia/Shanghai``, ``UTC``), or an
    :class:`InvalidInputError` naming ``field`` and the value."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "must be an IANA time zone name such as Asia/Shanghai")
    name = value.strip()
    if len(name) > 64 or name.startswith(("/", ".")) or ".." in name or "\\" in name:
        raise InvalidInputError(field, f"{value!r} is not an IANA time zone name")
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            field, f"{value!r} is not an IANA time zone name (for example Asia/Shanghai)"
        ) from None
    return name


def local_date(moment: datetime, time_zone: str) -> date:
    """The day ``moment`` falls on in ``time_zone``."""
    return moment.astimezone(zone(time_zone)).date()


def start_of_day(day: date, time_zone: str) -> datetime:
    """The first instant of ``day`` in ``time_zone`` (aware, in that zone)."""
    return datetime.combine(day, time(0), zone(time_zone))


def end_of_day(day: date, time_zone: str) -> datetime:
    """The last instant of ``day`` in ``time_zone`` (23:59:59.999999 local, aware)."""
    return datetime.combine(day, _LAST_MICROSECOND, zone(time_zone))


def due_at_for(value: date | datetime, time_zone: str) -> datetime:
    """When something given as due ``value`` is due: an instant stays itself; a plain date is
    due by the end of that day in the project's zone."""
    if isinstance(value, datetime):
        return value
    return end_of_day(value, time_zone)


def in_zone(moment: datetime, time_zone: str) -> datetime:
    """``moment`` shown in ``time_zone`` (the same instant, with the local offset)."""
    return moment.astimezone(zone(time_zone))


def is_overdue(due_at: datetime | None, now: datetime, *, live: bool = True) -> bool:
    """The one rule for "overdue": a live item whose due time has passed at ``now``. Due dates
    are instants (a plain date was placed at the end of its day in the project's zone when it
    was recorded), so no zone is needed here."""
    return live and due_at is not None and due_at < now


def require_plausible_occurred_at(value: datetime, field: str = "occurred_at") -> datetime:
    """Refuse an occurred time before :data:`EARLIEST_PLAUSIBLE` (a typo such as ``0226``)."""
    if value < EARLIEST_PLAUSIBLE:
        raise InvalidInputError(
            field,
            f"{value.isoformat()} is before 1990: nothing in a project's ledger happened "
            "then; check the year",
        )
    return value


def require_plausible_due(
    value: datetime | date, field: str, *, now: datetime | None = None
) -> datetime | date:
    """Refuse a due time before 1990 or more than :data:`LATEST_PLAUSIBLE_YEARS_AHEAD` years
    ahead: both are typos of the year."""
    year = value.year
    current = (now or datetime.now(UTC)).year
    if year < EARLIEST_PLAUSIBLE.year:
        raise InvalidInputError(field, f"{value.isoformat()} is before 1990; check the year")
    if year > current + LATEST_PLAUSIBLE_YEARS_AHEAD:
        raise InvalidInputError(
            field,
            f"{value.isoformat()} is more than {LATEST_PLAUSIBLE_YEARS_AHEAD} years ahead; "
            "check the year",
        )
    return value
