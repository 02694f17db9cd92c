"""Stored topics do not follow the source layout: they keep the names the first events were
stored under (``ledger.<aggregate>:<Class>``), so moving code never makes history unreadable."""

from eventsourcing.utils import get_topic, resolve_topic

from ledger.domain import catalogue
from ledger.domain.commitment import Commitment
from ledger.domain.topics import stored_topic


def test_events_are_written_under_their_first_topic() -> None:
    assert get_topic(Commitment.Made) == "ledger.commitment:Commitment.Made"
    assert get_topic(Commitment) == "ledger.commitment:Commitment"


def test_every_event_class_round_trips_through_its_stored_topic() -> None:
    for aggregate in catalogue.AGGREGATES:
        assert get_topic(aggregate) == stored_topic(aggregate)
        assert get_topic(aggregate).startswith("ledger.")
        assert ".domain" not in get_topic(aggregate)
        assert resolve_topic(get_topic(aggregate)) is aggregate
        for event_class in catalogue.event_classes_of(aggregate):
            topic = get_topic(event_class)
            assert topic.count(".") >= 2
            assert ".domain." not in topic
            assert resolve_topic(topic) is event_class


def test_a_new_location_also_resolves() -> None:
    """Code that names the class by its module path (eventsourcing's default) still finds it."""
    assert resolve_topic("ledger.domain.commitment:Commitment.Made") is Commitment.Made
