"""Exact, strict serialisation of events: an orjson transcoder and a mapper that checks fields.

A plain ``orjson.dumps`` would silently turn ``datetime``, ``Decimal`` and ``UUID`` into strings and
give back strings. :class:`OrjsonTranscoder` walks every object through the registered
transcodings first (tagging them ``{"_type_": name, "_data_": ...}`` exactly like eventsourcing's
``JSONTranscoder``, so the stored bytes stay readable by it), then lets orjson do the byte work.

Rules of the stored form (documented in docs/events.md):

* ``UUID`` → ``uuid_hex``, ``Decimal`` → ``decimal_str``, ``datetime`` → ``datetime_iso``
  (offset kept, microseconds kept), ``date`` → ``date_iso``;
* every :class:`~ledger.domain.values.ImmutableModel` → its class name with its fields;
* every ``StrEnum`` of the domain → its class name with its value;
* arrays always decode as tuples: event payloads never hold mutable lists.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from pydantic import BaseModel

from ledger.domain.values import ImmutableModel

if TYPE_CHECKING:
    from ledger.storage.codec import EventCodecs

_NATIVE = frozenset((str, int, float, bool, type(None)))


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ModelTranscoding(Transcoding):
    """Stores a frozen payload model by class name; decoding rebuilds it (see :meth:`decode`)."""

    #: ``False`` validates every stored model again (the codec benchmark's baseline).
    trust_stored = True

    def __init__(self, model: type[ImmutableModel]) -> None:
        self.type = model
        self.model = model
        self.name = model.__name__

    def encode(self, obj: ImmutableModel) -> dict[str, Any]:
        # Fields left at their default are not stored: adding an optional field later leaves
        # old stored bytes valid. Nested models become dicts and are rebuilt by validation.
        return obj.model_dump(exclude_defaults=True)

    def decode(self, data: dict[str, Any]) -> ImmutableModel:
        # One validation on the way in: what is stored was validated when it was recorded (its
        # validators only check, none rewrites), so it is rebuilt without validating again —
        # unless it names a field the model does not have or lacks one it needs, which
        # validation then reports. Models holding models are validated: ``model_dump`` stores
        # the inner ones as plain mappings, which only validation turns back into models.
        if (
            self.trust_stored
            and self._flat
            and type(data) is dict
            and data.keys() <= self._known
            and self._required <= data.keys()
        ):
            return self._construct(data)
        return self.model.model_validate(data)

    @cached_property
    def _construct(self) -> Callable[[dict[str, Any]], ImmutableModel]:
        """What ``model_construct`` does, without copying each default again (they are all
        immutable here): the fields in their declared order, defaults for those not stored."""
        model = self.model
        defaults = [
            (name, None if f.is_required() else f.default) for name, f in model.model_fields.items()
        ]
        simple = not model.__private_attributes__ and all(
            f.default_factory is None
            and (f.is_required() or type(f.default) in _IMMUTABLE_DEFAULTS)
            for f in model.model_fields.values()
        )
        if not simple:
            return lambda data: model.model_construct(**data)
        new = object.__new__
        set_ = object.__setattr__

        def construct(data: dict[str, Any]) -> ImmutableModel:
            instance = new(model)
            set_(instance, "__dict__", {n: data.get(n, d) for n, d in defaults})
            set_(instance, "__pydantic_fields_set__", set(data))
            set_(instance, "__pydantic_extra__", None)
            set_(instance, "__pydantic_private__", None)
            return instance

        return construct

    @cached_property
    def _flat(self) -> bool:
        return not any(_holds_model(f.annotation) for f in self.model.model_fields.values())

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.model.model_fields)

    @cached_property
    def _required(self) -> frozenset[str]:
        return frozenset(n for n, f in self.model.model_fields.items() if f.is_required())


#: Defaults that are never copied: sharing them between instances is safe.
_IMMUTABLE_DEFAULTS = frozenset((type(None), bool, int, float, str, tuple, frozenset))


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in typing.get_args(annotation))


class EnumTranscoding(Transcoding):
    def __init__(self, enum: type[StrEnum]) -> None:
        self.type = enum
        self.name = enum.__name__

    def encode(self, obj: StrEnum) -> str:
        return obj.value

    def decode(self, data: str) -> StrEnum:
        return cast(StrEnum, self.type(data))


class OrjsonTranscoder(JSONTranscoder):
    """A :class:`JSONTranscoder` that keeps its tagged format but encodes with orjson."""

    def __init__(self) -> None:
        super().__init__()
        from ledger.domain import catalogue  # every domain module, so every payload type is known

        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
            self.register(transcoding)
        for enum in catalogue.ENUMS:
            self.register(EnumTranscoding(enum))
        for model in ImmutableModel.registry.values():
            self.register(ModelTranscoding(model))

    def register(self, transcoding: Transcoding) -> None:
        """Register ``transcoding``; two types may not share a stored name."""
        known = self.names.get(transcoding.name)
        if known is not None and known.type is not transcoding.type:
            raise TypeError(
                f"{transcoding.type.__qualname__} and {known.type.__qualname__} would both be "
                f"stored as {transcoding.name!r}: rename one"
            )
        super().register(transcoding)

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(self._to_json(obj))

    def decode(self, data: bytes) -> Any:
        return self._from_json(orjson.loads(data))

    def _to_json(self, o: Any) -> Any:
        # Hot path of every save: natives are handled inline, without a call per value.
        kind = type(o)
        if kind in _NATIVE:
            return o
        if kind is dict:
            return {k: v if type(v) in _NATIVE else self._to_json(v) for k, v in o.items()}
        if kind is list or kind is tuple:
            return [v if type(v) in _NATIVE else self._to_json(v) for v in o]
        try:
            transcoding = self.types[kind]
        except KeyError:
            raise TranscodingNotRegisteredError(
                f"Object of type {kind.__qualname__} cannot be stored: register a transcoding"
            ) from None
        return {"_type_": transcoding.name, "_data_": self._to_json(transcoding.encode(o))}

    def _from_json(self, o: Any) -> Any:
        kind = type(o)
        if kind is dict:
            if len(o) == 2 and "_type_" in o and "_data_" in o:
                try:
                    transcoding = self.names[o["_type_"]]
                except KeyError:
                    raise TranscodingNotRegisteredError(
                        f"Stored type {o['_type_']!r} is not known to this version"
                    ) from None
                return transcoding.decode(self._from_json(o["_data_"]))
            return {k: self._from_json(v) for k, v in o.items()}
        if kind is list:
            return tuple(self._from_json(v) for v in o)
        return o


class StrictMapper(Mapper[UUID]):
    """A mapper that refuses stored state with unknown or missing fields.

    Event classes are frozen dataclasses; a stored event whose fields do not match its class
    (a field renamed without an upcaster, a hand-edited row) is an error, not a silent guess.
    """

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self._codecs = None
        if isinstance(transcoder, OrjsonTranscoder) and compressor is None and cipher is None:
            from ledger.storage.codec import EventCodecs

            self._codecs = EventCodecs(transcoder)

    @property
    def _codecs(self) -> EventCodecs | None:
        """The per-class codecs (``None``: every event takes the generic path)."""
        return self.__codecs

    @_codecs.setter
    def _codecs(self, codecs: EventCodecs | None) -> None:
        self.__codecs = codecs
        self._decoders = None if codecs is None else codecs.decoders

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode by the event class's codec (:mod:`ledger.storage.codec`): the same bytes as
        the generic walk, with a fraction of its calls."""
        codecs = self._codecs
        if codecs is not None:
            cls = type(domain_event)
            try:
                encode = codecs.encoders[cls]
            except KeyError:
                encode = codecs.encoder(cls)
            if encode is not None:
                try:
                    return encode(domain_event)
                except Exception:  # not the shape the codec expects: the generic path is exact
                    pass
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Decode by the event class's codec (:mod:`ledger.storage.codec`): the same event as
        the generic path; state the codec does not expect (an older class version to upcast,
        fields that do not fit) takes the generic path, which upcasts it or refuses it."""
        decoders = self._decoders
        if decoders is not None:
            try:
                decode = decoders[stored_event.topic]
            except KeyError:
                decode = self._codecs.decoder(stored_event.topic)  # type: ignore[union-attr]
            if decode is not None:
                try:
                    return decode(stored_event)  # type: ignore[no-any-return]
                except Exception:  # the generic path gives the answer, or says what is wrong
                    pass
        event = super().to_domain_event(stored_event)
        expected = _field_names(type(event))
        if expected is not None:
            got = frozenset(vars(event))
            if got != expected:
                unknown = sorted(got - expected)
                missing = sorted(expected - got)
                raise MapperDeserialisationError(
                    f"Stored event {stored_event.topic} v{stored_event.originator_version} of "
                    f"{stored_event.originator_id} does not match its class: "
                    f"unknown fields {unknown}, missing fields {missing}"
                )
        return event


@cache
def _field_names(cls: type[Any]) -> frozenset[str] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    return frozenset(f.name for f in dataclasses.fields(cls))
