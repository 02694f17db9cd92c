"""Per-class codecs: encode and decode an event by its class's schema, not by walking its JSON.

The stored form does not change (eventsourcing's tagged JSON, see
:mod:`ledger.storage.transcoding`): every event ever stored stays readable, and the Merkle leaves
and evidence bundles see the same bytes. What changes is the work per event. The generic walk
visits every value, recursing into each ``{"_type_": ..., "_data_": ...}`` tag and calling a
``Transcoding`` object for it (about 16 Python calls per event). Here each event class gets one
function, generated from its dataclass fields' annotations the first time the class is met, that
handles each field in line:

* a field of a leaf type (``UUID``, ``datetime``, ``date``, ``Decimal``, a domain ``StrEnum``),
  optional or not, is built straight from its tag's string, or tagged straight from the value;
* a field of a native type (text, numbers, booleans) is left alone;
* anything else (payload models, tuples, unions) goes through the transcoder's walk, as before.

Every shortcut checks the shape it expects and hands anything else to the walk, so the answer is
always the walk's answer (``tests/unit/test_codec.py`` compares both on every event type). State
with other keys than the class's fields (an older class version to upcast, a field renamed) is
left to the mapper's generic path, which upcasts or refuses it.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import NoneType, UnionType
from typing import Any
from uuid import UUID

from ledger.storage.transcoding import OrjsonTranscoder

#: Fields the mapper sets from the stored event's columns, not from its state.
_COLUMNS = frozenset(("originator_id", "originator_version"))

_NATIVE_TYPES = (str, int, float, bool)

Plan = Callable[[dict[str, Any]], None]


def _uuid(hex_: str) -> UUID:
    return UUID(hex=hex_)


class EventCodecs:
    """The per-class encode and decode functions of one transcoder, made on first use."""

    def __init__(self, transcoder: OrjsonTranscoder) -> None:
        self.transcoder = transcoder
        self._decoders: dict[type, tuple[frozenset[str], Plan] | None] = {}
        self._encoders: dict[type, Plan | None] = {}
        # Leaf types: (stored name, decode from the stored string, encode to the stored string).
        self._leaves: dict[type, tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = {}
        for kind, transcoding in transcoder.types.items():
            name = transcoding.name
            if kind is UUID:
                self._leaves[kind] = (name, _uuid, _uuid_hex)
            elif kind is datetime:
                self._leaves[kind] = (name, datetime.fromisoformat, datetime.isoformat)
            elif kind is date:
                self._leaves[kind] = (name, date.fromisoformat, date.isoformat)
            elif kind is Decimal:
                self._leaves[kind] = (name, Decimal, str)
            elif isinstance(kind, type) and issubclass(kind, StrEnum):
                self._leaves[kind] = (name, kind, _enum_value)

    # ------------------------------------------------------------------------------ decode

    def decoder(self, cls: type) -> tuple[frozenset[str], Plan] | None:
        """``(the keys its stored state has, the function that decodes it in place)``, or
        ``None`` when the class is not a dataclass (the generic path then decodes it)."""
        try:
            return self._decoders[cls]
        except KeyError:
            made = self._make(cls, decode=True)
            self._decoders[cls] = None if made is None else (made[0], made[1])
            return self._decoders[cls]

    def encoder(self, cls: type) -> Plan | None:
        try:
            return self._encoders[cls]
        except KeyError:
            made = self._make(cls, decode=False)
            self._encoders[cls] = None if made is None else made[1]
            return self._encoders[cls]

    def _make(self, cls: type, *, decode: bool) -> tuple[frozenset[str], Plan] | None:
        if not dataclasses.is_dataclass(cls):
            return None
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # an annotation that cannot be resolved: the generic path is exact
            return None
        names = [f.name for f in dataclasses.fields(cls) if f.name not in _COLUMNS]
        lines = ["def plan(s):"]
        env: dict[str, Any] = {
            "walk": self.transcoder._from_json if decode else self.transcoder._to_json,
            "NATIVE": frozenset((*_NATIVE_TYPES, NoneType)),
        }
        for i, name in enumerate(names):
            lines += self._field_lines(i, name, hints.get(name, Any), env, decode=decode)
        if len(lines) == 1:
            lines.append("    pass")
        namespace: dict[str, Any] = {}
        exec("\n".join(lines), env, namespace)
        return frozenset(names), namespace["plan"]

    def _field_lines(
        self, i: int, name: str, hint: Any, env: dict[str, Any], *, decode: bool
    ) -> list[str]:
        base = _unwrap_optional(hint)
        key = repr(name)
        get = f"    v = s[{key}]"
        if isinstance(base, type) and base in self._leaves:
            tag, from_str, to_str = self._leaves[base]
            env[f"T{i}"], env[f"B{i}"], env[f"K{i}"] = tag, from_str if decode else to_str, base
            if decode:
                return [
                    get,
                    f"    if type(v) is dict and len(v) == 2 and v.get('_type_') == T{i}"
                    f" and type(v.get('_data_')) is str:",
                    f"        s[{key}] = B{i}(v['_data_'])",
                    "    elif type(v) not in NATIVE:",
                    f"        s[{key}] = walk(v)",
                ]
            return [
                get,
                f"    if type(v) is K{i}:",
                f"        s[{key}] = {{'_type_': T{i}, '_data_': B{i}(v)}}",
                "    elif type(v) not in NATIVE:",
                f"        s[{key}] = walk(v)",
            ]
        if typing.get_origin(base) is tuple:
            args = typing.get_args(base)
            if len(args) == 2 and args[1] is Ellipsis and args[0] in _NATIVE_TYPES:
                # tuple[str, ...] and the like: stored as a list of natives, given back as a tuple
                if not decode:  # orjson writes a tuple of natives as the walk's list would
                    return [
                        get,
                        "    if type(v) is tuple:",
                        "        for x in v:",
                        "            if type(x) not in NATIVE:",
                        f"                s[{key}] = walk(v)",
                        "                break",
                        "    elif type(v) not in NATIVE:",
                        f"        s[{key}] = walk(v)",
                    ]
                return [
                    get,
                    "    if type(v) is list:",
                    "        for x in v:",
                    "            if type(x) not in NATIVE:",
                    f"                s[{key}] = walk(v)",
                    "                break",
                    "        else:",
                    f"            s[{key}] = tuple(v)",
                    "    elif type(v) not in NATIVE:",
                    f"        s[{key}] = walk(v)",
                ]
        return [get, "    if type(v) not in NATIVE:", f"        s[{key}] = walk(v)"]


def _uuid_hex(value: UUID) -> str:
    return value.hex


def _enum_value(value: StrEnum) -> str:
    return value.value


def _unwrap_optional(hint: Any) -> Any:
    """``X | None`` -> ``X``; anything else -> ``hint`` (None itself is left alone anyway)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is UnionType:
        args = [a for a in typing.get_args(hint) if a is not NoneType]
        if len(args) == 1:
            return args[0]
    return hint
