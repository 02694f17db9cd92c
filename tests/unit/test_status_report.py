"""Status reports: issued (with acknowledgement requests), corrected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.acknowledgement import AcknowledgementSubjectKind, acknowledgement_request_id
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, NotPermittedError
from ledger.domain.project import Member, NotAMemberError
from ledger.domain.roles import Party, Role
from ledger.domain.status_report import StatusReport, StatusReportCorrection

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "sponsor@client.test"
AUDITOR = "auditor@pmo.test"
NOW = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)

MEMBERS = {
    PM: Member(email=PM, name="Pat", party=Party.TEAM, role=Role.TEAM_MANAGER),
    DEV: Member(email=DEV, name="Dev", party=Party.TEAM, role=Role.TEAM_MEMBER),
    CLIENT: Member(email=CLIENT, name="Sue", party=Party.CLIENT, role=Role.CLIENT_APPROVER),
    AUDITOR: Member(email=AUDITOR, name="Al", party=Party.THIRD_PARTY, role=Role.AUDITOR),
}


def act(who: str, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def issued(by: str = PM, **overrides: Any) -> StatusReport:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "project_id": uuid4(),
        "members": MEMBERS,
        "period_start": date(2026, 3, 2),
        "period_end": date(2026, 3, 6),
        "to": ["Sponsor@Client.test", AUDITOR],
        "progress": ["wireframes done "],
        "problems": [],
        "next_steps": ["design review"],
    }
    fields.update(overrides)
    report = StatusReport.issue(act(by), **fields)
    return report


def test_issued_report_keeps_its_content() -> None:
    r = issued()
    assert (r.period_start, r.period_end) == (date(2026, 3, 2), date(2026, 3, 6))
    assert (r.progress, r.problems, r.next_steps) == (("wireframes done",), (), ("design review",))
    assert (r.to, r.cadence_kind, r.issued_by, r.corrections) == (
        (CLIENT, AUDITOR),
        "weekly_report",
        (PM,),
        0,
    )
    (event,) = r.collect_events()
    assert isinstance(event, StatusReport.Issued)


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"period_end": date(2026, 3, 1)}, InvalidInputError, "period_end"),
        ({"period_start": datetime(2026, 3, 2, tzinfo=UTC)}, InvalidInputError, "period_start"),
        ({"period_end": "2026-03-06"}, InvalidInputError, "period_end"),
        ({"to": []}, InvalidInputError, "to"),
        ({"to": ["x@else.test"]}, NotAMemberError, "to"),
        ({"progress": [], "next_steps": []}, InvalidInputError, "progress"),
        ({"problems": [" "]}, InvalidInputError, r"problems\[0\]"),
        ({"cadence_kind": ""}, InvalidInputError, "cadence_kind"),
    ],
)
def test_malformed_reports_are_refused(
    overrides: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        issued(**overrides)


def test_a_one_day_period_is_fine() -> None:
    assert issued(period_start=date(2026, 3, 6)).period_start == date(2026, 3, 6)


def test_acknowledgement_requests_go_to_recipients_but_the_issuer_and_auditors() -> None:
    r = issued(to=[PM, CLIENT, DEV, AUDITOR])
    due = NOW + timedelta(days=3)
    requests = r.request_acknowledgements(act(PM), members=MEMBERS, due_at=due)
    assert [q.person for q in requests] == [CLIENT, DEV]
    assert requests[0].id == acknowledgement_request_id(r.id, 1, CLIENT)
    assert (requests[0].subject_kind, requests[0].subject_version, requests[0].due_at) == (
        AcknowledgementSubjectKind.STATUS_REPORT,
        1,
        due,
    )
    with pytest.raises(InvalidInputError, match="acknowledge_by"):
        r.request_acknowledgements(act(PM), members=MEMBERS, due_at=NOW)
    with pytest.raises(InvalidInputError, match="acknowledge_by"):
        r.request_acknowledgements(act(PM), members=MEMBERS, due_at=datetime(2026, 3, 9))


def test_issuer_corrects_only_the_changed_fields() -> None:
    r = issued()
    r.collect_events()
    r.correct(
        act(PM),
        correction={"problems": ["server outage"], "next_steps": ["design review"]},
        reason="forgot the outage",
    )
    assert (r.problems, r.corrections) == (("server outage",), 1)
    (event,) = r.collect_events()
    assert isinstance(event, StatusReport.Corrected)
    assert event.correction == StatusReportCorrection(problems=("server outage",))
    requests = r.request_acknowledgements(act(PM), members=MEMBERS, due_at=NOW + timedelta(days=1))
    assert requests[0].subject_version == 2


def test_corrected_period_must_stay_ordered() -> None:
    r = issued()
    with pytest.raises(InvalidInputError, match="period_end"):
        r.correct(act(PM), correction={"period_start": date(2026, 3, 9)}, reason="r")
    r.correct(
        act(PM),
        correction={"period_start": date(2026, 3, 9), "period_end": date(2026, 3, 13)},
        reason="wrong week",
    )
    assert (r.period_start, r.period_end) == (date(2026, 3, 9), date(2026, 3, 13))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "changes nothing"),
        ({"progress": ["wireframes done"]}, "changes nothing"),
        ({"to": [CLIENT]}, "changes"),  # recipients are not corrected: the report was sent
        ({"progress": [], "next_steps": []}, "keeps progress"),
        ({"cadence_kind": " "}, "changes.cadence_kind"),
        ({"period_end": "soon"}, "changes"),
    ],
)
def test_malformed_corrections_are_refused(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        issued().correct(act(PM), correction=changes, reason="r")


def test_only_the_issuer_or_a_manager_corrects() -> None:
    r = issued(by=DEV)
    with pytest.raises(NotPermittedError, match="team manager"):
        r.correct(act(CLIENT), correction={"problems": ["x"]}, reason="r")
    r.correct(act(PM, for_=DEV), correction={"problems": ["x"]}, reason="for the issuer")
    r.correct(act(PM), correction={"problems": ["y"]}, reason="manager", manager=True)
    with pytest.raises(InvalidInputError, match="reason"):
        r.correct(act(DEV), correction={"problems": ["z"]}, reason="")
    assert r.problems == ("y",)
