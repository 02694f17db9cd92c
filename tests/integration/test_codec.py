"""The per-class codecs (ledger/storage/codec.py) give exactly the generic walk's answers: the
same decoded events (with the same types) and the same stored bytes, for every event type the
real commands store, on both backends; state that does not fit its class takes the generic path."""

from __future__ import annotations

import orjson
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from ledger.service.application import Ledger
from ledger.storage.transcoding import ModelTranscoding, OrjsonTranscoder, StrictMapper
from tests.scenarios import record_tour


def _walk() -> StrictMapper:
    """The mapper as it was before the codecs: generic walk, every model validated."""
    transcoder = OrjsonTranscoder()
    for transcoding in transcoder.names.values():
        if isinstance(transcoding, ModelTranscoding):
            transcoding.trust_stored = False
    mapper = StrictMapper(transcoder)
    mapper._codecs = None
    return mapper


def _typed(value: object) -> object:
    """A value with its types spelled out, so 1 == 1.0 or a tuple == a list cannot hide."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(v) for v in value])
    if hasattr(value, "model_dump"):
        return (type(value).__name__, _typed(dict(value)), sorted(value.model_fields_set))
    return (type(value).__name__, value)


def test_codecs_agree_with_the_generic_walk_on_every_event_type(ledger: Ledger) -> None:
    record_tour(ledger)
    walk = _walk()
    codecs = ledger.mapper._codecs  # type: ignore[attr-defined]
    assert codecs is not None
    for stored in ledger.recorder.select_notifications(start=1, limit=100_000):
        # the codec itself takes every event the commands store (it raises where it would
        # leave one to the generic path)
        decode = codecs.decoder(stored.topic)
        assert decode is not None, stored.topic
        fast = decode(stored)
        encode = codecs.encoder(type(fast))
        assert encode is not None, stored.topic
        assert encode(fast).state == stored.state, stored.topic
        fast = ledger.mapper.to_domain_event(stored)
        slow = walk.to_domain_event(stored)
        assert type(fast) is type(slow)
        assert _typed(vars(fast)) == _typed(vars(slow)), stored.topic
        assert ledger.mapper.to_stored_event(fast).state == walk.to_stored_event(slow).state
        assert ledger.mapper.to_stored_event(slow).state == stored.state, stored.topic


def test_state_that_does_not_fit_its_class_is_refused_as_before(ledger: Ledger) -> None:
    record_tour(ledger)
    stored = next(iter(ledger.recorder.select_notifications(start=1, limit=1)))
    state = orjson.loads(stored.state)
    state["surprise"] = "a field the class does not have"
    edited = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=orjson.dumps(state),
    )
    with pytest.raises(MapperDeserialisationError, match="surprise"):
        ledger.mapper.to_domain_event(edited)
    del state["surprise"]
    del state["actor"]
    missing = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=orjson.dumps(state),
    )
    with pytest.raises(MapperDeserialisationError, match="actor"):
        ledger.mapper.to_domain_event(missing)


def test_a_stored_model_with_an_unknown_field_is_validated_and_refused() -> None:
    transcoder = OrjsonTranscoder()
    money = transcoder.names["Money"]
    assert money.decode({"amount": "1", "currency": "EUR"}).currency == "EUR"
    with pytest.raises(ValueError, match="extra"):
        money.decode({"amount": "1", "currency": "EUR", "extra": 1})
