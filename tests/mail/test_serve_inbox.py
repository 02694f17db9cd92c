"""`accord serve --mail-port`: on the demo ledger, a message sent with smtplib to the demo's inbox
address is in the project's timeline (HTTP) within a second, on both backends."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import httpx

from api.tokens import TokenStore
from ledger.interchange.demo import PROJECT_NAME, record_demo
from ledger.interchange.mailroom import inbox_address
from ledger.service.application import Ledger
from ledger.storage.sql import SqlDatabase
from tests.mail.test_smtp_inbox import free_port

ACCORD = str(Path(sys.executable).with_name("accord"))


def test_mail_to_the_demo_inbox_is_in_its_timeline_within_a_second(
    database_url: str, tmp_path: Path
) -> None:
    ledger = Ledger(database_url)
    try:
        demo = record_demo(ledger)
        manager = demo.people["project manager"]
        sponsor = demo.people["client sponsor"]
    finally:
        ledger.close()
    db = SqlDatabase(database_url)
    try:
        from api.bootstrap import create_tables

        create_tables(db)
        token = TokenStore(db).create(manager).token
    finally:
        db.close()
    http_port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_MAIL_SPOOL": str(tmp_path / "spool"),
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [ACCORD, "serve", "--port", str(http_port), "--mail-port", str(smtp_port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{http_port}"
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    smtplib.SMTP("127.0.0.1", smtp_port, timeout=1).quit()
                    break
            except (httpx.HTTPError, OSError):
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        project = httpx.get(f"{base}/v1/projects/{demo.project_id}", headers=headers).json()
        address = project["inbox_address"]
        assert address == inbox_address(demo.project_id, PROJECT_NAME)
        message = EmailMessage()
        message["From"] = sponsor
        message["To"] = manager
        message["Subject"] = "Go-live date: a question from the board"
        message["Message-ID"] = "<board-question-1@northwind.example>"
        message.set_content("Can we move the go-live one week earlier?\n")
        sent = time.monotonic()
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(message, to_addrs=[address])
        found = False
        while time.monotonic() - sent < 1.0 and not found:
            found = any(
                "Go-live date: a question from the board" in row["narrative"]
                for row in timeline_rows(base, demo.project_id, headers)
            )
        rows = timeline_rows(base, demo.project_id, headers)
        assert found, [r["narrative"] for r in rows if "Interaction" in r["type"]][-3:]
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def timeline_rows(base: str, project_id: object, headers: dict[str, str]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(
            f"{base}/v1/projects/{project_id}/timeline", params=params, headers=headers
        ).json()
        rows += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return rows
