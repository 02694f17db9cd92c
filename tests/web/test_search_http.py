"""The search page over HTTP (no browser): hits with escaped, highlighted snippets in the
project's time zone; every hostile or malformed query, filter and cursor is a message on the
page, never a 500; members only, and one project's text never shows in another's search."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.routers.search import REASONS, highlighted
from ledger.service.application import Ledger
from projections.search_syntax import SearchQueryError, parse

PM = "pat.morgan@acme-digital.example"
CLIENT = "chris.nguyen@northwind.example"
OUTSIDER = "olga.outsider@elsewhere.example"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class Site:
    client: TestClient
    project_id: UUID
    other_id: UUID
    tokens: dict[str, str]

    def sign_in(self, email: str) -> None:
        self.client.cookies.clear()
        page = self.client.get("/sign-in")
        key = re.search(r'name="form_key" value="([^"]+)"', page.text)
        assert key is not None
        answer = self.client.post(
            "/sign-in",
            data={"token": self.tokens[email], "form_key": key.group(1), "next": "/projects"},
            follow_redirects=False,
        )
        assert answer.status_code == 303

    def search(self, status: int = 200, project: UUID | None = None, **params: str) -> str:
        answer = self.client.get(f"/projects/{project or self.project_id}/search", params=params)
        assert answer.status_code == status, (params, answer.status_code, answer.text[-600:])
        assert answer.headers["content-type"].startswith("text/html")
        return answer.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'accord.db'}"
    ledger = Ledger(url)
    pid = ledger.open_project(
        PM, name="Portal", client_org="Northwind", team_org="Acme", time_zone="Asia/Shanghai"
    ).id
    ledger.add_member(
        PM, pid, email=CLIENT, name="Chris Nguyen", party="client", role="client_member"
    )
    ledger.record_interaction(
        PM,
        pid,
        channel="email",
        subject="Kumquat login",
        summary=f"The kumquat pilot needs 单点登录 first. {HOSTILE} kumquat again.",
        from_address=CLIENT,
        to=[PM],
        occurred_at=datetime(2026, 11, 23, 23, 30, tzinfo=UTC),
    )
    for i in range(21):  # more than a page
        ledger.record_interaction(
            PM, pid, channel="im", subject=f"Tangerine {i}", summary="tangerine", from_address=PM
        )
    other = ledger.open_project(OUTSIDER, name="Elsewhere", client_org="E", team_org="E").id
    ledger.record_interaction(
        OUTSIDER,
        other,
        channel="phone",
        subject="Zanzibar call",
        summary="Zanzibar kumquat secret",
        from_address=OUTSIDER,
    )
    app = create_app(Settings(database_url=url, checkpoint_seconds=0), ledger=ledger)
    tokens = {e: app.state.services.tokens.create(e).token for e in (PM, CLIENT, OUTSIDER)}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runner = app.state.services.runner
        assert runner.wait_for(runner.head(), timeout=20)
        yield Site(client, pid, other, tokens)
    ledger.close()


def test_a_hit_is_escaped_highlighted_linked_and_in_the_project_time_zone(site: Site) -> None:
    site.sign_in(CLIENT)
    page = site.search(q="kumquat")
    assert "<mark>kumquat</mark>" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    link = r'href="/projects/[0-9a-f-]+/items/interactions/[0-9a-f-]+">Kumquat login'
    assert re.search(link, page)
    # 23:30 UTC is the next morning in Shanghai.
    assert re.search(r"<time[^>]*>24 Nov 2026, 07:30</time>", page)
    assert "Chris Nguyen" in page
    assert re.search(r"log position \d+", page)
    assert "Zanzibar" not in page  # the other project's hit with the same word
    # Chinese, by any run of its characters; the page in Chinese.
    page = site.client.get(
        f"/projects/{site.project_id}/search",
        params={"q": "登录"},
        headers={"accept-language": "zh-CN"},
    ).text
    assert "单点<mark>登录</mark>" in page
    assert "搜索记录" in page


def test_hostile_and_malformed_queries_are_messages_not_errors(site: Site) -> None:
    site.sign_in(PM)
    for query in (
        '"',
        '"unbalanced',
        "((kumquat",
        "kumquat)",
        "kumquat NEAR pilot",
        "NEAR(kumquat pilot)",
        "kumquat*",
        "k* OR",
        "'; DROP TABLE search_docs; --",
        "kumquat AND AND OR",
        '"kumquat" -"pilot"',
        "\\\"'`$(){}[]",
        HOSTILE,
        "中文 (",
        "x" * 600,
    ):
        answer = site.client.get(f"/projects/{site.project_id}/search", params={"q": query})
        assert answer.status_code in (200, 400), (query, answer.status_code)
        assert "<script>alert" not in answer.text, query
        if answer.status_code == 400:
            assert 'role="alert"' in answer.text, query
            assert "This query cannot be searched." in answer.text, query
    # A NUL is refused before any page (api/middleware.py), as on every page: 422, not 5xx.
    answer = site.client.get(f"/projects/{site.project_id}/search", params={"q": "a\x00"})
    assert answer.status_code == 422
    for query, message in (
        ("*", "only punctuation or operators"),
        ('"', "only punctuation or operators"),
        ("NOT kumquat", "NOT needs something to exclude from"),
        ("k*", "A prefix needs at least 2 letters"),
        ("(" * 12 + "kumquat", "Too many nested parentheses"),
        ("x" * 600, "The query is too long: at most 500 characters."),
        (" ".join(f"w{i}" for i in range(30)), "Too many words"),
    ):
        page = site.search(400, q=query)
        assert message in unescape(page), query
    assert "at most" in site.search(400, q="x" * 600)  # shown in the page, not the 400 page
    # Filters and cursor: messages too.
    assert "give a date like" in site.search(400, q="kumquat", **{"from": "yesterday"})
    assert "no such kind" in site.search(400, q="kumquat", kind="Nonsense")
    assert "out of date" in site.search(400, q="kumquat", cursor="garbage")
    assert "relevance or newest" in site.search(400, q="kumquat", order="random")
    # In Chinese too.
    page = site.client.get(
        f"/projects/{site.project_id}/search",
        params={"q": "NOT kumquat"},
        headers={"accept-language": "zh-CN"},
    ).text
    assert "NOT 需要有排除的对象" in page


def test_every_reason_of_the_search_function_has_a_translated_message() -> None:
    for query in ("*", "NOT a", "a*", "(" * 12 + "a", "x" * 600, " ".join(["w"] * 30)):
        with pytest.raises(SearchQueryError) as raised:
            parse(query)
        assert any(p.match(str(raised.value)) for p, _ in REASONS), str(raised.value)


def test_empty_query_shows_the_syntax_and_the_box_is_on_every_page(site: Site) -> None:
    site.sign_in(PM)
    page = site.search(q="")
    assert "How to write a query" in page
    assert "sso NOT saml" in page
    for path in ("", "/timeline", "/promises", "/integrity", "/replay"):
        page = site.client.get(f"/projects/{site.project_id}{path}").text
        assert 'role="search"' in page, path
        assert f'action="/projects/{site.project_id}/search"' in page, path
    # Replay to a day: the box searches as of that day.
    page = site.client.get(f"/projects/{site.project_id}/replay?at=2026-11-01").text
    assert '<input type="hidden" name="at" value="2026-11-01">' in page
    assert "<mark>" not in site.search(q="kumquat", at="2026-11-01")  # recorded later
    assert "what was on record then" in site.search(400, q="kumquat", at="2026-11-01", basis="x")
    assert "<mark>kumquat</mark>" in site.search(q="kumquat", at="2026-12-31", basis="occurred")


def test_filters_paging_and_newest(site: Site) -> None:
    site.sign_in(PM)
    assert "<mark>kumquat</mark>" in site.search(q="kumquat", person=CLIENT, order="newest")
    assert "Nothing matches." in site.search(q="kumquat", person=OUTSIDER)
    assert "Nothing matches." in site.search(q="kumquat", to="2026-11-20")
    assert "<mark>" in site.search(q="kumquat", **{"from": "2026-11-24"})  # Shanghai's day
    assert "Nothing matches." in site.search(q="kumquat", **{"from": "2026-11-25"})
    assert "<mark>" in site.search(q="kumquat", kind="Interaction")
    assert "Nothing matches." in site.search(q="kumquat", kind="Commitment")
    assert "<mark>" in site.search(q='"kumquat pilot" OR zzz')
    assert "Nothing matches." in site.search(q="kumquat NOT pilot")
    first = site.search(q="tangerine", order="newest")
    assert first.count("<mark>tangerine</mark>") == 20
    assert "Tangerine 20" in first
    more = re.search(r'<a href="([^"]+)" rel="next">More results</a>', first)
    assert more is not None
    assert "order=newest" in unescape(more.group(1))
    answer = site.client.get(f"/projects/{site.project_id}/search{unescape(more.group(1))}")
    assert answer.text.count("<mark>tangerine</mark>") == 1
    assert "Tangerine 0<" in answer.text
    assert 'rel="next"' not in answer.text
    page = site.search(q="kumquat", cursor="20.999999")
    assert "Nothing matches." in page
    assert "Back to the first results" in page


def test_members_only_and_never_across_projects(site: Site) -> None:
    site.sign_in(OUTSIDER)
    answer = site.client.get(f"/projects/{site.project_id}/search", params={"q": "kumquat"})
    assert answer.status_code == 404
    assert "Kumquat" not in answer.text
    page = site.search(project=site.other_id, q="kumquat")
    assert "Zanzibar call" in page
    assert "Kumquat login" not in page
    site.sign_in(PM)
    assert "Nothing matches." in site.search(q="zanzibar")
    site.client.cookies.clear()
    answer = site.client.get(
        f"/projects/{site.project_id}/search", params={"q": "x"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "/sign-in" in answer.headers["location"]


def test_highlighting_escapes_and_never_drops_text() -> None:
    text = '<b>"a" & b</b>'
    html = str(highlighted(text, [(4, 5), (9, 10), (4, 6), (50, 60)]))
    assert html == "&lt;b&gt;&#34;<mark>a</mark>&#34; &amp; <mark>b</mark>&lt;/b&gt;"
    assert unescape(re.sub("</?mark>", "", html)) == text
