"""The feed's two ways from a stored event to JSON agree, on an event of every type."""

from __future__ import annotations

from api.feed import StoredEventJson, event_json
from ledger.domain.catalogue import event_classes
from ledger.service.application import Ledger
from tests.scenarios import record_tour


def test_direct_and_decoded_documents_are_equal_for_every_event_type(ledger: Ledger) -> None:
    record_tour(ledger)
    direct = StoredEventJson(ledger.mapper)
    seen = set()
    for notification in ledger.recorder.select_notifications(1, 100_000):
        state = direct.load(notification)
        assert state is not None
        reference = event_json(notification, ledger.mapper.to_domain_event(notification))
        assert direct._document(notification, state) == reference  # not the fallback
        assert str(direct.project_of(state)) == reference["project_id"]
        seen.add(reference["type"])
    assert seen == {event.__qualname__ for event in event_classes()}
