"""The everyday forms through HTTP (no browser): each records through the same command as its
JSON route, with the signed-in person as actor; CSRF and roles are enforced; what comes back is
escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ledger.interchange.demo import AUDITOR, CLIENT, DEV, PM, SPONSOR, record_demo
from ledger.service.application import Ledger

MINUTES = b"""# Design review

Date: 2026-11-20 10:00 UTC
Place: Video call
Attendees: pat.morgan@acme-digital.example, sam.okafor@northwind.example
Agenda: designs

## Discussion points
- Designs reviewed.

## Decisions
- Keep the blue palette.

## Action items
- [ ] @dana.lee@acme-digital.example Update the palette (due 2026-12-20)
"""

MBOX = b"""From sam.okafor@northwind.example Mon Nov 23 10:00:00 2026
From: Sam Okafor <sam.okafor@northwind.example>
To: pat.morgan@acme-digital.example
Subject: Invoices <b>now</b>
Message-ID: <web-test-1@northwind.example>
Date: Mon, 23 Nov 2026 10:00:00 +0000

Can we see invoices in the portal? <script>alert(1)</script>
"""


class Site:
    def __init__(
        self, client: TestClient, ledger: Ledger, project_id: UUID, tokens: dict[str, str]
    ):
        self.client, self.ledger, self.project_id, self.tokens = client, ledger, project_id, tokens

    def settle(self) -> None:
        """Wait until the views have applied every event (pages read the views)."""
        runner = self.client.app.state.services.runner  # type: ignore[attr-defined]
        assert runner.wait_for(runner.head(), timeout=10)

    def sign_in(self, email: str) -> str:
        """Sign in as ``email``; returns the session's CSRF token."""
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
        home = self.client.get(f"/projects/{self.project_id}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
        assert csrf is not None
        return csrf.group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('forms') / 'accord.db'}"
    ledger = Ledger(url)
    demo = record_demo(ledger)
    app = create_app(Settings(database_url=url, checkpoint_seconds=0), ledger=ledger)
    tokens = {
        e: app.state.services.tokens.create(e).token for e in (PM, DEV, SPONSOR, CLIENT, AUDITOR)
    }
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Site(client, ledger, demo.project_id, tokens)
    ledger.close()


def _created(answer: object, kind: str) -> UUID:
    location = answer.headers["location"]  # type: ignore[attr-defined]
    match = re.search(rf"/items/{kind}/([0-9a-f-]{{36}})$", location)
    assert match, location
    return UUID(match.group(1))


def test_record_a_call_make_fulfil_and_withdraw_commitments(site: Site) -> None:
    csrf = site.sign_in(DEV)
    base = f"/projects/{site.project_id}"
    answer = site.client.post(
        f"{base}/record/interaction",
        data={
            "csrf": csrf,
            "channel": "phone",
            "from": SPONSOR,
            "to": [DEV],
            "subject": "Palette <i>call</i>",
            "summary": "Blue it is.",
            "occurred_at": "2026-11-20T09:30",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    interaction = site.ledger.get_interaction(site.project_id, _created(answer, "interactions"))
    assert interaction.subject == "Palette <i>call</i>"
    page = site.client.get(answer.headers["location"])
    assert "Palette &lt;i&gt;call&lt;/i&gt;" in page.text

    made = []
    for statement in ("Send the palette", "Send the fonts"):
        answer = site.client.post(
            f"{base}/record/commitment",
            data={
                "csrf": csrf,
                "promisor": DEV,
                "promisee": SPONSOR,
                "statement": statement,
                "due_at": "2026-12-31",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        made.append(_created(answer, "commitments"))
    first, second = made
    assert site.ledger.get_commitment(site.project_id, first).promisor == DEV
    page = site.client.get(f"{base}/items/commitments/{first}")
    assert "Mark fulfilled" in page.text
    answer = site.client.post(
        f"{base}/items/commitments/{first}/steps/fulfil",
        data={"csrf": csrf, "note": "Sent by email", "version": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert str(site.ledger.get_commitment(site.project_id, first).state) == "fulfilled"
    answer = site.client.post(
        f"{base}/items/commitments/{second}/steps/withdraw",
        data={"csrf": csrf, "reason": "Not needed", "version": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert str(site.ledger.get_commitment(site.project_id, second).state) == "withdrawn"
    # A stale form (version 1 of an item now at 2) is refused, nothing stored.
    answer = site.client.post(
        f"{base}/items/commitments/{second}/steps/withdraw",
        data={"csrf": csrf, "reason": "Again", "version": "1"},
    )
    assert answer.status_code in (409, 412)
    # The promisee accepts: the sponsor sees the step, the developer does not.
    csrf = site.sign_in(SPONSOR)
    assert "Accept the fulfilment" in site.client.get(f"{base}/items/commitments/{first}").text


def test_raise_assess_reject_a_change_request(site: Site) -> None:
    csrf = site.sign_in(CLIENT)
    base = f"/projects/{site.project_id}"
    form = site.client.get(f"{base}/record/change-request").text
    scope = re.search(r'name="affected" value="([0-9a-f-]{36})"> Portal scope', form)
    assert scope is not None
    answer = site.client.post(
        f"{base}/record/change-request",
        data={
            "csrf": csrf,
            "title": "Export to PDF",
            "description": "Invoices as PDF.",
            "rationale": "Archiving",
            "affected": [scope.group(1)],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    change = _created(answer, "change-requests")
    assert (
        "Record the assessment"
        not in site.client.get(f"{base}/items/change-requests/{change}").text
    )

    csrf = site.sign_in(PM)
    page = site.client.get(f"{base}/items/change-requests/{change}").text
    assert "Record the assessment" in page
    assert "Approve the change" not in page
    answer = site.client.post(
        f"{base}/items/change-requests/{change}/steps/assess",
        data={
            "csrf": csrf,
            "scope_impact": "A PDF renderer",
            "schedule_delta_days": "3",
            "cost_amount": "1200",
            "cost_currency": "EUR",
            f"revise_{scope.group(1)}": "Orders, invoices (with PDF) and tickets",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assessed = site.ledger.get_change_request(site.project_id, change)
    assert str(assessed.state) == "assessed"
    assert len(assessed.revisions) == 1

    csrf = site.sign_in(SPONSOR)
    answer = site.client.post(
        f"{base}/items/change-requests/{change}/steps/reject",
        data={"csrf": csrf, "reason": "Not this phase", "version": str(assessed.version)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert str(site.ledger.get_change_request(site.project_id, change).state) == "rejected"


def test_the_client_agrees_to_a_revision_on_the_expectations_page(site: Site) -> None:
    """The PM proposes moving a date naming the sponsor: the page shows it awaiting the sponsor,
    and only the sponsor (signed in) gets the form that agrees."""
    p = site.project_id
    scope = site.ledger.set_expectation(
        PM, p, kind="milestone", title="Web agreement", value={"date": "2026-12-01"}
    ).id
    proposed = site.ledger.revise_expectation(
        PM, p, scope, value={"date": "2026-12-08"}, agreed_by=[SPONSOR], reason="heard on a call"
    )
    site.settle()
    base = f"/projects/{p}/items/expectations/{scope}"
    site.sign_in(PM)
    page = site.client.get(base).text
    assert "Awaiting the agreement of" in page
    assert "I agree" not in page
    csrf = site.sign_in(SPONSOR)
    page = site.client.get(base).text
    assert "I agree" in page
    answer = site.client.post(
        f"{base}/steps/agree-expectation",
        data={"csrf": csrf, "version": str(proposed.version)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    agreed = site.ledger.get_expectation(p, scope)
    assert str(agreed.value.date) == "2026-12-08"
    assert list(site.ledger.events.get(scope))[-1].actor == SPONSOR


def test_upload_minutes_and_a_mailbox_then_circulate(site: Site) -> None:
    csrf = site.sign_in(PM)
    base = f"/projects/{site.project_id}"
    answer = site.client.post(
        f"{base}/record/minutes",
        data={"csrf": csrf},
        files={"file": ("review.md", MINUTES, "text/markdown")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:500]
    meeting_id = _created(answer, "meetings")
    meeting = site.ledger.get_meeting(site.project_id, meeting_id)
    assert meeting.title == "Design review"
    answer = site.client.post(
        f"{base}/items/meetings/{meeting_id}/steps/circulate",
        data={"csrf": csrf, "to": [SPONSOR, CLIENT], "acknowledge_by": "2026-12-31"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = site.client.get(f"{base}/items/meetings/{meeting_id}").text
    links = re.findall(r'value="(http://127\.0\.0\.1/ack/[^"]+)"', page)
    assert len(links) == 2  # one personal link per recipient

    answer = site.client.post(
        f"{base}/record/mailbox",
        data={"csrf": csrf},
        files={"file": ("inbox.mbox", MBOX, "application/mbox")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    site.settle()
    timeline = site.client.get(f"{base}/timeline?kind=interactions").text
    assert "Invoices &lt;b&gt;now&lt;/b&gt;" in timeline
    assert "<b>now</b>" not in timeline


def test_broken_minutes_say_which_line(site: Site) -> None:
    csrf = site.sign_in(PM)
    answer = site.client.post(
        f"/projects/{site.project_id}/record/minutes",
        data={"csrf": csrf},
        files={"file": ("broken.md", b"# Nothing\n\nDate: yesterday\n", "text/markdown")},
    )
    assert answer.status_code == 400
    assert "line" in answer.text


def test_forms_without_csrf_or_by_auditors_are_refused(site: Site) -> None:
    base = f"/projects/{site.project_id}"
    site.sign_in(PM)
    answer = site.client.post(
        f"{base}/record/commitment",
        data={"csrf": "forged", "promisor": PM, "promisee": SPONSOR, "statement": "x"},
    )
    assert answer.status_code == 403
    csrf = site.sign_in(AUDITOR)
    assert site.client.get(f"{base}/record/commitment").status_code == 403
    answer = site.client.post(
        f"{base}/record/commitment",
        data={"csrf": csrf, "promisor": AUDITOR, "promisee": SPONSOR, "statement": "x"},
    )
    assert answer.status_code == 403


def test_pages_carry_the_security_headers(site: Site) -> None:
    site.sign_in(PM)
    answer = site.client.get(f"/projects/{site.project_id}")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    cookie = site.client.post("/sign-in", data={}, follow_redirects=False)
    assert cookie.status_code == 403  # no form key: refused before any token is looked at
    # The session cookie is HttpOnly and SameSite=Lax.
    site.client.cookies.clear()
    page = site.client.get("/sign-in")
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert key is not None
    signed = site.client.post(
        "/sign-in",
        data={"token": site.tokens[PM], "form_key": key.group(1)},
        follow_redirects=False,
    )
    header = signed.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "accord_session=" in header


def test_sign_out_ends_the_session(site: Site) -> None:
    csrf = site.sign_in(PM)
    assert (
        site.client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False).status_code
        == 303
    )
    answer = site.client.get(f"/projects/{site.project_id}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in")


def test_errors_on_pages_are_pages_and_on_the_api_problems(site: Site) -> None:
    site.sign_in(PM)
    for path, status in (
        ("/projects/not-a-uuid", 404),
        ("/nowhere", 404),
        (f"/projects/{site.project_id}/timeline?from=yesterday", 400),
        ("/ack/ack_0123.forged", 404),
    ):
        answer = site.client.get(path)
        assert answer.status_code == status, path
        assert answer.headers["content-type"].startswith("text/html"), path
    answer = site.client.get("/v1/projects/not-a-uuid")
    assert answer.headers["content-type"] == "application/problem+json"


def test_revoking_the_token_ends_its_sessions(site: Site) -> None:
    services = site.client.app.state.services  # type: ignore[attr-defined]
    issued = services.tokens.create(PM, label="to revoke")
    site.tokens["revoked"] = issued.token
    site.sign_in("revoked")
    assert site.client.get(f"/projects/{site.project_id}").status_code == 200
    services.tokens.revoke(issued.token_id)
    answer = site.client.get(f"/projects/{site.project_id}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in")
