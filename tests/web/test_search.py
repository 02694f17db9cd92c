"""Searching the record in headless Chromium: from the search box of any page (reached by the
keyboard), an English and a Chinese word of an imported email's body and of a call note are
found, highlighted and followed to their page; hostile queries are messages; another project's
text is not found; the results page passes axe-core, in English and in Chinese."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.interchange.demo import CLIENT, PM, SPONSOR
from ledger.interchange.importing.emails import import_message
from tests.web.conftest import OUTSIDER, Site
from tests.web.test_browser import check, sign_in

EMAIL = f"""From: Sam Okafor <{SPONSOR}>
To: {PM}
Subject: Pomelo sign-in before the pilot
Message-ID: <search-web-1@northwind.example>
Date: Mon, 23 Nov 2026 10:00:00 +0000
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hello Pat,

the pomelo pilot needs 单点登录 (single sign-on) first.
<img src=x onerror=alert(1)> is what the old portal showed.
""".encode()


@pytest.fixture(scope="module")
def recorded(site: Site) -> Site:
    """An imported email and a call note in the demo project, and the same rare word in the
    other project; the views have applied them."""
    result = import_message(site.ledger, site.project_id, PM, EMAIL)
    assert result.interaction_id is not None, result
    site.ledger.record_interaction(
        PM,
        site.project_id,
        channel="phone",
        subject="Call about the quince migration",
        summary="Chris agreed the quince migration of the 测试服务器 happens next week.",
        from_address=PM,
        to=[CLIENT],
    )
    site.ledger.record_interaction(
        OUTSIDER,
        site.other_project_id,
        channel="email",
        subject="Elsewhere pomelo",
        summary="Pomelo and durian, elsewhere only.",
        from_address=OUTSIDER,
    )
    runner = site.app.state.services.runner  # type: ignore[attr-defined]
    assert runner.wait_for(runner.head(), timeout=30)
    return site


def _search_from_the_box(page: Page, words: str) -> None:
    box = page.get_by_role("search").get_by_role("searchbox")
    box.fill(words)
    box.press("Enter")
    expect(page.get_by_role("heading", name="Search the record")).to_be_visible()


def test_words_of_an_email_body_and_a_call_note_in_english_and_chinese(
    browser: Browser, recorded: Site, artifacts: Path
) -> None:
    page = sign_in(browser, recorded, PM)
    page.goto(f"/projects/{recorded.project_id}")
    # The keyboard reaches the search box right after the skip link and the brand.
    box = page.get_by_role("searchbox", name="Words to find in this project")
    for _ in range(4):
        page.keyboard.press("Tab")
        if box.evaluate("e => e === document.activeElement"):
            break
    expect(box).to_be_focused()
    page.keyboard.type("pomelo")
    page.keyboard.press("Enter")
    hits = page.locator("ol.hits > li")
    expect(hits).to_have_count(1)  # not the other project's email
    expect(hits.first.locator("mark").first).to_have_text(re.compile("pomelo", re.I))
    expect(hits.first).to_contain_text("<img src=x onerror=alert(1)>")  # text, not an image
    assert page.locator("img[onerror]").count() == 0
    check(page, "search-results", artifacts)
    hits.first.get_by_role("link", name="Pomelo sign-in before the pilot").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pomelo sign-in")

    for words, title, marked in (
        ("单点登录", "Pomelo sign-in before the pilot", "单点登录"),
        ("quince", "Call about the quince migration", "quince"),
        ("服务器", "Call about the quince migration", "服务器"),
    ):
        _search_from_the_box(page, words)
        hit = page.locator("ol.hits > li").filter(has_text=title)
        expect(hit).to_have_count(1)
        expect(hit.locator("mark").first).to_have_text(re.compile(marked, re.I))
        hit.get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)

    _search_from_the_box(page, "durian")  # the other project's word
    expect(page.get_by_role("status")).to_contain_text("Nothing matches.")
    page.context.close()


def test_hostile_queries_are_messages_and_the_empty_one_explains(
    browser: Browser, recorded: Site, artifacts: Path
) -> None:
    page = sign_in(browser, recorded, PM)
    base = f"/projects/{recorded.project_id}/search"
    page.goto(base)
    expect(page.get_by_role("heading", name="How to write a query")).to_be_visible()
    check(page, "search-empty", artifacts)
    for query in ('"', '"pomelo', "(pomelo", "pomelo NEAR pilot", "*", "NOT pomelo", ')"(*'):
        answer = page.goto(f"{base}?q={quote(query)}")
        assert answer is not None
        assert answer.status in (200, 400), query
        if answer.status == 400:
            expect(page.get_by_role("alert")).to_contain_text("This query cannot be searched.")
    hostile = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
    page.goto(f"{base}?q={quote(hostile)}")
    expect(page.get_by_role("searchbox")).to_have_value(hostile)
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("img[onerror]").count() == 0
    page.goto(f"{base}?q=NOT+pomelo")
    check(page, "search-error", artifacts)
    page.context.close()


def test_chinese_results_page_and_outsiders(
    browser: Browser, recorded: Site, artifacts: Path
) -> None:
    page = sign_in(browser, recorded, PM, locale="zh-CN")
    page.goto(f"/projects/{recorded.project_id}/search?q=登录")
    expect(page.get_by_role("heading", name="搜索记录")).to_be_visible()
    expect(page.locator("ol.hits mark").first).to_have_text("登录")
    check(page, "search-results-zh", artifacts)
    page.context.close()

    page = sign_in(browser, recorded, OUTSIDER)
    answer = page.goto(f"/projects/{recorded.project_id}/search?q=pomelo")
    assert answer is not None
    assert answer.status == 404
    page.goto(f"/projects/{recorded.other_project_id}/search?q=pomelo")
    expect(page.locator("ol.hits > li")).to_have_count(1)
    expect(page.locator("ol.hits")).to_contain_text("Elsewhere pomelo")
    page.context.close()
