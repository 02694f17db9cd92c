"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector + GIN): English, Chinese and mixed
text, phrases, prefixes, AND/OR/NOT, person and period filters, as-of, hostile queries, projects
kept apart, the body of an imported email read from its original, and rebuild equals live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from ledger.interchange.importing import Messages, import_emails
from ledger.service.application import Ledger
from projections.asof import LiveViews
from projections.runner import ProjectionRunner
from projections.search import SearchFilter, SearchPage, search
from projections.search_syntax import SearchQueryError
from tests.projections.helpers import dump

PM = "pm@team.test"
DEV = "dev@team.test"
SPONSOR = "sponsor@client.test"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def open_project(ledger: Ledger, name: str = "Portal") -> UUID:
    project_id = ledger.open_project(
        PM, name=name, client_org="C", team_org="T", occurred_at=at(0)
    ).id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    return project_id


def record_history(ledger: Ledger, p: UUID) -> dict[str, str]:
    """Things people wrote, in English, Chinese and both."""
    ids: dict[str, str] = {}
    ids["sso_mail"] = str(
        ledger.record_interaction(
            PM,
            p,
            channel="email",
            subject="Single sign-on for the portal",
            summary="We agreed to deliver single sign-on (SSO) with Azure AD by clause 4.2.1.",
            from_address=PM,
            to=[SPONSOR],
            occurred_at=at(1),
        ).id
    )
    ids["call"] = str(
        ledger.record_interaction(
            SPONSOR,
            p,
            channel="phone",
            subject="",
            summary="Sue called: the staging server is down again; Bobby says deploys fail.",
            from_address=SPONSOR,
            to=[PM],
            occurred_at=at(2),
        ).id
    )
    ids["zh_mail"] = str(
        ledger.record_interaction(
            SPONSOR,
            p,
            channel="email",
            subject="关于单点登录的问题",
            summary="客户要求在下周完成单点登录系统的测试。",
            from_address=SPONSOR,
            to=[DEV],
            occurred_at=at(3),
        ).id
    )
    ids["mixed"] = str(
        ledger.record_interaction(
            DEV,
            p,
            channel="im",
            subject="",
            summary="SSO单点登录 works on staging now; 部署 succeeded.",
            from_address=DEV,
            to=[SPONSOR],
            occurred_at=at(4),
        ).id
    )
    meeting = ledger.hold_meeting(
        PM,
        p,
        title="Weekly review",
        attendees=[PM, DEV, SPONSOR],
        agenda=["Staging outage", "Delivery plan"],
        occurred_at=at(5),
    ).id
    ids["meeting"] = str(meeting)
    ledger.record_minutes(
        PM,
        p,
        meeting,
        discussion_points=["Deployment pipeline flaky", "数据迁移进度"],
        decisions=["Freeze the schema until launch"],
        action_items=[{"owner": DEV, "description": "Fix the deployment pipeline"}],
    )
    ids["commitment"] = str(
        ledger.make_commitment(
            PM,
            p,
            promisor=DEV,
            promisee=SPONSOR,
            statement="Deliver the migration runbook",
            occurred_at=at(6),
        ).id
    )
    ids["risk"] = str(
        ledger.identify_risk(
            PM,
            p,
            description="Vendor may deprecate the SAML endpoint",
            probability="medium",
            impact="high",
            owner=DEV,
            occurred_at=at(7),
        ).id
    )
    return ids


@pytest.fixture
def history(ledger: Ledger, runner: ProjectionRunner) -> tuple[str, dict[str, str]]:
    p = open_project(ledger)
    ids = record_history(ledger, p)
    runner.catch_up()
    return str(p), ids


def find(live: LiveViews, project: str, query: str, **kwargs: object) -> SearchPage:
    return search(live, project, query, **kwargs)  # type: ignore[arg-type]


def subjects(page: SearchPage) -> list[str]:
    return [h["subject_id"] for h in page.hits]


def test_english_words_phrases_prefixes_and_operators(
    history: tuple[str, dict[str, str]], live: LiveViews
) -> None:
    p, ids = history
    assert subjects(find(live, p, "azure")) == [ids["sso_mail"]]
    assert set(subjects(find(live, p, "staging"))) == {ids["call"], ids["mixed"], ids["meeting"]}
    # Case and full-width letters fold.
    assert set(subjects(find(live, p, "\uff33\uff33\uff2f"))) == {ids["sso_mail"], ids["mixed"]}
    # A phrase: the words together, in order.
    assert subjects(find(live, p, '"staging server"')) == [ids["call"]]
    assert subjects(find(live, p, '"server staging"')) == []
    # A word cut by punctuation is a phrase: the clause number, sign-on.
    assert subjects(find(live, p, "4.2.1")) == [ids["sso_mail"]]
    assert subjects(find(live, p, "sign-on")) == [ids["sso_mail"]]
    # Prefixes.
    # (the minutes' action item became a commitment: it says "deployment" too)
    deploy = find(live, p, "deploy*").hits
    assert {(h["subject_id"], h["kind"]) for h in deploy if h["kind"] != "Commitment"} == {
        (ids["call"], "Interaction"),
        (ids["meeting"], "Meeting"),
    }
    assert [h["title"] for h in deploy if h["kind"] == "Commitment"] == [
        "Fix the deployment pipeline"
    ]
    # Whole words otherwise (no stemming): "deploy" is not "deploys".
    assert subjects(find(live, p, "deploy")) == []
    assert subjects(find(live, p, "deploys")) == [ids["call"]]
    # AND (implied), OR, NOT and -.
    assert subjects(find(live, p, "staging bobby")) == [ids["call"]]
    assert set(subjects(find(live, p, "azure OR saml"))) == {ids["sso_mail"], ids["risk"]}
    assert set(subjects(find(live, p, "staging NOT bobby"))) == {ids["mixed"], ids["meeting"]}
    assert set(subjects(find(live, p, "staging -bobby -outage"))) == {ids["mixed"]}
    assert set(subjects(find(live, p, "(azure OR saml) vendor"))) == {ids["risk"]}
    # Minutes: points, decisions, action items; commitments.
    assert subjects(find(live, p, "freeze schema")) == [ids["meeting"]]
    assert ids["commitment"] in subjects(find(live, p, "runbook"))


def test_chinese_any_run_of_characters_and_mixed_text(
    history: tuple[str, dict[str, str]], live: LiveViews
) -> None:
    p, ids = history
    both = {ids["zh_mail"], ids["mixed"]}
    assert set(subjects(find(live, p, "单点登录"))) == both
    assert set(subjects(find(live, p, "点登"))) == both  # two characters from the middle
    assert set(subjects(find(live, p, "登"))) == both  # one character
    assert subjects(find(live, p, "系统的测试")) == [ids["zh_mail"]]
    assert subjects(find(live, p, "测系")) == []  # not in this order
    assert subjects(find(live, p, "SSO单点")) == [ids["mixed"]]
    assert subjects(find(live, p, "数据迁移")) == [ids["meeting"]]
    assert subjects(find(live, p, "单点登录 -部署")) == [ids["zh_mail"]]
    hit = find(live, p, "单点登录").hits[0]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] in ("单点登录", "SSO单点登录")


def test_hits_say_what_when_who_and_where_in_the_log(
    history: tuple[str, dict[str, str]], live: LiveViews
) -> None:
    p, _ = history
    (hit,) = find(live, p, '"staging server"').hits
    assert hit["kind"] == "Interaction"
    assert hit["event_type"] == "Interaction.Recorded"
    assert hit["occurred_at"] == "2026-03-02T11:00:00.000000Z"
    assert set(hit["people"]) == {PM, SPONSOR}
    assert hit["position"] > 0
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end].lower() == "staging server"
    (meeting,) = find(live, p, "freeze").hits
    assert meeting["title"] == "Weekly review"
    assert meeting["event_type"] == "Meeting.MinutesRecorded"


def test_filters_order_and_pages(history: tuple[str, dict[str, str]], live: LiveViews) -> None:
    p, ids = history
    staging = {ids["call"], ids["mixed"], ids["meeting"]}
    by_dev = find(live, p, "staging", where=SearchFilter(person=DEV))
    assert set(subjects(by_dev)) == {ids["mixed"], ids["meeting"]}
    march = SearchFilter(occurred_from=at(1.5), occurred_to=at(4))
    assert set(subjects(find(live, p, "staging", where=march))) == {ids["call"], ids["mixed"]}
    meetings = find(live, p, "staging", where=SearchFilter(kinds=["Meeting"]))
    assert subjects(meetings) == [ids["meeting"]]
    newest = find(live, p, "staging OR sso", order="newest")
    times = [h["occurred_at"] for h in newest.hits]
    assert times == sorted(times, reverse=True)
    # Pages of one: every hit once, then no cursor.
    seen, cursor = [], None
    while True:
        page = find(live, p, "staging", limit=1, cursor=cursor)
        seen.extend(subjects(page))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(staging)


def test_as_of_an_instant(ledger: Ledger, runner: ProjectionRunner, live: LiveViews) -> None:
    p = open_project(ledger)
    mail = ledger.record_interaction(
        PM,
        p,
        channel="email",
        subject="Kickoff",
        summary="budget agreed",
        from_address=PM,
        to=[SPONSOR],
        occurred_at=at(1),
    ).id
    runner.catch_up()
    between = datetime.now(UTC)
    # Recorded later, back-dated to before the first.
    ledger.record_interaction(
        SPONSOR,
        p,
        channel="phone",
        subject="",
        summary="budget questioned",
        from_address=SPONSOR,
        to=[PM],
        occurred_at=at(0.5),
    )
    ledger.retract_interaction(PM, p, mail, reason="wrong project")
    runner.catch_up()
    project = str(p)
    now = find(live, project, "budget")
    assert len(now.hits) == 2
    assert {h["retracted"] for h in now.hits if h["subject_id"] == str(mail)} == {True}
    then = find(live, project, "budget", where=SearchFilter(as_of=between))
    assert subjects(then) == [str(mail)]
    assert then.hits[0]["retracted"] is False  # retracted only later
    occurred = find(live, project, "budget", where=SearchFilter(as_of=at(0.75), basis="occurred"))
    assert [h["snippet"] for h in occurred.hits] == ["budget questioned"]


def test_projects_are_kept_apart(ledger: Ledger, runner: ProjectionRunner, live: LiveViews) -> None:
    a = open_project(ledger, "A")
    b = open_project(ledger, "B")
    ledger.record_interaction(
        PM,
        a,
        channel="email",
        subject="secret",
        summary="zebra crossing 斑马",
        from_address=PM,
        to=[SPONSOR],
    )
    runner.catch_up()
    assert len(find(live, str(a), "zebra").hits) == 1
    assert find(live, str(b), "zebra").hits == []
    assert find(live, str(b), "斑马").hits == []
    assert find(live, str(b), "zebra", where=SearchFilter(person=PM)).hits == []


HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "**",
    "a*b",
    "NEAR(a b)",
    "title:secret",
    "{terms}: x",
    "x AND",
    "OR OR OR",
    "AND x",
    "(((((x",
    "x)))))",
    "^x",
    "x + y",
    "!x",
    "x & y | !z",
    "x <-> y",
    "x:* y:A",
    "'; DROP TABLE documents; --",
    "%_%",
    "\\",
    "\\'",
    "x\x00y",
    "ПРИВЕТ мир",
    "😀 emoji 😀",
    "Ω≈ç√∫",
    "deliver*" * 20,
    "-staging",
    "- -x",
    "x -",
    "x NOT",
    "(x) NOT (y)",
    '"x" * "y"',
    "prj0000 ppl0000",
    "\u202e\u200b\ufeff",
    "a" * 400,
]


def test_hostile_queries_answer_or_explain_never_break(
    history: tuple[str, dict[str, str]], live: LiveViews
) -> None:
    p, _ = history
    for query in HOSTILE:
        for order in ("relevance", "newest"):
            try:
                page = find(live, p, query, order=order)
            except SearchQueryError as e:
                refused = str(e).lower()
            else:
                assert isinstance(page.hits, list)
                continue
            # A reason for a person, never the engine's message.
            assert refused
            assert "fts5" not in refused
            assert "syntax" not in refused


def test_refused_queries_say_why(history: tuple[str, dict[str, str]], live: LiveViews) -> None:
    p, _ = history
    for query, words in (
        ("", "give something"),
        ("!!!", "no word"),
        ("NOT staging", "NOT needs"),
        ("a*", "prefix"),
        ("x " * 30, "too many"),
        ("x" * 600, "too long"),
    ):
        with pytest.raises(SearchQueryError, match=words):
            find(live, p, query)
    with pytest.raises(SearchQueryError) as caught:
        find(live, p, "staging", cursor="nonsense")
    assert caught.value.field == "cursor"


LONG_BODY = " ".join(f"filler{i}" for i in range(600)) + " the quarterly 审计报告 is attached"


def test_the_whole_body_of_an_imported_email_is_found(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    p = open_project(ledger)
    message = (
        "From: sponsor@client.test\r\nTo: pm@team.test\r\n"
        "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\nMessage-ID: <long@mail.test>\r\n"
        "Subject: Numbers\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + LONG_BODY + "\r\n"
    ).encode()
    import_emails(ledger, p, PM, Messages([("long.eml", message)]))
    runner.catch_up()
    # Past the summary's 2,000 characters: read from the stored original.
    for query in ("quarterly", "审计报告", "filler599"):
        (hit,) = find(live, str(p), query).hits
        assert hit["title"] == "Numbers"
    hit = find(live, str(p), "quarterly").hits[0]
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "quarterly"


def test_rebuild_equals_live(
    history: tuple[str, dict[str, str]], runner: ProjectionRunner, live: LiveViews
) -> None:
    p, _ = history
    before = dump(live, runner, ["search"])
    answers = [subjects(find(live, p, q)) for q in ("staging", "单点登录", "deploy*")]
    runner.rebuild("search")
    assert dump(live, runner, ["search"]) == before
    assert [subjects(find(live, p, q)) for q in ("staging", "单点登录", "deploy*")] == answers
