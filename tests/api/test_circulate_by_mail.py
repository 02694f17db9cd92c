"""Circulating minutes over the JSON API with a relay configured (ACCORD_SMTP_URL, a local SMTP
sink): each recipient is mailed their own personal acknowledgement link, which opens without an
account, and the sending is on record — on both backends."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from ledger.domain.interaction import Interaction
from ledger.storage.reading import project_events
from tests.api.conftest import APPROVER, CLIENT, TM, Api
from tests.mail import conftest as mail_fixtures
from tests.mail.conftest import Sink

sink = mail_fixtures.sink  # the local SMTP sink, as a fixture of this module too


@pytest.fixture
def relay(sink: tuple[Sink, int], monkeypatch: pytest.MonkeyPatch) -> Sink:
    handler, port = sink
    monkeypatch.setenv("ACCORD_SMTP_URL", f"smtp://127.0.0.1:{port}")
    return handler


def test_circulating_minutes_mails_each_recipient_their_link(api: Api, relay: Sink) -> None:
    meeting = api.post(
        api.url("/meetings"), {"title": "Sprint review", "attendees": [TM, CLIENT, APPROVER]}
    ).json()
    minutes = api.post(
        api.url(f"/meetings/{meeting['id']}/minutes"),
        {"discussion_points": ["Demo of search"], "decisions": ["Ship search in March"]},
    )
    assert minutes.status_code in (200, 201), minutes.text
    answer = api.post(
        api.url(f"/meetings/{meeting['id']}/minutes/circulate"), {"to": [CLIENT, APPROVER]}
    )
    assert answer.status_code == 200, answer.text
    assert len(relay.messages) == 2
    links = {}
    for _from, rcpts, raw in relay.messages:
        message = message_from_bytes(raw, policy=policy.default)
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Ship search in March" in body
        person = next(r for r in rcpts if r in (CLIENT, APPROVER))
        found = re.search(r"http://testserver(/ack/\S+)", body)
        assert found, body
        links[person] = found[1]
    assert links[CLIENT] != links[APPROVER]
    page = api.client.get(links[CLIENT])  # no token, no cookie: the link is the credential
    assert page.status_code == 200
    assert "Sprint review" in page.text
    sent = [
        e
        for _n, e in project_events(api.ledger, api.project_id, [Interaction.Recorded])
        if isinstance(e, Interaction.Recorded)
    ]
    assert sorted(e.to[0] for e in sent) == sorted([CLIENT, APPROVER])
    assert {e.actor for e in sent} == {TM}
