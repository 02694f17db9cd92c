"""`accord mail serve`: real SMTP (the standard library's smtplib) into a project's inbox address,
on both backends. Members' mail is recorded at once; strangers get 550 and nothing is stored;
a message accepted but not recorded (a crash) is recorded from the spool at the next start."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

import pytest

from api.mail.smtp import MailServer
from ledger.domain.interaction import Interaction
from ledger.interchange.mailroom import Inbox, inbox_address, short_id_of, slug
from ledger.service.application import Ledger
from ledger.storage.reading import project_events

PM = "pm@acme.test"
SPONSOR = "sponsor@client.test"
ASSISTANT = "assistant@client.test"
STRANGER = "someone@elsewhere.test"
DOMAIN = "mail.accord.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def project(ledger: Ledger) -> UUID:
    project_id = ledger.open_project(
        PM, name="Website Relaunch", client_org="Client", team_org="Acme"
    ).id
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    return project_id


@pytest.fixture
def server(ledger: Ledger, tmp_path: Path) -> Iterator[MailServer]:
    inbox = Inbox(ledger, tmp_path / "spool", domain=DOMAIN)
    server = MailServer(inbox, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        inbox.close()


def message(sender: str, to: str, subject: str, message_id: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = message_id
    m["Date"] = "Mon, 16 Nov 2026 10:00:00 +0800"
    m.set_content("Please find the revised plan attached.\n")
    return m


def recorded(ledger: Ledger, project_id: UUID) -> list[Interaction.Recorded]:
    return [
        e
        for _n, e in project_events(ledger, project_id, [Interaction.Recorded])
        if isinstance(e, Interaction.Recorded)
    ]


def test_the_inbox_address_names_the_project() -> None:
    project_id = UUID("0123456789abcdef0123456789abcdef")
    address = inbox_address(project_id, "Café Relaunch 2027!", DOMAIN)
    assert address == "cafe-relaunch-2027+0123456789ab@mail.accord.test"
    assert short_id_of(address.upper(), DOMAIN) == "0123456789ab"
    assert short_id_of("cafe+0123456789ab@other.test", DOMAIN) is None
    assert slug("项目") == "project"


def test_a_members_mail_is_recorded_before_the_server_answers(
    ledger: Ledger, project: UUID, server: MailServer
) -> None:
    to = inbox_address(project, "Website Relaunch", DOMAIN)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        refused = client.send_message(
            message(SPONSOR, f"Pat <{PM}>", "Revised plan", "<plan-1@client.test>"),
            to_addrs=[to],
        )
    assert refused == {}
    [event] = recorded(ledger, project)
    assert event.subject == "Revised plan"
    assert event.from_address == SPONSOR
    assert event.actor == SPONSOR  # the member who sent it records it
    # The same message again (a retry by the sending server) adds nothing.
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.send_message(
            message(SPONSOR, PM, "Revised plan", "<plan-1@client.test>"), to_addrs=[to]
        )
    assert len(recorded(ledger, project)) == 1


def test_strangers_and_unknown_inboxes_are_refused_and_nothing_is_stored(
    ledger: Ledger, project: UUID, server: MailServer
) -> None:
    to = inbox_address(project, "Website Relaunch", DOMAIN)
    before = ledger.recorder.max_notification_id()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(message(STRANGER, PM, "Hi", "<x@e.test>"), to_addrs=[to])
        code, text = refused.value.recipients[to]
        assert code == 550
        assert b"may not record" in text
        with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
            client.send_message(
                message(SPONSOR, PM, "Hi", "<y@e.test>"),
                to_addrs=[f"nothing+ffffffffffff@{DOMAIN}"],
            )
        assert unknown.value.recipients[f"nothing+ffffffffffff@{DOMAIN}"][0] == 550
        # A member's envelope sender with a stranger's From: header is refused at DATA.
        with pytest.raises(smtplib.SMTPDataError) as forged:
            client.sendmail(SPONSOR, [to], bytes(message(STRANGER, PM, "Forged", "<z@e.test>")))
        assert forged.value.smtp_code == 550
    assert ledger.recorder.max_notification_id() == before


def test_a_sender_a_manager_allowed_is_recorded_by_that_manager(
    ledger: Ledger, project: UUID, server: MailServer
) -> None:
    ledger.allow_mail_sender(PM, project, email=ASSISTANT, name="Ann (Sue's assistant)")
    to = inbox_address(project, "Website Relaunch", DOMAIN)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.send_message(message(ASSISTANT, SPONSOR, "Minutes", "<m-1@c.test>"), to_addrs=[to])
    [event] = recorded(ledger, project)
    assert event.from_address == ASSISTANT
    assert event.actor == PM
    ledger.disallow_mail_sender(PM, project, email=ASSISTANT)
    with (
        smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.send_message(message(ASSISTANT, SPONSOR, "Again", "<m-2@c.test>"), to_addrs=[to])


def test_a_message_left_in_the_spool_is_recorded_at_the_next_start(
    ledger: Ledger, project: UUID, tmp_path: Path
) -> None:
    inbox = Inbox(ledger, tmp_path / "spool", domain=DOMAIN)
    # Accepted (spooled, 250 given) and then the process died before recording it:
    inbox.accept(project, SPONSOR, bytes(message(SPONSOR, PM, "Spooled", "<s-1@c.test>")))
    assert recorded(ledger, project) == []
    server = MailServer(inbox, port=free_port())
    server.start()
    server.stop()
    [event] = recorded(ledger, project)
    assert event.subject == "Spooled"
    assert list((tmp_path / "spool").iterdir()) == []
    inbox.close()
