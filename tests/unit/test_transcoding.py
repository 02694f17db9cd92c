"""The stored form of events: exact types back, strict about fields, readable by eventsourcing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import (
    JSONTranscoder,
    MapperDeserialisationError,
    StoredEvent,
    TranscodingNotRegisteredError,
)

from ledger.domain.commitment import Commitment
from ledger.domain.envelope import Act
from ledger.domain.roles import Party
from ledger.domain.values import Money, Source, SourceKind
from ledger.storage.transcoding import OrjsonTranscoder, StrictMapper


@pytest.fixture(scope="module")
def transcoder() -> OrjsonTranscoder:
    return OrjsonTranscoder()


def test_values_come_back_with_their_exact_types(transcoder: OrjsonTranscoder) -> None:
    value = {
        "when": datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
        "day": date(2026, 3, 1),
        "amount": Decimal("1200.10"),
        "id": uuid4(),
        "party": Party.CLIENT,
        "cost": Money(amount=Decimal("0.10"), currency="EUR"),
        "names": ("a", "b"),
        "nothing": None,
        "flag": True,
        "count": 3,
    }
    back = transcoder.decode(transcoder.encode(value))
    assert back == value
    for key in value:
        assert type(back[key]) is type(value[key]), key
    assert back["when"].utcoffset() == timedelta(hours=-5)
    assert str(back["amount"]) == "1200.10"


def test_arrays_come_back_as_tuples(transcoder: OrjsonTranscoder) -> None:
    assert transcoder.decode(transcoder.encode({"xs": ["a", ["b"]]})) == {"xs": ("a", ("b",))}


def test_unknown_types_are_refused_both_ways(transcoder: OrjsonTranscoder) -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.encode({"x": {1, 2}})
    with pytest.raises(TranscodingNotRegisteredError, match="not known"):
        transcoder.decode(b'{"x":{"_type_":"nope","_data_":1}}')


def test_stored_bytes_use_the_stock_tagged_form(transcoder: OrjsonTranscoder) -> None:
    """The stock JSONTranscoder reads what we write (the format is eventsourcing's)."""
    stock = JSONTranscoder()
    from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex

    for t in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        stock.register(t)
    value = {"when": datetime(2026, 3, 1, tzinfo=UTC), "amount": Decimal("2.50"), "id": uuid4()}
    assert stock.decode(transcoder.encode(value)) == value


def _commitment_event() -> Commitment.Made:
    commitment = Commitment.make(
        Act("pm@acme.test"),
        id=uuid4(),
        project_id=uuid4(),
        promisor="pm@acme.test",
        promisee="sponsor@client.test",
        statement="Deliver",
        source=Source(kind=SourceKind.MEETING, id=uuid4()),
    )
    (event,) = commitment.collect_events()
    assert isinstance(event, Commitment.Made)
    return event


def test_mapper_round_trips_an_event(transcoder: OrjsonTranscoder) -> None:
    mapper = StrictMapper(transcoder=transcoder)
    event = _commitment_event()
    assert mapper.to_domain_event(mapper.to_stored_event(event)) == event


@pytest.mark.parametrize("tamper", ["add", "remove"])
def test_mapper_refuses_state_that_does_not_match_the_class(
    transcoder: OrjsonTranscoder, tamper: str
) -> None:
    mapper = StrictMapper(transcoder=transcoder)
    stored = mapper.to_stored_event(_commitment_event())
    state = orjson.loads(stored.state)
    if tamper == "add":
        state["promised_by_phone"] = True
    else:
        del state["promisee"]
    forged = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=orjson.dumps(state),
    )
    with pytest.raises(MapperDeserialisationError, match="does not match its class"):
        mapper.to_domain_event(forged)
