"""Where imported messages come from: an mbox file, ``.eml`` files and folders, or bytes.

A source yields :class:`RawMessage` — the bytes of one message exactly as found (for an mbox,
without its ``From `` separator line; ``>From `` quoting is left as it stands, as the standard
library's :mod:`mailbox` does) and a human-readable location used in reports.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

#: An mbox separator line: ``From `` at the start of a line (the rule :mod:`mailbox` uses).
_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
#: The date at the end of a separator line: ``From sender Sat Jan  3 01:05:34 1996``.
_ENVELOPE_DATE = re.compile(
    rb"([A-Z][a-z]{2})\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(\d{4})"
)
_MONTHS = {m: i for i, m in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun",
     b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"), start=1)}  # fmt: skip


class SourceError(Exception):
    """A source cannot be read at all (missing file, not an mbox); nothing was imported."""


@dataclass(frozen=True)
class RawMessage:
    """One message as found: ``where`` says where (``inbox.mbox #12``, ``mail/a.eml``);
    ``envelope_date`` is the date of an mbox separator line, when there is one."""

    where: str
    data: bytes
    envelope_date: datetime | None = None
    filename: str | None = None
    error: str | None = None  # the message could not even be read (an unreadable file)


class MessageSource:
    """Messages to import, counted before they are read (for a progress bar)."""

    def count(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator[RawMessage]:
        raise NotImplementedError


class Mbox(MessageSource):
    """The messages of an mbox file (a path, read through ``mmap``) or of mbox bytes."""

    def __init__(self, source: Path | str | bytes, *, name: str | None = None) -> None:
        if isinstance(source, bytes):
            self._path: Path | None = None
            self._bytes: bytes | None = source
            self.name = name or "mbox"
        else:
            self._path = Path(source)
            self._bytes = None
            self.name = name or self._path.name
            if not self._path.is_file():
                raise SourceError(f"{self._path}: no such file")
        self._starts: list[int] | None = None

    def _spans(self, data: bytes | mmap.mmap) -> list[int]:
        if self._starts is None:
            starts = [m.start() for m in _FROM_LINE.finditer(data)]
            if len(data) and (not starts or starts[0] != 0):
                raise SourceError(
                    f"{self.name}: not an mbox file (it must begin with a 'From ' line); "
                    "import single messages as .eml"
                )
            self._starts = starts
        return self._starts

    def count(self) -> int:
        with self._open() as data:
            return len(self._spans(data))

    def __iter__(self) -> Iterator[RawMessage]:
        with self._open() as data:
            starts = self._spans(data)
            ends = [*starts[1:], len(data)] if starts else []
            for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
                separator_end = data.find(b"\n", start, end)
                if separator_end < 0:  # a separator line and nothing else
                    separator_end = end - 1
                separator = bytes(data[start:separator_end])
                yield RawMessage(
                    where=f"{self.name} #{number}",
                    data=_strip_separator_blank_line(bytes(data[separator_end + 1 : end])),
                    envelope_date=envelope_date(separator),
                )

    def _open(self) -> _Buffer:
        return _Buffer(self._bytes, self._path)


class _Buffer:
    """The bytes of an mbox: given, or the file mapped into memory (an empty file has no map)."""

    def __init__(self, data: bytes | None, path: Path | None) -> None:
        self._data = data
        self._path = path
        self._map: mmap.mmap | None = None

    def __enter__(self) -> bytes | mmap.mmap:
        if self._data is not None:
            return self._data
        assert self._path is not None
        try:
            with self._path.open("rb") as file:
                if self._path.stat().st_size == 0:
                    return b""
                self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as e:
            raise SourceError(f"{self._path}: {e.strerror or e}") from None
        return self._map

    def __exit__(self, *exc: object) -> None:
        if self._map is not None:
            self._map.close()


def _strip_separator_blank_line(message: bytes) -> bytes:
    """Drop the blank line that separates a message from the next ``From `` line."""
    if message.endswith(b"\r\n\r\n"):
        return message[:-2]
    if message.endswith(b"\n\n"):
        return message[:-1]
    return message


def envelope_date(separator: bytes) -> datetime | None:
    """The date of an mbox ``From `` line (asctime form, taken as UTC), or ``None``."""
    match = _ENVELOPE_DATE.search(separator)
    if match is None:
        return None
    _, month, day, hour, minute, second, year = match.groups()
    try:
        return datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second or 0),
            tzinfo=UTC,
        )  # fmt: skip
    except (KeyError, ValueError):
        return None


class EmlFiles(MessageSource):
    """``.eml`` files: each path is a file (taken whatever its name) or a folder (its ``*.eml``
    files, recursively, in name order)."""

    def __init__(self, paths: Iterable[Path | str]) -> None:
        files: list[Path] = []
        for given in paths:
            path = Path(given)
            if path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.is_file() and _is_eml(p)))
            elif path.is_file():
                files.append(path)
            else:
                raise SourceError(f"{path}: no such file or folder")
        self.files = list(dict.fromkeys(files))

    def count(self) -> int:
        return len(self.files)

    def __iter__(self) -> Iterator[RawMessage]:
        for path in self.files:
            try:
                data = path.read_bytes()
            except OSError as e:
                yield RawMessage(
                    where=str(path), data=b"", error=f"cannot be read: {e.strerror or e}"
                )
                continue
            yield RawMessage(where=str(path), data=data, filename=path.name)


def _is_eml(path: Path) -> bool:
    return path.suffix.lower() == ".eml"


class Messages(MessageSource):
    """Messages given as bytes (an upload): ``(name, data)`` pairs or bare bytes."""

    def __init__(self, messages: Sequence[tuple[str, bytes] | bytes]) -> None:
        self._messages = [
            RawMessage(where=m[0], data=m[1], filename=m[0])
            if isinstance(m, tuple)
            else RawMessage(where=f"message #{i}", data=m)
            for i, m in enumerate(messages, start=1)
        ]

    def count(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[RawMessage]:
        return iter(self._messages)


__all__ = ["EmlFiles", "Mbox", "MessageSource", "Messages", "RawMessage", "SourceError"]
