"""Time as people mean it, in the domain: zones, local days, plausible dates, words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from ledger.domain import wording
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError
from ledger.domain.project import Project
from ledger.domain.time import (
    due_at_for,
    end_of_day,
    is_overdue,
    local_date,
    parse_time_zone,
    require_plausible_due,
    start_of_day,
)

PM = "pm@acme.test"


def test_time_zone_names_are_checked_and_named_in_the_error() -> None:
    assert parse_time_zone(" Asia/Shanghai ") == "Asia/Shanghai"
    assert parse_time_zone("UTC") == "UTC"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "+08:00", 8):
        with pytest.raises(InvalidInputError) as caught:
            parse_time_zone(bad)
        assert caught.value.field == "time_zone"


def test_days_end_in_the_zone_far_from_utc_on_both_sides() -> None:
    # Kiritimati is UTC+14: its Friday ends on Friday 09:59:59 UTC.
    friday = date(2026, 9, 25)
    assert end_of_day(friday, "Pacific/Kiritimati").astimezone(UTC) == datetime(
        2026, 9, 25, 9, 59, 59, 999_999, tzinfo=UTC
    )
    # Pago Pago is UTC-11: its Friday ends on Saturday 10:59:59 UTC.
    assert end_of_day(friday, "Pacific/Pago_Pago").astimezone(UTC) == datetime(
        2026, 9, 26, 10, 59, 59, 999_999, tzinfo=UTC
    )
    assert start_of_day(friday, "Asia/Shanghai").isoformat() == "2026-09-25T00:00:00+08:00"
    assert local_date(datetime(2026, 9, 25, 20, tzinfo=UTC), "Pacific/Kiritimati") == date(
        2026, 9, 26
    )


def test_a_plain_due_date_is_due_by_the_end_of_that_local_day() -> None:
    due = due_at_for(date(2026, 9, 26), "Asia/Shanghai")
    assert due.isoformat() == "2026-09-26T23:59:59.999999+08:00"
    instant = datetime(2026, 9, 26, 12, tzinfo=UTC)
    assert due_at_for(instant, "Asia/Shanghai") is instant
    assert not is_overdue(due, due)
    assert is_overdue(due, due + timedelta(microseconds=1))
    assert not is_overdue(due, due + timedelta(days=1), live=False)
    assert not is_overdue(None, due)


@pytest.mark.parametrize(
    "typo", [datetime(226, 9, 1, tzinfo=UTC), datetime(1900, 1, 1, tzinfo=UTC)]
)
def test_occurred_times_before_1990_are_refused_naming_field_and_value(typo: datetime) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Act(PM, occurred_at=typo)
    assert caught.value.field == "occurred_at"
    assert typo.isoformat() in caught.value.message
    assert "1990" in caught.value.message
    Act(PM, occurred_at=datetime(1990, 1, 1, tzinfo=UTC))  # the first plausible instant


def test_due_dates_with_a_typo_in_the_year_are_refused() -> None:
    now = datetime(2026, 9, 1, tzinfo=UTC)
    for typo in (date(226, 9, 1), date(2226, 9, 1), datetime(1899, 1, 1, tzinfo=UTC)):
        with pytest.raises(InvalidInputError, match="check the year") as caught:
            require_plausible_due(typo, "due_at", now=now)
        assert caught.value.field == "due_at"
    assert require_plausible_due(date(2030, 1, 1), "due_at", now=now) == date(2030, 1, 1)


def test_a_project_has_a_zone_and_changes_it_by_an_event() -> None:
    project = Project.open(
        Act(PM), id=uuid4(), name="P", client_org="C", team_org="T", time_zone="Asia/Shanghai"
    )
    assert project.time_zone == "Asia/Shanghai"
    project.change_time_zone(Act(PM), time_zone="Pacific/Kiritimati")
    assert project.time_zone == "Pacific/Kiritimati"
    assert type(project.collect_events()[-1]).__qualname__ == "Project.TimeZoneChanged"
    with pytest.raises(InvalidTransitionError, match="already"):
        project.change_time_zone(Act(PM), time_zone="Pacific/Kiritimati")
    with pytest.raises(InvalidInputError, match="time_zone"):
        project.change_time_zone(Act(PM), time_zone="Nowhere/Special")
    default = Project.open(Act(PM), id=uuid4(), name="P", client_org="C", team_org="T")
    assert default.time_zone == "UTC"


def test_old_opened_events_upcast_to_utc() -> None:
    state: dict[str, object] = {"name": "P"}
    Project.Opened.upcast_v1_v2(state)
    assert state["time_zone"] == "UTC"
    assert Project.Opened.class_version == 2


def test_periods_in_words_in_english_and_chinese() -> None:
    cases = {
        "P7D": ("every week", "每周"),
        "P1W": ("every week", "每周"),
        "P2W": ("every 2 weeks", "每2周"),
        "P14D": ("every 2 weeks", "每2周"),
        "P1D": ("every day", "每天"),
        "P10D": ("every 10 days", "每10天"),
        "P1M": ("every month", "每月"),
        "P3M": ("every 3 months", "每3个月"),
        "P1Y": ("every year", "每年"),
        "P1M2D": ("every 1 month and 2 days", "每1个月2天"),
    }
    for duration, (en, zh) in cases.items():
        assert wording.every(duration) == en
        assert wording.every(duration, "zh-Hans") == zh
    assert wording.period("P7D") == "1 week"


def test_codes_in_words_and_people_by_name() -> None:
    assert wording.role("team_member") == "team member"
    assert wording.role("client_approver", "zh-Hans") == "客户审批人"
    assert wording.party("third_party") == "a third party"
    assert wording.party("client", "zh-Hans") == "客户"
    assert wording.side("team") == "the team's side"
    assert wording.cadence_kind("weekly_report", "zh-Hans") == "周报"
    assert wording.cadence_kind("fortnightly_demo") == "fortnightly demo"  # unknown: plain
    assert wording.state("awaiting_decision") == "awaiting decision"
    assert wording.kind("change_request", "zh-Hans") == "变更请求"
    names = {"sam@client.test": "Sam Okafor", "x@client.test": "x@client.test"}
    assert wording.person("sam@client.test", names) == "Sam Okafor"
    assert wording.person("x@client.test", names) == "x@client.test"
    assert wording.person("nobody@else.test", names.get) == "nobody@else.test"
    for column in ("ball_party", "occurred_at", "originator_version"):
        assert wording.column_of(wording.header(column)) == column
        assert wording.column_of(wording.header(column, "zh-Hans")) == column
