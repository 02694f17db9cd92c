"""The web app in a real browser: one server (uvicorn on a free loopback port, a fresh SQLite
ledger with the demo) and one headless Chromium — Debian's ``chromium`` package, never a browser
that Playwright downloads — for the whole session.

If the browser cannot start the tests skip with the reason, except under CI (``CI=true``), where
they fail: a green run must have driven a browser.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
import uvicorn

from api.app import create_app
from api.settings import Settings
from ledger.interchange.demo import AUDITOR, CLIENT, DEV, PM, SPONSOR, record_demo
from ledger.service.application import Ledger

ARTIFACTS = Path(os.environ.get("ACCORD_TEST_ARTIFACTS", "test-artifacts")) / "web"
OUTSIDER = "olga.outsider@elsewhere.example"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;"\''


@dataclass
class Site:
    base_url: str
    project_id: UUID
    other_project_id: UUID
    tokens: dict[str, str]
    change_for_sponsor: UUID
    change_for_client: UUID
    hostile_commitment: UUID
    ledger: Ledger
    app: object

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'accord.db'}"
    ledger = Ledger(url)
    demo = record_demo(ledger)
    pid = demo.project_id
    now = datetime.now(UTC)
    changes = []
    for title in ("Invoice PDF export", "Dark mode"):
        cr = ledger.request_change(PM, pid, title=title, description=f"{title}, please.").id
        ledger.assess_impact(PM, pid, cr, scope_impact="One more screen", schedule_delta_days=2)
        changes.append(cr)
    hostile = ledger.make_commitment(
        PM,
        pid,
        promisor=DEV,
        promisee=SPONSOR,
        statement=f"Hostile {HOSTILE}",
        due_at=now + timedelta(days=2),
    ).id
    ledger.record_interaction(
        PM,
        pid,
        channel="email",
        subject=f"Subject {HOSTILE}",
        summary=f"Body {HOSTILE}",
        from_address=SPONSOR,
        to=[PM],
    )
    ledger.add_member(
        PM,
        pid,
        email="eve@evil.example",
        name=f"Eve {HOSTILE}",
        party="client",
        role="client_member",
    )
    ledger.make_commitment(
        PM,
        pid,
        promisor="eve@evil.example",
        promisee=PM,
        statement="Eve's promise",
        attributed_to="eve@evil.example",
    )
    other = ledger.open_project(
        OUTSIDER,
        name="Another project",
        client_org="Elsewhere",
        team_org="Elsewhere",
    ).id
    settings = Settings(database_url=url, checkpoint_seconds=0, projections_poll_seconds=0.05)
    app = create_app(settings, ledger=ledger)
    services = app.state.services
    tokens = {
        email: services.tokens.create(email, label="web tests").token
        for email in (PM, SPONSOR, CLIENT, AUDITOR, DEV, OUTSIDER)
    }
    services.integrity.make_checkpoint()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="web-tests-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    assert services.runner.wait_for(services.runner.head(), timeout=30)
    try:
        yield Site(
            f"http://127.0.0.1:{port}",
            pid,
            other,
            tokens,
            changes[0],
            changes[1],
            hostile,
            ledger,
            app,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        ledger.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
