"""The generated per-class codecs (ledger/storage/codec.py) on hand-written stored state: the
usual shapes are taken by the fast path and give the generic path's event, to the types; any
other shape (an older class version, a tag of another name, a value of another type, an unknown
enum value or model field) is left to the generic path, which decodes, upcasts or refuses it as
before. tests/integration/test_codec.py compares both on every event type the commands store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
import pytest
from eventsourcing.persistence import (
    MapperDeserialisationError,
    StoredEvent,
    TranscodingNotRegisteredError,
)

from ledger.domain.issue import Issue, SolutionOption
from ledger.domain.project import Member, Project
from ledger.domain.roles import Party, Role
from ledger.domain.values import Money
from ledger.storage.codec import Miss
from ledger.storage.transcoding import ModelTranscoding, OrjsonTranscoder, StrictMapper

ISSUE = "ledger.issue:Issue.SolutionOptionsProposed"
MEMBER = "ledger.project:Project.MemberAdded"
RECORDED = "ledger.interaction:Interaction.Recorded"
ID = UUID("40af8395-730b-5df1-ae56-d1de5bbaa43b")


def _walk() -> StrictMapper:
    """The generic path: no codecs, every stored model validated again."""
    transcoder = OrjsonTranscoder()
    for transcoding in transcoder.names.values():
        if isinstance(transcoding, ModelTranscoding):
            transcoding.trust_stored = False
    mapper = StrictMapper(transcoder)
    mapper._codecs = None
    return mapper


def _generic() -> StrictMapper:
    """The path the codecs leave odd shapes to: no codecs, flat stored models trusted."""
    mapper = StrictMapper(OrjsonTranscoder())
    mapper._codecs = None
    return mapper


@pytest.fixture(scope="module")
def mappers() -> tuple[StrictMapper, StrictMapper, StrictMapper]:
    return StrictMapper(OrjsonTranscoder()), _walk(), _generic()


def _typed(value: object) -> object:
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(v) for v in value])
    if hasattr(value, "model_dump"):
        return (type(value).__name__, _typed(dict(value)), sorted(value.model_fields_set))
    return (type(value).__name__, value)


def _tag(name: str, data: Any) -> dict[str, Any]:
    return {"_type_": name, "_data_": data}


def _envelope(**fields: Any) -> dict[str, Any]:
    return {
        "timestamp": _tag("datetime_iso", "2026-12-05T12:37:08.130371+00:00"),
        "project_id": _tag("uuid_hex", ID.hex),
        "actor": "pat.morgan@acme-digital.example",
        "attributed_to": None,
        "occurred_at": _tag("datetime_iso", "2026-11-06T09:00:00+08:00"),
        **fields,
    }


def _member(**data: Any) -> dict[str, Any]:
    fields = {
        "email": "dana.lee@acme-digital.example",
        "name": "Dana Lee",
        "party": _tag("Party", "team"),
        "role": _tag("Role", "team_member"),
    }
    return _envelope(member=_tag("Member", {**fields, **data}))


def _stored(topic: str, state: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=ID, originator_version=3, topic=topic, state=orjson.dumps(state)
    )


def _same(mappers: tuple[StrictMapper, ...], stored: StoredEvent, *, fast: bool) -> Any:
    """The mapper gives the same event (or the same error) as the walk that validates every
    model when its codec takes the event (``fast``), as the generic path when it does not."""
    mapper, walk, generic = mappers
    if not fast:
        walk = generic
    assert mapper._codecs is not None
    decode = mapper._codecs.decoder(stored.topic)
    assert decode is not None
    if fast:
        decode(stored)
    else:
        try:
            decode(stored)
        except Exception:  # Miss, or the error that made it miss
            pass
        else:
            pytest.fail("the codec took a shape it should leave to the generic path")
    error: Exception | None = None
    try:
        expected = walk.to_domain_event(stored)
    except Exception as e:
        error = e
    if error is not None:
        with pytest.raises(type(error), match=re.escape(str(error))):
            mapper.to_domain_event(stored)
        return None
    event = mapper.to_domain_event(stored)
    assert type(event) is type(expected)
    assert _typed(vars(event)) == _typed(vars(expected))
    assert list(vars(event)) == list(vars(expected))  # the same order: the same bytes again
    assert mapper.to_stored_event(event).state == walk.to_stored_event(expected).state
    return event


def test_the_usual_shape_is_decoded_by_the_codec_with_exact_types(mappers: Any) -> None:
    event = _same(mappers, _stored(MEMBER, _member()), fast=True)
    assert isinstance(event, Project.MemberAdded)
    assert event.member == Member(
        email="dana.lee@acme-digital.example",
        name="Dana Lee",
        party=Party.TEAM,
        role=Role.TEAM_MEMBER,
    )
    assert event.member.party is Party.TEAM
    assert type(event.project_id) is UUID
    assert event.project_id == ID
    assert event.project_id.is_safe is UUID(ID.hex).is_safe
    assert event.occurred_at.utcoffset() is not None
    assert event.originator_id == ID
    assert event.originator_version == 3


def test_models_holding_models_with_defaults_left_out(mappers: Any) -> None:
    options = [
        _tag("SolutionOption", {"id": "A", "description": "Restore today", "time_days": 1}),
        _tag(
            "SolutionOption",
            {
                "id": "B",
                "description": "Move to a managed host",
                "cost": {"amount": _tag("decimal_str", "800.00"), "currency": "EUR"},
            },
        ),
    ]
    event = _same(mappers, _stored(ISSUE, _envelope(options=options)), fast=True)
    assert isinstance(event, Issue.SolutionOptionsProposed)
    first, second = event.options
    assert first.cost is None
    assert first.model_fields_set == {"id", "description", "time_days"}
    assert second.cost == Money(amount=Decimal("800.00"), currency="EUR")
    assert type(second.cost) is Money
    assert second.time_days is None
    assert isinstance(second, SolutionOption)


@pytest.mark.parametrize(
    "state",
    [
        # a UUID stored with dashes: UUID() reads it, the codec leaves it to the generic path
        _member() | {"project_id": _tag("uuid_hex", str(ID))},
        # a datetime stored untagged: the generic path gives the text back, as it always did
        _member() | {"occurred_at": "2026-11-06T09:00:00+08:00"},
        # a tag of another name where a Member is expected
        _envelope(member=_tag("Channel", {"channel": "email", "purpose": "all"})),
        # a field of the model at another type than its annotation's (pydantic warns when the
        # generic path dumps it again)
        pytest.param(_member(name=7), marks=pytest.mark.filterwarnings("ignore::UserWarning")),
        # a tag with a key too many is a plain mapping to the walk
        _member() | {"timestamp": {**_tag("datetime_iso", "2026-12-05T12:00:00+00:00"), "x": 1}},
    ],
    ids=["uuid-dashes", "untagged-datetime", "other-tag", "model-field-type", "tag-extra-key"],
)
def test_other_shapes_are_left_to_the_generic_path(mappers: Any, state: dict[str, Any]) -> None:
    _same(mappers, _stored(MEMBER, state), fast=False)


@pytest.mark.parametrize(
    "state",
    [
        _member(role=_tag("Role", "emperor")),  # not a value of the enum
        _member(shoe_size=44),  # a field the model does not have
        _member() | {"surprise": 1},  # a field the event does not have
        {k: v for k, v in _member().items() if k != "actor"},  # a field missing
    ],
    ids=["enum-value", "model-field", "event-field", "missing-field"],
)
def test_what_the_generic_path_refuses_is_refused_with_its_error(
    mappers: Any, state: dict[str, Any]
) -> None:
    _mapper, walk, _ = mappers
    stored = _stored(MEMBER, state)
    with pytest.raises((MapperDeserialisationError, ValueError)):
        walk.to_domain_event(stored)
    _same(mappers, stored, fast=False)


def test_an_older_class_version_is_upcast_by_the_generic_path(mappers: Any) -> None:
    v1 = _envelope(
        originator_topic="ledger.interaction:Interaction",
        channel=_tag("InteractionChannel", "email"),
        subject="Kick-off",
        summary="Agenda attached",
        from_address="pat.morgan@acme-digital.example",
        to=["dana.lee@acme-digital.example"],
        cc=[],
        participants=[],
        body_sha256=None,
        attachments=[],
        source_ref=None,
        in_reply_to=None,
    )
    event = _same(mappers, _stored(RECORDED, v1), fast=False)
    assert event.display_names == ()
    assert event.delivery_failure is None
    v2 = {**v1, "display_names": [], "delivery_failure": None, "class_version": 2}
    event = _same(mappers, _stored(RECORDED, v2), fast=True)
    assert event.to == ("dana.lee@acme-digital.example",)
    assert "class_version" not in vars(event)
    stored = mappers[0].to_stored_event(event)
    assert orjson.loads(stored.state)["class_version"] == 2


def test_an_event_holding_an_odd_value_is_encoded_by_the_generic_path(mappers: Any) -> None:
    mapper, walk, _ = mappers
    event = mapper.to_domain_event(_stored(MEMBER, _member()))
    odd = object.__new__(type(event))
    # a datetime subclass where a datetime is expected: the walk refuses it (not registered)
    when = type("When", (datetime,), {})(2026, 11, 6, tzinfo=UTC)
    object.__setattr__(odd, "__dict__", {**vars(event), "occurred_at": when})
    assert mapper._codecs is not None
    encode = mapper._codecs.encoder(type(event))
    assert encode is not None
    with pytest.raises(Miss):
        encode(odd)
    with pytest.raises(TranscodingNotRegisteredError, match="When"):
        walk.to_stored_event(odd)
    with pytest.raises(TranscodingNotRegisteredError, match="When"):
        mapper.to_stored_event(odd)


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 11, 6, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 6, 9, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 11, 6, 9, 0, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 11, 6, 9, 0, tzinfo=timezone(timedelta(seconds=3661))),  # +01:01:01
        datetime(2026, 11, 6, 9, 0, tzinfo=timezone(timedelta(seconds=5, microseconds=7))),
        datetime(1900, 1, 1, tzinfo=ZoneInfo("Europe/Amsterdam")),  # +00:19:32
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(999, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 6, 9, 0),  # naive
    ],
    ids=str,
)
def test_datetimes_are_stored_as_isoformat_writes_them(mappers: Any, when: datetime) -> None:
    """The encoder lets orjson write datetimes where orjson's text is isoformat()'s (naive,
    offsets of whole minutes) and writes isoformat() itself elsewhere: the same bytes."""
    mapper, walk, _ = mappers
    event = mapper.to_domain_event(_stored(MEMBER, _member()))
    moved = object.__new__(type(event))
    object.__setattr__(moved, "__dict__", {**vars(event), "occurred_at": when})
    stored = mapper.to_stored_event(moved)
    assert stored.state == walk.to_stored_event(moved).state
    assert orjson.loads(stored.state)["occurred_at"]["_data_"] == when.isoformat()
    back = _same(mappers, stored, fast=True)
    assert back.occurred_at == when
    assert back.occurred_at.utcoffset() == when.utcoffset()
