"""Every event type, as stored by the real commands, decodes to an equal event whose stored form
is byte-for-byte the same, on both backends."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from ledger.domain import catalogue
from ledger.service.application import Ledger
from tests.scenarios import record_tour


def test_every_event_type_round_trips_exactly(ledger: Ledger) -> None:
    record_tour(ledger)
    notifications = ledger.recorder.select_notifications(start=1, limit=100_000)
    seen = set()
    for notification in notifications:
        event = ledger.mapper.to_domain_event(notification)
        again = ledger.mapper.to_stored_event(event)
        assert again.state == notification.state, notification.topic
        assert again.topic == notification.topic
        assert ledger.mapper.to_domain_event(again) == event
        seen.add(notification.topic)
    expected = {get_topic(cls) for cls in catalogue.event_classes()}
    assert expected - seen == set(), "event types the tour does not record"
