"""The web app as people use it, in headless Chromium: sign in, read the demo's home page,
replay to a date and see the old milestone, approve a change as the client's approver,
acknowledge minutes by a link with no account; a member of another project gets 404 and a
client member is not offered approval. Every page visited passes axe-core (no serious or
critical violation) and is saved as a screenshot."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.domain.acknowledgement import acknowledgement_request_id
from ledger.interchange.demo import AUDITOR, CLIENT, PM, SPONSOR
from tests.web.conftest import HOSTILE, Site

BLOCKING = ("serious", "critical")
ZH_WHOSE_MOVE = "轮到谁了？"  # noqa: RUF001 (the Chinese question mark is meant)


def check(page: Page, name: str, artifacts: Path) -> None:
    """axe-core finds no serious or critical violation; a screenshot is kept; nothing hostile
    ran (the page's title and text show hostile strings as text)."""
    from axe_playwright_python.sync_playwright import Axe

    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]
    assert not violations, f"{name}: " + "\n".join(violations)


def sign_in(browser: Browser, site: Site, email: str, locale: str = "en-GB") -> Page:
    context = browser.new_context(locale=locale, base_url=site.base_url)
    page = context.new_page()
    page.on("dialog", lambda d: pytest.fail(f"a script ran: dialog {d.message!r}"))
    page.goto("/sign-in")
    page.get_by_label(re.compile("API token|API 令牌")).fill(site.tokens[email])
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    return page


def test_manager_signs_in_and_reads_the_home_page(
    browser: Browser, site: Site, artifacts: Path
) -> None:
    page = browser.new_context(base_url=site.base_url).new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile("/sign-in"))
    check(page, "sign-in", artifacts)
    page.close()

    page = sign_in(browser, site, PM)
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
    check(page, "projects", artifacts)
    page.get_by_role("link", name="Northwind customer portal").first.click()
    expect(page.get_by_role("heading", name="Whose move is it?")).to_be_visible()
    # The client's overdue promise, under the person whose move it is.
    expect(page.get_by_role("table", name="Chris Nguyen's move")).to_contain_text(
        "Provide brand guidelines and logo files"
    )
    expect(page.get_by_role("heading", name="Waiting for acknowledgement")).to_be_visible()
    expect(page.get_by_role("heading", name="Missed reports")).to_be_visible()
    expect(page.get_by_text("No weekly report for the period").first).to_be_visible()
    expect(page.get_by_role("img", name="Commitments kept on time")).to_be_visible()
    check(page, "home", artifacts)
    page.screenshot(path=str(artifacts / "home-viewport.png"))  # docs/images/web-home.png

    for link, name in (
        ("Timeline", "timeline"),
        ("Who promised what", "promises"),
        ("Integrity", "integrity"),
        ("Record", "record"),
    ):
        page.get_by_role("navigation", name="Project").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check(page, name, artifacts)
    page.get_by_role("navigation", name="Project").get_by_role(
        "link", name="Who promised what"
    ).click()
    expect(page.get_by_role("table")).to_contain_text("Both sides are on record")
    page.get_by_role("link", name="Send the project plan").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("link", name="Download evidence")).to_be_visible()
    check(page, "commitment", artifacts)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download evidence").click()
    assert download.value.suggested_filename.endswith(".zip")
    page.get_by_role("link", name="Verify this subject").click()
    expect(page.get_by_role("table", name=re.compile("inclusion proof"))).to_contain_text(
        "Included"
    )
    expect(page.get_by_text("Not verified")).to_have_count(0)
    check(page, "integrity-verified", artifacts)
    page.context.close()


def test_a_page_for_every_kind_of_subject(browser: Browser, site: Site, artifacts: Path) -> None:
    page = sign_in(browser, site, PM)
    page.goto(f"/projects/{site.project_id}/timeline")
    links = page.locator("table.timeline a[href*='/items/']")
    by_kind: dict[str, str] = {}
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        kind = href.split("/items/")[1].split("/")[0]
        by_kind.setdefault(kind, href.split("#")[0])
    assert set(by_kind) >= {
        "commitments",
        "change-requests",
        "expectations",
        "issues",
        "decisions",
        "risks",
        "meetings",
        "interactions",
        "status-reports",
        "acknowledgements",
    }
    for kind, href in sorted(by_kind.items()):
        answer = page.goto(href)
        assert answer is not None
        assert answer.status == 200, href
        expect(page.get_by_role("heading", name="History")).to_be_visible()
        check(page, f"subject-{kind}", artifacts)
    answer = page.goto(f"/projects/{site.project_id}/items/risks/{site.project_id}")
    assert answer is not None
    assert answer.status == 404
    check(page, "not-found", artifacts)
    page.context.close()


def test_home_page_says_when_something_new_is_recorded(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, PM)
    page.goto(f"/projects/{site.project_id}")
    expect(page.get_by_role("heading", name="Whose move is it?")).to_be_visible()
    page.wait_for_timeout(500)  # the page's event stream is open
    site.ledger.record_interaction(
        CLIENT,
        site.project_id,
        channel="im",
        subject="Quick question",
        summary="Any news?",
        from_address=CLIENT,
        to=[PM],
    )
    expect(page.get_by_role("status")).to_contain_text("New events were recorded")
    page.context.close()


def test_replay_to_a_date_shows_the_old_milestone(
    browser: Browser, site: Site, artifacts: Path
) -> None:
    beta = _expectation(site, "Beta release")
    first, now = beta.provenance[0], beta.provenance[-1]
    old_date, new_date = first["value"]["date"], now["value"]["date"]
    assert old_date != new_date
    before_change = (first_occurred(site) + timedelta(days=10)).date().isoformat()

    page = sign_in(browser, site, PM)
    page.goto(f"/projects/{site.project_id}/replay")
    page.get_by_label("As of").fill(before_change)
    page.get_by_role("button", name="Show").click()
    baseline = page.get_by_role("table", name=re.compile("The baseline as of"))
    expect(baseline.get_by_role("row", name=re.compile("Beta release"))).to_contain_text(old_date)
    check(page, "replay", artifacts)

    page.get_by_label("As of").fill(page.get_by_label("As of").get_attribute("max") or "")
    page.get_by_label("Compare with").fill(before_change)
    page.get_by_role("button", name="Show").click()
    changes = page.get_by_role("table", name="Changes to the baseline")
    row = changes.get_by_role("row", name=re.compile("Beta release"))
    expect(row).to_contain_text(new_date)
    expect(row.get_by_role("link", name="Single sign-on with Azure AD")).to_be_visible()
    expect(row).to_contain_text("approved by Sam Okafor")
    check(page, "replay-diff", artifacts)
    page.context.close()


def test_client_approver_approves_a_change(browser: Browser, site: Site, artifacts: Path) -> None:
    page = sign_in(browser, site, SPONSOR)
    page.goto(f"/projects/{site.project_id}/items/change-requests/{site.change_for_sponsor}")
    expect(page.get_by_role("heading", name="Invoice PDF export")).to_be_visible()
    check(page, "change-request-approver", artifacts)
    page.get_by_label("Conditions (optional)").fill("Ship it with the beta")
    page.get_by_role("button", name="Approve the change").click()
    expect(page.get_by_text("approved", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Approve the change")).to_have_count(0)
    change = site.ledger.get_change_request(site.project_id, site.change_for_sponsor)
    assert str(change.state) == "approved"
    page.context.close()


def test_client_member_is_not_offered_approval_and_is_refused(
    browser: Browser, site: Site, artifacts: Path
) -> None:
    page = sign_in(browser, site, CLIENT)
    url = f"/projects/{site.project_id}/items/change-requests/{site.change_for_client}"
    page.goto(url)
    expect(page.get_by_role("heading", name="Dark mode")).to_be_visible()
    expect(page.get_by_role("button", name="Approve the change")).to_have_count(0)
    expect(page.get_by_role("button", name="Reject the change")).to_have_count(0)
    check(page, "change-request-client-member", artifacts)
    # Forced anyway (a crafted form with a valid session and CSRF token): refused.
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"{url}/steps/approve", form={"csrf": csrf or ""})
    assert answer.status == 403
    change = site.ledger.get_change_request(site.project_id, site.change_for_client)
    assert str(change.state) == "assessed"
    page.context.close()


def test_minutes_acknowledged_by_link_without_an_account(
    browser: Browser, site: Site, artifacts: Path
) -> None:
    page = sign_in(browser, site, PM)
    page.goto(f"/projects/{site.project_id}/timeline?kind=meetings")
    page.get_by_role("link", name="Meeting").first.click()
    expect(page.get_by_role("heading", name="Kickoff")).to_be_visible()
    page.get_by_role("button", name="Make a link for Chris Nguyen").click()
    link = page.get_by_label("Link for Chris Nguyen").input_value()
    assert "/ack/" in link
    check(page, "meeting-with-links", artifacts)
    page.context.close()

    stranger = browser.new_context()  # no session, no cookies
    page = stranger.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Kickoff")).to_be_visible()
    expect(
        page.get_by_text("Portal scope confirmed: orders, invoices, support tickets")
    ).to_be_visible()
    check(page, "ack-link", artifacts)
    page.get_by_label(re.compile("Comment")).fill("Agreed, thanks")
    page.get_by_role("button", name="I acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    # The same link again: the answer, nothing more to do; an altered link opens nothing.
    page.goto(link)
    expect(page.get_by_role("button", name="I acknowledge")).to_have_count(0)
    answer = page.goto(link[:-3] + "abc")
    assert answer is not None
    assert answer.status == 404
    stranger.close()

    meeting = _kickoff(site)
    request = site.ledger.get_acknowledgement_request(
        site.project_id, acknowledgement_request_id(meeting.id, meeting.minutes_version, CLIENT)
    )
    assert str(request.state) == "acknowledged"
    last = list(site.ledger.events.get(request.id))[-1]
    assert last.actor == CLIENT  # type: ignore[attr-defined]


def test_member_of_another_project_gets_404(browser: Browser, site: Site) -> None:
    from tests.web.conftest import OUTSIDER

    page = sign_in(browser, site, OUTSIDER)
    for path in ("", "/timeline", "/replay", f"/items/change-requests/{site.change_for_client}"):
        answer = page.goto(f"/projects/{site.project_id}{path}")
        assert answer is not None, path
        assert answer.status == 404, path
    page.goto("/projects")
    expect(page.get_by_role("link", name="Northwind customer portal")).to_have_count(0)
    page.context.close()


def test_auditor_is_offered_no_forms(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, AUDITOR)
    page.goto(f"/projects/{site.project_id}")
    expect(
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Record")
    ).to_have_count(0)
    answer = page.goto(f"/projects/{site.project_id}/record/interaction")
    assert answer is not None
    assert answer.status == 403
    page.context.close()


def test_chinese_by_accept_language_and_the_switch(
    browser: Browser, site: Site, artifacts: Path
) -> None:
    page = sign_in(browser, site, PM, locale="zh-CN")
    page.goto(f"/projects/{site.project_id}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name=ZH_WHOSE_MOVE)).to_be_visible()
    check(page, "home-zh", artifacts)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Whose move is it?")).to_be_visible()
    page.context.close()


def test_keyboard_alone_signs_in_and_reaches_the_timeline(browser: Browser, site: Site) -> None:
    page = browser.new_context(base_url=site.base_url).new_page()
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    token = page.get_by_label("API token")
    for _ in range(10):
        page.keyboard.press("Tab")
        if token.evaluate("e => e === document.activeElement"):
            break
    expect(token).to_be_focused()
    page.keyboard.type(site.tokens[PM])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
    link = page.get_by_role("link", name="Northwind customer portal").first
    link.focus()
    page.keyboard.press("Enter")
    timeline = page.get_by_role("navigation", name="Project").get_by_role("link", name="Timeline")
    timeline.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    page.context.close()


def test_hostile_text_is_shown_as_text_everywhere(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, PM)
    pid = site.project_id
    for path in (
        f"/projects/{pid}",
        f"/projects/{pid}/timeline",
        f"/projects/{pid}/promises",
        f"/projects/{pid}/replay",
        f"/projects/{pid}/items/commitments/{site.hostile_commitment}",
        f"/projects/{pid}/record/commitment",
        f"/projects/{pid}/timeline?person=eve@evil.example",
    ):
        page.goto(path)
        assert page.locator("script:not([src])").count() == 0, path
        assert page.locator("img[onerror]").count() == 0, path
    page.goto(f"/projects/{pid}/items/commitments/{site.hostile_commitment}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOSTILE)
    page.goto(f"/projects/{pid}/promises")
    expect(page.get_by_role("table").get_by_text(f"Eve {HOSTILE}").first).to_be_visible()
    page.context.close()


# ------------------------------------------------------------------------------- helpers


def _expectation(site: Site, title: str) -> Any:
    from projections import queries as q
    from projections.asof import LiveViews

    views = LiveViews(site.app.state.services.runner)  # type: ignore[attr-defined]
    for e in q.expectations(views, str(site.project_id)):
        if e["title"] == title:
            return type("E", (), e)
    raise AssertionError(title)


def first_occurred(site: Site) -> Any:
    from projections.framework import parse_iso

    beta = _expectation(site, "Beta release")
    return parse_iso(beta.provenance[0]["occurred_at"])


def _kickoff(site: Site) -> Any:
    services = site.app.state.services  # type: ignore[attr-defined]
    for row in services.index.items(site.project_id, "meeting", after=0, limit=50):
        meeting = site.ledger.get_meeting(site.project_id, row.item_id)
        if meeting.title == "Kickoff":
            return meeting
    raise AssertionError("no kickoff")
