"""Circulating minutes by mail through a relay (a local SMTP sink, aiosmtpd, started here), on
both backends: each recipient gets the minutes and their own way to acknowledge, and every
message sent is itself recorded as an email interaction of the sender."""

from __future__ import annotations

from email import message_from_bytes, policy
from uuid import UUID

import pytest

from ledger.domain.acknowledgement import acknowledgement_request_id
from ledger.domain.interaction import Interaction
from ledger.interchange.mailroom import Outbox, Relay, minutes_circulation
from ledger.service.application import Ledger
from ledger.storage.reading import project_events
from tests.mail.conftest import Sink

PM = "pm@acme.test"
SPONSOR = "sponsor@client.test"
CTO = "cto@client.test"


def circulated_minutes(ledger: Ledger) -> tuple[UUID, UUID]:
    project_id = ledger.open_project(PM, name="Web", client_org="Client", team_org="Acme").id
    for email, name in ((SPONSOR, "Sue"), (CTO, "Cy")):
        ledger.add_member(
            PM, project_id, email=email, name=name, party="client", role="client_approver"
        )
    meeting_id = ledger.hold_meeting(
        PM, project_id, title="Kick-off", attendees=[PM, SPONSOR, CTO]
    ).id
    ledger.record_minutes(
        PM, project_id, meeting_id, discussion_points=["Scope"], decisions=["Launch in May"]
    )
    ledger.circulate_minutes(PM, project_id, meeting_id, to=[SPONSOR, CTO])
    return project_id, meeting_id


def test_circulated_minutes_reach_each_recipient_and_the_sending_is_on_record(
    ledger: Ledger, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    project_id, meeting_id = circulated_minutes(ledger)
    circulation = minutes_circulation(ledger, project_id, meeting_id, base_url="http://a.test")
    relay = Relay.parse(f"smtp://127.0.0.1:{port}")
    sent = Outbox(ledger, relay, domain="mail.accord.test").circulate(PM, circulation)
    assert sorted(s.to for s in sent) == [CTO, SPONSOR]
    assert len(handler.messages) == 2
    for _from, rcpts, raw in handler.messages:
        message = message_from_bytes(raw, policy=policy.default)
        person = next(r for r in rcpts if r in (SPONSOR, CTO))
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert message["Subject"] == "Please confirm: minutes of Kick-off"
        assert "Launch in May" in body
        version = ledger.get_meeting(project_id, meeting_id).minutes_version
        assert version is not None
        request = acknowledgement_request_id(meeting_id, version, person)
        assert str(request) in body  # their own request, nobody else's
        assert any(r.startswith("web+") for r in rcpts)  # the project's inbox gets a copy
    recorded = [
        e
        for _n, e in project_events(ledger, project_id, [Interaction.Recorded])
        if isinstance(e, Interaction.Recorded)
    ]
    assert sorted(e.to[0] for e in recorded) == [CTO, SPONSOR]
    assert {e.actor for e in recorded} == {PM}
    assert {e.source_ref for e in recorded} == {s.message_id.strip("<>") for s in sent}


def test_nothing_is_sent_for_minutes_never_circulated(ledger: Ledger) -> None:
    project_id = ledger.open_project(PM, name="Web", client_org="Client", team_org="Acme").id
    meeting_id = ledger.hold_meeting(PM, project_id, title="Kick-off", attendees=[PM]).id
    with pytest.raises(ValueError, match="not been circulated"):
        minutes_circulation(ledger, project_id, meeting_id)
