"""`accord mail pull` against a real IMAP server (Dovecot, started by the fixture) on both
backends: every message recorded once, across passes, restarts and a kill -9 mid-pull."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest

from ledger.domain.interaction import Interaction
from ledger.interchange.mailroom import Mailbox, PullState, pull_once
from ledger.service.application import Ledger
from ledger.storage.reading import project_events
from ledger.storage.sql import SqlDatabase
from tests.dovecot import DovecotServer, running_dovecot

PM = "pm@acme.test"
SPONSOR = "sponsor@client.test"
ACCORD = str(Path(sys.executable).parent / "accord")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with running_dovecot() as server:
        yield server


def mail(n: int, folder_tag: str) -> bytes:
    m = EmailMessage()
    m["From"] = f"Sue <{SPONSOR}>"
    m["To"] = PM
    m["Subject"] = f"Feedback {n}"
    m["Message-ID"] = f"<{folder_tag}-{n}@client.test>"
    m["Date"] = "Tue, 17 Nov 2026 09:00:00 +0100"
    m.set_content(f"Point {n}: the header is too large on mobile.\n")
    return bytes(m)


def project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(PM, name="Web", client_org="Client", team_org="Acme").id
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    return project_id


def subjects(ledger: Ledger, project_id: UUID) -> list[str]:
    return sorted(
        e.subject
        for _n, e in project_events(ledger, project_id, [Interaction.Recorded])
        if isinstance(e, Interaction.Recorded)
    )


def test_each_message_is_recorded_once_across_passes(
    ledger: Ledger, dovecot: DovecotServer
) -> None:
    folder = f"Pull{os.getpid()}{ledger.recorder.__class__.__name__[:4]}"
    project_id = project(ledger)
    for n in range(3):
        dovecot.append(mail(n, folder), folder)
    mailbox = Mailbox.parse(dovecot.url(folder))
    db = SqlDatabase(ledger.storage)
    state = PullState(db)
    try:
        first = pull_once(ledger, mailbox, dovecot.password, project_id, PM, state)
        assert (first.fetched, first.imported) == (3, 3)
        again = pull_once(ledger, mailbox, dovecot.password, project_id, PM, state)
        assert (again.fetched, again.imported) == (0, 0)
        dovecot.append(mail(3, folder), folder)
        later = pull_once(ledger, mailbox, dovecot.password, project_id, PM, state)
        assert (later.fetched, later.imported) == (1, 1)
        assert subjects(ledger, project_id) == [f"Feedback {n}" for n in range(4)]
        # The state names the mailbox without a password.
        assert state.get(mailbox.key, project_id) == (first.uidvalidity, later.last_uid)
        assert dovecot.password not in mailbox.key
    finally:
        db.close()


def test_a_password_in_the_url_is_refused() -> None:
    with pytest.raises(ValueError, match="password"):
        Mailbox.parse("imap://pm:secret@127.0.0.1/INBOX")


def test_a_pull_killed_mid_way_resumes_without_duplicates(
    database_url: str, dovecot: DovecotServer, tmp_path: Path
) -> None:
    folder = f"Kill{os.getpid()}{abs(hash(database_url)) % 10_000}"
    ledger = Ledger(database_url)
    try:
        project_id = project(ledger)
    finally:
        ledger.close()
    for n in range(60):
        dovecot.append(mail(n, folder), folder)
    password_file = tmp_path / "imap-password"
    password_file.write_text(dovecot.password)
    command = [
        ACCORD, "mail", "pull", "--imap", dovecot.url(folder), "--project", str(project_id),
        "--as", PM, "--password-file", str(password_file),
    ]  # fmt: skip
    env = {**os.environ, "ACCORD_DATABASE_URL": database_url}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ledger = Ledger(database_url)
    try:
        assert subjects(ledger, project_id) == sorted(f"Feedback {n}" for n in range(60))
    finally:
        ledger.close()
    # A third run finds nothing new.
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert "0 fetched" in again.stdout, again.stdout + again.stderr
