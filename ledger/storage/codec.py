"""Per-class codecs: encode and decode an event by its class's schema, not by walking its JSON.

The stored form does not change (eventsourcing's tagged JSON, see
:mod:`ledger.storage.transcoding`): every event ever stored stays readable, and the Merkle leaves
and evidence bundles see the same bytes. What changes is the work per event. The generic path
resolves the topic, walks every value (recursing into each ``{"_type_": ..., "_data_": ...}``
tag and calling a ``Transcoding`` object for it), validates payload models holding models again,
then builds the event. Here each event class gets two functions, generated from its dataclass
fields' annotations (and its payload models' fields) the first time the class is met:

* the decoder takes the :class:`~eventsourcing.persistence.StoredEvent`, parses its state with
  orjson, checks that every field holds what its annotation stores, builds each field in line
  (a ``UUID`` from its hex without ``UUID.__init__``, an enum member from the enum's value map,
  a payload model's ``__dict__`` in one go, its inner models too, without validating again: it
  was validated when recorded) and sets the event's ``__dict__`` in one go;
* the encoder tags each field in line and dumps a payload model's fields itself (leaving out
  those at their default, as ``model_dump(exclude_defaults=True)`` does).

Every shortcut checks the shape it expects and raises :class:`Miss` on anything else (a value of
another type, a tag of another name, a field too many or missing, an older ``class_version`` to
upcast); the mapper then takes the generic path, whose answer or error is the reference, so the
answer is always the generic path's (``tests/integration/test_codec.py`` and
``tests/unit/test_codec.py`` compare both, types and bytes, on every event type). Annotations
the generator does not know are handed to the generic walk, field by field.
"""

from __future__ import annotations

import dataclasses
import operator
import typing
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from types import NoneType, UnionType
from typing import Any, cast
from uuid import UUID, SafeUUID

import orjson
from eventsourcing.persistence import StoredEvent, find_id_convertor
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from ledger.storage.transcoding import ModelTranscoding, OrjsonTranscoder

#: Fields the mapper sets from the stored event's columns, not from its state.
_COLUMNS = frozenset(("originator_id", "originator_version"))

#: What the generic walk leaves as it is, in both directions.
_NATIVE = frozenset((str, int, float, bool, NoneType))
_NATIVE_TYPES = (str, int, float, bool)

#: Defaults that are never copied: sharing them between instances is safe.
_IMMUTABLE_DEFAULTS = frozenset((NoneType, bool, int, float, str, tuple, frozenset))

Decoder = Callable[[StoredEvent], Any]
Encoder = Callable[[Any], StoredEvent]


class Miss(Exception):
    """The stored state (or the event) is not the shape the codec expects: take the generic
    path, which decodes it, upcasts it or says what is wrong."""


class _Unsupported(Exception):
    """An annotation the generator does not handle (the field takes the generic walk)."""


class EventCodecs:
    """The per-class encode and decode functions of one transcoder, made on first use."""

    def __init__(self, transcoder: OrjsonTranscoder) -> None:
        self.transcoder = transcoder
        #: topic -> decoder (``None``: the class has none; the generic path decodes it).
        self.decoders: dict[str, Decoder | None] = {}
        #: class -> encoder.
        self.encoders: dict[type, Encoder | None] = {}
        self._names: dict[type, str] = {kind: t.name for kind, t in transcoder.types.items()}
        self._models: dict[type, ModelTranscoding] = {
            t.model: t for t in transcoder.types.values() if isinstance(t, ModelTranscoding)
        }

    # ---------------------------------------------------------------------------- public

    def decoder(self, topic: str) -> Decoder | None:
        """The decoder of the events stored under ``topic`` (made and kept on first use), or
        ``None`` when the generic path must decode them (not a dataclass, unknown topic)."""
        try:
            return self.decoders[topic]
        except KeyError:
            pass
        try:
            cls = resolve_topic(topic)
        except Exception:  # the generic path reports it
            return None
        made = _Generator(self, decode=True).event(cls)
        self.decoders[topic] = made
        return made

    def encoder(self, cls: type) -> Encoder | None:
        try:
            return self.encoders[cls]
        except KeyError:
            made = _Generator(self, decode=False).event(cls)
            self.encoders[cls] = made
            return made


class _Generator:
    """Writes the source of one event class's decoder or encoder (and its models' helpers)."""

    def __init__(self, codecs: EventCodecs, *, decode: bool) -> None:
        self.codecs = codecs
        self.decode = decode
        self.env: dict[str, Any] = {
            "MISS": Miss,
            "NATIVE": _NATIVE,
            "NEW": object.__new__,
            "UUID": UUID,
            "UNKNOWN": SafeUUID.unknown,
            "INT": int,
            "TUPLE": tuple,
            "LIST": list,
            "MAP": map,
            "TYPE": type,
            "LEN": len,
            "DICT": dict,
            "NONE": None,
            "WALK": codecs.transcoder._from_json if decode else codecs.transcoder._to_json,
        }
        self.source: list[str] = []
        self._n = 0
        self._helpers: dict[tuple[object, bool], str] = {}

    def const(self, value: Any, prefix: str = "C") -> str:
        self._n += 1
        name = f"{prefix}{self._n}"
        self.env[name] = value
        return name

    def setter(self, cls: type, name: str) -> str:
        """The name of a function setting ``name`` on an instance of ``cls`` as
        ``object.__setattr__`` does (past a ``__setattr__`` that refuses it): the ``__set__``
        of the data descriptor (slot, ``__dict__``) the class has for it, a call without the
        argument tuples of ``object.__setattr__``."""
        for klass in cls.__mro__:
            if name in vars(klass):
                found = vars(klass)[name]
                if hasattr(type(found), "__set__"):
                    return self.const(found.__set__, "SET")
                break
        return self.const(lambda obj, value: object.__setattr__(obj, name, value), "SET")

    def key(self, name: str) -> str:
        """A dict key in the generated code: decoding, the very str object orjson gives for
        it (orjson keeps the keys it made in a cache and gives the same objects again, so the
        lookup of the key in a parsed dict is a hit by identity instead of by comparing the
        text; were it a different object, the lookup would compare, no more); encoding, the
        name itself (the attribute names the instances' dicts hold)."""
        return self.const(self.key_object(name), "Q") if self.decode else repr(name)

    def key_object(self, name: str) -> str:
        if not self.decode:
            return name
        found = next(iter(orjson.loads(orjson.dumps({name: 0}))))
        return found if found == name else name

    def tmp(self) -> str:
        self._n += 1
        return f"t{self._n}"

    def compile(self, entry: str) -> Callable[..., Any]:
        namespace = self.env
        exec("\n".join(self.source), namespace)
        return cast(Callable[..., Any], namespace[entry])

    # ------------------------------------------------------------------------- events

    def event(self, cls: type) -> Callable[..., Any] | None:
        if not dataclasses.is_dataclass(cls):
            return None
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # an annotation that cannot be resolved: the generic path is exact
            return None
        names = [f.name for f in dataclasses.fields(cls) if f.name not in _COLUMNS]
        version = getattr(cls, "class_version", 1)
        if type(version) is not int or version < 1:
            return None
        natives = [n for n in names if _native_hint(hints.get(n, Any))]
        others = [n for n in names if n not in natives]
        body: list[str] = []
        for name in others:
            src, dst = self.tmp(), f"s[{self.key(name)}]"
            try:
                lines = self.value(hints.get(name, Any), src, dst, top=True)
            except _Unsupported:
                lines = [f"{dst} = WALK({src})"]
            body += [f"{src} = {dst}", *lines]
        # the walk leaves natives as they are: one check that every native field holds one
        check: list[str] = []
        if len(natives) == 1:
            check = [f"if TYPE(s[{self.key(natives[0])}]) not in NATIVE: raise MISS"]
        elif natives:
            get = self.const(operator.itemgetter(*map(self.key_object, natives)), "G")
            check = [f"if not NATIVE.issuperset(MAP(TYPE, {get}(s))): raise MISS"]
        cls_k = self.const(cls, "CLS")
        if self.decode:
            # Every field is read below (a KeyError when one is missing), so the right count
            # of keys means the right keys.
            lines = [
                "def decode(se):",
                "    s = LOADS(se.state)",
            ]
            if version > 1:  # stored by this version (older ones are upcast by the generic path)
                lines.append(f"    if s.pop('class_version') != {version}: raise MISS")
            lines.append(f"    if LEN(s) != {len(names)}: raise MISS")
            lines += ["    " + line for line in check + body]
            lines += [
                "    oid = se.originator_id",
                "    if TYPE(oid) is not UUID:",
                f"        oid = FIND({cls_k}, TYPE(oid))(oid)",
                "    s['originator_id'] = oid",
                "    s['originator_version'] = se.originator_version",
                f"    e = NEW({cls_k})",
                f"    {self.setter(cls, '__dict__')}(e, s)",
                "    return e",
            ]
            self.env.update(LOADS=orjson.loads, FIND=_find_id_convertor)
            self.source += lines
            return self.compile("decode")
        keys_k = self.const(frozenset(names), "KEYS")
        topic_k = self.const(get_topic(cls), "TOPIC")
        lines = [
            "def encode(e):",
            "    s = DICT(e.__dict__)",
            "    oid = s.pop('originator_id')",
            "    ov = s.pop('originator_version')",
            f"    if s.keys() != {keys_k}: raise MISS",
        ]
        lines += ["    " + line for line in check + body]
        if version > 1:
            lines.append(f"    s['class_version'] = {version}")
        lines.append(
            f"    return STORED(originator_id=oid, originator_version=ov, topic={topic_k},"
            " state=DUMPS(s))"
        )
        self.env.update(DUMPS=orjson.dumps, STORED=StoredEvent)
        self.source += lines
        return self.compile("encode")

    # ------------------------------------------------------------------------- values

    def value(self, hint: Any, src: str, dst: str, *, top: bool) -> list[str]:
        """Lines that decode (or encode) ``src`` of type ``hint`` into ``dst``, raising
        :class:`Miss` on any other shape. ``top``: a field of the event itself (payload models
        are tagged there, and stored untagged inside another model, as ``model_dump`` gives
        them)."""
        base, optional = _unwrap_optional(hint)
        lines = self._value(base, src, dst, top=top)
        if optional:
            return [f"if {src} is None:", f"    {dst} = None", "else:", *_indent(lines)]
        return lines

    def _value(self, hint: Any, src: str, dst: str, *, top: bool) -> list[str]:
        if hint in _NATIVE_TYPES:
            kind = self.const(hint, "N")
            return [f"if TYPE({src}) is not {kind}: raise MISS", f"{dst} = {src}"]
        if (
            isinstance(hint, type)
            and hint in self.codecs._names
            and hint not in self.codecs._models
        ):
            return self.leaf(hint, src, dst)
        if isinstance(hint, type) and hint in self.codecs._models:
            helper = self.model(hint, tagged=top)
            return [f"{dst} = {helper}({src})"]
        if typing.get_origin(hint) is tuple:
            args = typing.get_args(hint)
            if len(args) != 2 or args[1] is not Ellipsis:
                raise _Unsupported(hint)
            item = args[0]
            if item in _NATIVE_TYPES:
                kinds = self.const(frozenset((item,)), "S")
                seq = "LIST" if self.decode else "TUPLE"
                made = f"TUPLE({src})" if self.decode else src
                return [
                    f"if TYPE({src}) is not {seq} or not {kinds}.issuperset(MAP(TYPE, {src})):",
                    "    raise MISS",
                    f"{dst} = {made}",
                ]
            helper = self.item(item, top=top)
            seq = "LIST" if self.decode else "TUPLE"
            made = "TUPLE" if self.decode else "LIST"
            return [
                f"if TYPE({src}) is not {seq}: raise MISS",
                f"{dst} = {made}(MAP({helper}, {src}))",
            ]
        raise _Unsupported(hint)

    def leaf(self, kind: type, src: str, dst: str) -> list[str]:
        tag = repr(self.codecs._names[kind])
        if self.decode:
            lines = [f"if {src}[{self.key('_type_')}] != {tag} or LEN({src}) != 2: raise MISS"]
            data = self.tmp()
            lines.append(f"{data} = {src}[{self.key('_data_')}]")
            if kind is UUID:
                # UUID(hex) strips "urn:", "uuid:", braces and dashes, wants 32 characters left
                # and reads them with int(hex, 16). With 32 characters and no dash, any of the
                # others makes int() fail too, and int() gives 0 <= n < 2**128: the same UUID
                # (or a miss where UUID() raises), without UUID.__init__.
                return [
                    *lines,
                    f"if LEN({data}) != 32 or '-' in {data}: raise MISS",
                    f"{data}, u = INT({data}, 16), NEW(UUID)",
                    f"{self.setter(UUID, 'int')}(u, {data})",
                    f"{self.setter(UUID, 'is_safe')}(u, UNKNOWN)",
                    f"{dst} = u",
                ]
            if kind is datetime:
                self.env["DATETIME_ISO"] = datetime.fromisoformat
                return [*lines, f"{dst} = DATETIME_ISO({data})"]
            if kind is date:
                self.env["DATE_ISO"] = date.fromisoformat
                return [*lines, f"{dst} = DATE_ISO({data})"]
            if kind is Decimal:
                self.env["DECIMAL"] = Decimal
                return [
                    *lines,
                    f"if TYPE({data}) is not str: raise MISS",
                    f"{dst} = DECIMAL({data})",
                ]
            if issubclass(kind, StrEnum):  # Enum(value) looks its member up here first
                members = self.const(kind._value2member_map_, "E")
                return [*lines, f"{dst} = {members}[{data}]"]
            raise _Unsupported(kind)
        kind_k = self.const(kind, "L")
        lines = [f"if TYPE({src}) is not {kind_k}: raise MISS"]
        if kind is UUID:  # UUID.hex
            data = f"'%032x' % {src}.int"
        elif kind is date:  # orjson writes a date as isoformat() does
            data = src
        elif kind is datetime:
            # orjson writes a datetime as isoformat() does (microseconds only when not zero)
            # when it is naive or its offset is whole minutes of a fixed timezone; isoformat()
            # adds seconds to the offset, and other tzinfo kinds are left to it.
            self.env.update(UTC=UTC, TIMEZONE=timezone)
            tz, off = self.tmp(), self.tmp()
            return [
                *lines,
                f"{tz} = {src}.tzinfo",
                f"if {tz} is UTC or {tz} is None:",
                f"    {dst} = {{'_type_': {tag}, '_data_': {src}}}",
                f"elif TYPE({tz}) is TIMEZONE and not ({off} := {tz}.utcoffset(None)).seconds % 60"
                f" and not {off}.microseconds:",
                f"    {dst} = {{'_type_': {tag}, '_data_': {src}}}",
                "else:",
                f"    {dst} = {{'_type_': {tag}, '_data_': {src}.isoformat()}}",
            ]
        elif kind is Decimal:
            data = f"str({src})"
        elif issubclass(kind, StrEnum):
            data = f"{src}._value_"
        else:
            raise _Unsupported(kind)
        return [*lines, f"{dst} = {{'_type_': {tag}, '_data_': {data}}}"]

    def item(self, hint: Any, *, top: bool) -> str:
        """The name of a function that decodes (or encodes) one item of a tuple."""
        key = (("item", hint), top)
        if key in self._helpers:
            return self._helpers[key]
        if isinstance(hint, type) and hint in self.codecs._models:
            name = self.model(hint, tagged=top)
        else:
            name = f"item{self._n + 1}"
            self._n += 1
            lines = self.value(hint, "v", "r", top=top)
            self.source += [f"def {name}(v):", *_indent(lines), "    return r"]
        self._helpers[key] = name
        return name

    def model(self, model: type[BaseModel], *, tagged: bool) -> str:
        """The name of a function that decodes (or encodes) a payload model: tagged with its
        class name as a field of the event, untagged inside another model."""
        key = (model, tagged)
        if key in self._helpers:
            return self._helpers[key]
        name = f"{'dec' if self.decode else 'enc'}_{model.__name__}_{'t' if tagged else 'u'}"
        self._helpers[key] = name
        if not _plain(model):
            self._helpers.pop(key)
            raise _Unsupported(model)
        try:
            if self.decode:
                self._model_decoder(model, name, tagged=tagged)
            else:
                self._model_encoder(model, name, tagged=tagged)
        except _Unsupported:
            self._helpers.pop(key)
            raise
        return name

    def _model_decoder(self, model: type[BaseModel], name: str, *, tagged: bool) -> None:
        fields = list(model.model_fields.items())
        body: list[str] = []
        values: list[str] = []
        for field_name, info in fields:
            src, dst = self.tmp(), self.tmp()
            values.append(dst)
            decoding = self.value(info.annotation, src, dst, top=False)
            if info.is_required():
                body += [f"{src} = d[{self.key(field_name)}]", *decoding]
                continue
            default = self.const(info.default, "D")
            body += [  # absent: the default (shared: it is immutable)
                f"{src} = d.get({self.key(field_name)}, {default})",
                f"if {src} is {default}:",
                f"    {dst} = {default}",
                "else:",
                *_indent(decoding),
            ]
        known = self.const(frozenset(model.model_fields), "KN")
        head = [f"def {name}(o):"]
        if tagged:
            tag = repr(self.codecs._names[model])
            head += [
                f"    if o[{self.key('_type_')}] != {tag} or LEN(o) != 2: raise MISS",
                f"    d = o[{self.key('_data_')}]",
            ]
        else:
            head.append("    d = o")
        # The required fields are read below (a KeyError when one is missing): when all are,
        # the right count of keys means the right keys.
        if all(info.is_required() for _, info in fields):
            head.append(f"    if LEN(d) != {len(fields)}: raise MISS")
        else:
            head.append(f"    if not d.keys() <= {known}: raise MISS")
        items = ", ".join(f"{n!r}: {v}" for (n, _), v in zip(fields, values, strict=True))
        model_k = self.const(model, "M")
        tail = [
            f"    m = NEW({model_k})",
            f"    {self.setter(model, '__dict__')}(m, {{{items}}})",
            f"    {self.setter(model, '__pydantic_fields_set__')}(m, set(d))",
            f"    {self.setter(model, '__pydantic_extra__')}(m, None)",
            f"    {self.setter(model, '__pydantic_private__')}(m, None)",
            "    return m",
        ]
        self.source += [*head, *_indent(body), *tail]

    def _model_encoder(self, model: type[BaseModel], name: str, *, tagged: bool) -> None:
        body: list[str] = []
        for field_name, info in model.model_fields.items():
            src, dst = self.tmp(), self.tmp()
            line = [
                *self.value(info.annotation, src, dst, top=False),
                f"out[{field_name!r}] = {dst}",
            ]
            if info.is_required():
                body += [f"{src} = d[{field_name!r}]", *line]
                continue
            default = self.const(info.default, "D")
            body += [  # left out at its default, as model_dump(exclude_defaults=True) does
                f"{src} = d[{field_name!r}]",
                f"if not ({src} == {default}):",
                *_indent(line),
            ]
        model_k = self.const(model, "M")
        head = [
            f"def {name}(m):",
            f"    if TYPE(m) is not {model_k} or m.__pydantic_extra__: raise MISS",
            "    d = m.__dict__",
            "    out = {}",
        ]
        tag = repr(self.codecs._names[model])
        result = f"{{'_type_': {tag}, '_data_': out}}" if tagged else "out"
        self.source += [*head, *_indent(body), f"    return {result}"]


def _plain(model: type[BaseModel]) -> bool:
    """A model the generated code can build and dump itself: fields by their own names, no
    private attributes, no computed fields or custom serialisers, immutable defaults."""
    decorators = model.__pydantic_decorators__
    return (
        not model.__private_attributes__
        and not model.model_computed_fields
        and not decorators.field_serializers
        and not decorators.model_serializers
        and all(
            f.alias is None
            and f.default_factory is None
            and (f.is_required() or type(f.default) in _IMMUTABLE_DEFAULTS)
            for f in model.model_fields.values()
        )
    )


def _native_hint(hint: Any) -> bool:
    base, _ = _unwrap_optional(hint)
    return base in _NATIVE_TYPES


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """``X | None`` -> ``(X, True)``; anything else -> ``(hint, False)``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is UnionType:
        args = [a for a in typing.get_args(hint) if a is not NoneType]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0], True
    return hint, False


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _find_id_convertor(cls: type, kind: type) -> Callable[[Any], Any]:
    return find_id_convertor(cls, cast(Hashable, kind))
