"""What a page answers for an address it cannot use (over HTTP, no browser): its own error page
in the reader's language, saying which part of the address is at fault — a NUL character (400,
before any handler sees it, while the JSON API keeps problem+json), a parameter too long or of
the wrong kind — and the timeline names the project's opener as the JSON timeline does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any, Literal, get_origin
from uuid import UUID

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.routers import account, ack, forms, history, integrity, projects, search, subjects
from ledger.service.application import Ledger

PM = "pat.morgan@acme-digital.example"


@dataclass
class Site:
    client: TestClient
    ledger: Ledger
    project_id: UUID
    token: str

    def sign_in(self) -> None:
        self.client.cookies.clear()
        page = self.client.get("/sign-in")
        key = re.search(r'name="form_key" value="([^"]+)"', page.text)
        assert key is not None
        answer = self.client.post(
            "/sign-in",
            data={"token": self.token, "form_key": key.group(1), "next": "/projects"},
            follow_redirects=False,
        )
        assert answer.status_code == 303

    def page(self, path: str, status: int, **headers: str) -> str:
        """The heading of the page at ``path`` (a raw address: ``%00`` stays as written)."""
        answer = self.client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.status_code, answer.text[-400:])
        assert answer.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "\x00" not in answer.text
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", answer.text, re.S)
        assert heading is not None, answer.text
        return unescape(re.sub(r"<[^>]+>", " ", heading.group(1))).strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('page-errors') / 'accord.db'}"
    ledger = Ledger(url)
    pid = ledger.open_project(
        PM, name="Portal", client_org="Northwind", team_org="Acme", actor_name="Pat Morgan"
    ).id
    app = create_app(Settings(database_url=url, checkpoint_seconds=0), ledger=ledger)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = app.state.services.tokens.create(PM).token
        yield Site(client, ledger, pid, token)
    ledger.close()


def test_a_nul_in_a_page_address_is_the_web_error_page_in_the_readers_language(
    site: Site,
) -> None:
    site.sign_in()
    pid = site.project_id
    for path, part in (
        ("/projects?x=a%00b", "its parameter “x”"),
        (f"/projects/{pid}/search?q=kumquat%00", "its parameter “q”"),
        (f"/projects/{pid}/timeline?person=%00", "its parameter “person”"),
        (f"/projects/{pid}/timeline%00", "its path"),
        ("/sign-in?next=/projects%00", "its parameter “next”"),
        ("/static/%00app.css", "its path"),
        ("/projects?%00=x", "its parameter “query”"),
    ):
        heading = site.page(path, 400)
        assert heading == f"This address cannot be opened: {part} holds a NUL character (%00).", (
            path
        )
    chinese = site.page(f"/projects/{pid}/timeline?person=%00", 400, **{"accept-language": "zh"})
    assert chinese == "无法打开此地址：其参数“person”含有 NUL 字符（%00）。"  # noqa: RUF001
    # The page leads nowhere near the refused address: the language switch goes back to /.
    answer = site.client.get(f"/projects/{pid}/timeline?person=%00")
    assert "next=%2F" in answer.text
    assert "person" not in answer.text.split("</h1>", 1)[1]
    # Signed out, the same page (no sign-in detour with the address in it).
    site.client.cookies.clear()
    assert "holds a NUL character" in site.page(f"/projects/{pid}?x=%00", 400)


def test_a_nul_never_reaches_a_handler_and_the_json_api_keeps_problem_json(site: Site) -> None:
    site.sign_in()
    pid = site.project_id
    head = site.ledger.recorder.max_notification_id()
    page = site.client.get(f"/projects/{pid}/record/interaction")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {
        "csrf": csrf.group(1),
        "channel": "phone",
        "subject": "Call",
        "summary": "s",
        "from_address": PM,
    }
    refused = site.client.post(
        f"/projects/{pid}/record/interaction?x=%00", data=form, follow_redirects=False
    )
    assert refused.status_code == 400
    assert "holds a NUL character" in refused.text
    assert site.ledger.recorder.max_notification_id() == head  # nothing recorded
    headers = {"Authorization": f"Bearer {site.token}"}
    for path, field in (
        (f"/v1/projects/{pid}/timeline?x=%00", "x"),
        (f"/v1/projects/{pid}%00", "path"),
        ("/health?probe=%00", "probe"),
    ):
        answer = site.client.get(path, headers=headers)
        assert answer.status_code == 422, path
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == f"{field}: must not contain NUL (%00)"


def _web_routes_with_query_parameters() -> list[tuple[str, list[Any]]]:
    """Every page (GET) of the web app with query parameters, and those parameters."""
    found = []
    for module in (account, ack, forms, history, integrity, projects, search, subjects):
        for route in module.router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            if route.dependant.query_params:
                found.append((route.path, route.dependant.query_params))
    return found


def _max_length(parameter: Any) -> int | None:
    for rule in parameter.field_info.metadata:
        limit = getattr(rule, "max_length", None)
        if limit is not None:
            return int(limit)
    return None


def test_every_page_names_the_parameter_that_is_too_long_or_wrong(site: Site) -> None:
    site.sign_in()
    pid = site.project_id
    routes = _web_routes_with_query_parameters()
    assert len(routes) >= 6  # sign-in, language, timeline, replay, promises, integrity...
    checked = 0
    for path, parameters in routes:
        url = path.replace("{project_id}", str(pid)).replace("{code}", "en")
        if "{" in url:
            continue
        for parameter in parameters:
            name = parameter.alias
            limit = _max_length(parameter)
            if limit is not None:
                heading = site.page(f"{url}?{name}={'x' * (limit + 1)}", 400)
                assert heading == (
                    f"This address cannot be opened: “{name}” is too long "
                    f"(at most {limit:,} characters)."
                ), (url, name)
                checked += 1
            elif (
                parameter.field_info.annotation is bool
                or get_origin(parameter.field_info.annotation) is Literal
            ):
                heading = site.page(f"{url}?{name}=maybe", 400)
                assert heading == (
                    f"This address cannot be opened: “{name}” has a value this page cannot use."
                ), (url, name)
                checked += 1
    assert checked >= 20
    bad_cursor = site.page(f"/projects/{pid}/timeline?cursor=nonsense", 400)
    assert "“cursor” has a value this page cannot use" in bad_cursor
    chinese = site.page(
        f"/projects/{pid}/timeline?person={'x' * 300}", 400, **{"accept-language": "zh-CN"}
    )
    assert chinese == "无法打开此地址：“person”过长（最多 254 个字符）。"  # noqa: RUF001


def test_an_over_long_search_is_the_search_pages_own_message(site: Site) -> None:
    site.sign_in()
    for length in (501, 2_001, 8_000):
        answer = site.client.get(f"/projects/{site.project_id}/search", params={"q": "k" * length})
        assert answer.status_code == 400
        assert 'role="search"' in answer.text  # the search page, with its form to correct it
        assert "The query is too long: at most 500 characters." in unescape(answer.text)


def test_a_person_filter_that_is_not_an_address_says_so(site: Site) -> None:
    site.sign_in()
    pid = site.project_id
    said = "Person: “alice” is not an email address (write it as name@example.com)."
    for path in ("timeline", "promises"):
        assert site.page(f"/projects/{pid}/{path}?person=alice", 400) == said, path
    answer = site.client.get(f"/projects/{pid}/search", params={"q": "k", "person": "alice"})
    assert answer.status_code == 400
    assert 'role="search"' in answer.text
    assert said in unescape(answer.text)
    chinese = site.page(f"/projects/{pid}/timeline?person=alice", 400, **{"accept-language": "zh"})
    assert chinese == "人员：“alice”不是电子邮件地址（请写成 name@example.com）。"  # noqa: RUF001
    assert site.page(f"/projects/{pid}/timeline?person=+{PM.upper()}+", 200) == "Timeline"


def test_the_web_and_json_timelines_name_the_opener(site: Site) -> None:
    site.sign_in()
    pid = site.project_id
    head = site.ledger.recorder.max_notification_id()
    headers = {"Authorization": f"Bearer {site.token}"}
    lines = site.client.get(
        f"/v1/projects/{pid}/timeline", params={"wait_for": str(head)}, headers=headers
    ).json()["items"]
    assert lines[0]["narrative"] == (
        "Pat Morgan opened the project “Portal” for Northwind (days counted in UTC)"
    )
    assert lines[0]["actor"] == PM
    page = unescape(site.client.get(f"/projects/{pid}/timeline").text)
    assert "Pat Morgan opened the project “Portal”" in page
    assert f"{PM} opened" not in page
