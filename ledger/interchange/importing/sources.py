"""Where imported messages come from: mbox files (also compressed with gzip, bzip2 or xz),
Maildir folders, folders and zip files of messages, Outlook ``.msg`` files, or bytes.

A source yields :class:`RawMessage` — the bytes of one message exactly as found (for an mbox,
without its ``From `` separator line; ``>From `` quoting is left as it stands, as the standard
library's :mod:`mailbox` does) and a human-readable location used in reports.

Files are recognised by what they hold, never by their names (:func:`kind_of`): a folder of
messages saved without ``.eml`` (a Maildir, an archive tool's export) is read whole, and a file
that is no message is skipped and listed, never silently. A folder in which nothing is a
message is an error.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import mmap
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import IO, Any, cast

#: An mbox separator line: ``From `` at the start of a line (the rule :mod:`mailbox` uses).
_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
#: The date at the end of a separator line: ``From sender Sat Jan  3 01:05:34 1996``.
_ENVELOPE_DATE = re.compile(
    rb"([A-Z][a-z]{2})\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(\d{4})"
)
_MONTHS = {m: i for i, m in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun",
     b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"), start=1)}  # fmt: skip


#: The most a compressed mailbox or a zip member may expand to (a "zip bomb" is refused).
MAX_EXPANDED = 4 * 1024**3
#: The media type the original of a message is kept as.
RFC822 = "message/rfc822"
OUTLOOK = "application/vnd.ms-outlook"

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?", re.MULTILINE)
_KNOWN_HEADERS = frozenset(
    b"from to cc subject date message-id received return-path mime-version delivered-to "
    b"sender reply-to in-reply-to references content-type x-mailer user-agent "
    b"x-original-to envelope-to".split()
)
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "outlook",
}


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
    #: The file as found when ``data`` was made from it (an Outlook ``.msg``): what is kept.
    original: bytes | None = None
    media_type: str = RFC822


class MessageSource:
    """Messages to import, counted before they are read (for a progress bar). ``skipped``:
    files met that hold no message, with why (reported in the import's notes)."""

    skipped: list[tuple[str, str]]

    def count(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator[RawMessage]:
        raise NotImplementedError


class Mbox(MessageSource):
    """The messages of an mbox file (a path, read through ``mmap``) or of mbox bytes."""

    def __init__(self, source: Path | str | bytes, *, name: str | None = None) -> None:
        self.skipped = []
        self._expanded: IO[bytes] | None = None
        if isinstance(source, bytes):
            self._path: Path | None = None
            self.name = name or "mbox"
            self._bytes: bytes | None = _expand_bytes(source, self.name)
        else:
            self._path = Path(source)
            self._bytes = None
            self.name = name or self._path.name
            if not self._path.is_file():
                raise SourceError(f"{self._path}: no such file")
            self._expanded = _expand_file(self._path)
        self._starts: list[int] | None = None

    def _spans(self, data: bytes | mmap.mmap) -> list[int]:
        if self._starts is None:
            starts = [m.start() for m in _FROM_LINE.finditer(data) if _separates(data, m.start())]
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
        return _Buffer(self._bytes, self._path, self._expanded)


def _separates(data: bytes | mmap.mmap, start: int) -> bool:
    """Whether the ``From `` line at ``start`` begins a message: the first line, or one that
    ends in a date (``From sender Sat Jan  3 01:05:34 1996``) or is followed by a header line.
    Archives (pipermail's) leave ``From `` unquoted at the start of body lines; those do not
    split a message."""
    if start == 0:
        return True
    end = data.find(b"\n", start, start + 1_000)
    if end < 0:
        return False
    line = bytes(data[start:end])
    if _ENVELOPE_DATE.search(line) is not None:
        return True
    following = bytes(data[end + 1 : end + 200])
    return _HEADER_LINE.match(following) is not None


class _Buffer:
    """The bytes of an mbox: given, or the file mapped into memory (an empty file has no map)."""

    def __init__(self, data: bytes | None, path: Path | None, expanded: IO[bytes] | None) -> None:
        self._data = data
        self._path = path
        self._expanded = expanded
        self._map: mmap.mmap | None = None

    def __enter__(self) -> bytes | mmap.mmap:
        if self._data is not None:
            return self._data
        assert self._path is not None
        try:
            if self._expanded is not None:
                self._expanded.seek(0, io.SEEK_END)
                if self._expanded.tell() == 0:
                    return b""
                self._map = mmap.mmap(self._expanded.fileno(), 0, access=mmap.ACCESS_READ)
                return self._map
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


# ------------------------------------------------------------------ recognising files


def kind_of(head: bytes) -> str:
    """What a file holds, from its first bytes: ``mbox``, ``message``, ``gzip``, ``bzip2``,
    ``xz``, ``zip``, ``outlook`` (a ``.msg``), or ``other``."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b"\r\n\t ")
    if text.startswith(b"From ") and _HEADER_LINE.search(text[:4_096]) is not None:
        return "mbox"
    names = set()
    for line in re.split(rb"\r\n|\r|\n", text[:16_384]):
        if not line:
            break  # the end of the header block
        if line[:1] in (b" ", b"\t"):
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return "other"  # a line that is no header before the blank line: not a message
        names.add(line.split(b":", 1)[0].strip().lower())
    return "message" if names & _KNOWN_HEADERS else "other"


def _decompressor(kind: str, file: IO[bytes]) -> IO[bytes]:
    opened: Any
    if kind == "gzip":
        opened = gzip.GzipFile(fileobj=file)
    elif kind == "bzip2":
        opened = bz2.BZ2File(file)
    else:
        opened = lzma.LZMAFile(file)  # noqa: SIM115  (read by the caller)
    return cast("IO[bytes]", opened)


def _copy_limited(source: IO[bytes], target: IO[bytes], name: str) -> None:
    total = 0
    while chunk := source.read(1 << 20):
        total += len(chunk)
        if total > MAX_EXPANDED:
            raise SourceError(f"{name}: expands to more than {MAX_EXPANDED >> 30} GiB; refused")
        target.write(chunk)


def _expand_bytes(data: bytes, name: str) -> bytes:
    """``data`` decompressed when it is gzip, bzip2 or xz; else as given."""
    kind = kind_of(data[:16])
    if kind not in ("gzip", "bzip2", "xz"):
        return data
    out = io.BytesIO()
    try:
        _copy_limited(_decompressor(kind, io.BytesIO(data)), out, name)
    except (OSError, EOFError, lzma.LZMAError) as e:
        raise SourceError(f"{name}: a {kind} file that cannot be decompressed ({e})") from None
    return out.getvalue()


def _expand_file(path: Path) -> IO[bytes] | None:
    """A temporary file holding ``path`` decompressed, or ``None`` when it is not compressed."""
    try:
        with path.open("rb") as file:
            kind = kind_of(file.read(16))
            if kind not in ("gzip", "bzip2", "xz"):
                return None
            file.seek(0)
            expanded = tempfile.TemporaryFile()  # noqa: SIM115  (the Mbox keeps it open)
            try:
                _copy_limited(_decompressor(kind, file), expanded, path.name)
            except (OSError, EOFError, lzma.LZMAError) as e:
                expanded.close()
                raise SourceError(
                    f"{path}: a {kind} file that cannot be decompressed ({e})"
                ) from None
            expanded.flush()
            return expanded
    except OSError as e:
        raise SourceError(f"{path}: {e.strerror or e}") from None


# ---------------------------------------------------------------------- file entries


@dataclass
class _Entry:
    """One thing found: a file, a zip member, or an upload; its messages are read lazily."""

    where: str
    name: str
    read: Callable[[], bytes]
    path: Path | None = None
    _mbox: Mbox | None = field(default=None, repr=False)
    _kind: str | None = None
    _data: bytes | None = None
    _members: list[_Entry] | None = field(default=None, repr=False)
    #: Members of a zip file that hold no message.
    skipped: list[str] = field(default_factory=list)

    def data(self) -> bytes:
        if self._data is None:
            self._data = self.read()
        return self._data

    def kind(self) -> str:
        if self._kind is None:
            if self.path is not None:
                with self.path.open("rb") as file:
                    head = file.read(16_384)
            else:
                head = self.data()[:16_384]
            self._kind = kind_of(head)
        return self._kind


def _message_of(entry: _Entry, kind: str, data: bytes) -> RawMessage:
    if kind == "outlook":
        from ledger.interchange.importing.outlook import OutlookError, message_from_msg

        try:
            converted = message_from_msg(data)
        except OutlookError as e:
            return RawMessage(where=entry.where, data=b"", error=str(e), filename=entry.name)
        return RawMessage(
            where=entry.where,
            data=converted,
            filename=entry.name,
            original=data,
            media_type=OUTLOOK,
        )
    return RawMessage(where=entry.where, data=data, filename=entry.name)


class Files(MessageSource):
    """Messages in files, folders, zip files and uploads, each recognised by its content:
    a message (``.eml`` or any name), an mbox (compressed or not), a Maildir or any folder of
    them (recursively, in name order), a zip of any of these, an Outlook ``.msg``.

    A file given by name (or named ``*.eml``) that is no message of any kind is still read as
    one (and refused with the reason); inside folders and zip files other such files are
    skipped and listed in ``skipped``. A folder in which nothing is a message is a
    :class:`SourceError`."""

    def __init__(self, entries: Iterable[_Entry], *, explicit: bool = True) -> None:
        self.skipped = []
        self._entries: list[tuple[_Entry, bool]] = [(e, explicit) for e in entries]
        self._count: int | None = None

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> Files:
        source = cls(())
        for given in paths:
            path = Path(given)
            if path.is_dir():
                found = _folder_files(path)
                entries = [_file_entry(f, _display(f)) for f in found]
                usable = [e for e in entries if _safe_kind(e) != "other" or _named_eml(e)]
                for entry in entries:
                    if entry not in usable:
                        source.skipped.append((entry.where, "not an email message; skipped"))
                if not usable:
                    raise SourceError(
                        f"{path}: no email messages found in this folder "
                        f"({len(entries)} file(s) looked at; messages, mbox files, zip files "
                        "and Outlook .msg files are recognised by their content)"
                    )
                source._entries += [(e, False) for e in usable]
            elif path.is_file():
                source._entries.append((_file_entry(path, str(path)), True))
            else:
                raise SourceError(f"{path}: no such file or folder")
        seen: set[str] = set()
        unique = []
        for entry, explicit in source._entries:
            if entry.where not in seen:
                seen.add(entry.where)
                unique.append((entry, explicit))
        source._entries = unique
        return source

    @classmethod
    def from_uploads(cls, uploads: Sequence[tuple[str, bytes]]) -> Files:
        return cls(_Entry(where=name, name=name, read=_constant(data)) for name, data in uploads)

    def count(self) -> int:
        if self._count is None:
            total = 0
            for entry, _ in self._entries:
                total += self._count_of(entry)
            self._count = total
        return self._count

    def _count_of(self, entry: _Entry) -> int:
        kind = _safe_kind(entry)
        if kind in ("mbox", "gzip", "bzip2", "xz"):
            try:
                return _mbox_of(entry).count()
            except SourceError:
                return 1
        if kind == "zip":
            return len(_zip_members(entry)) or 1
        return 1

    def __iter__(self) -> Iterator[RawMessage]:
        for entry, explicit in self._entries:
            yield from self._messages(entry, explicit)

    def _messages(self, entry: _Entry, explicit: bool) -> Iterator[RawMessage]:
        try:
            kind = entry.kind()
        except OSError as e:
            yield RawMessage(where=entry.where, data=b"", error=f"cannot be read: {e.strerror}")
            return
        if kind in ("mbox", "gzip", "bzip2", "xz"):
            try:
                mbox = _mbox_of(entry)
                mbox.count()
            except SourceError as e:
                if kind == "mbox":
                    yield RawMessage(where=entry.where, data=b"", error=str(e))
                    return
                yield RawMessage(where=entry.where, data=b"", error=str(e))
                return
            yield from mbox
            return
        if kind == "zip":
            members = _zip_members(entry)
            if not members:
                yield RawMessage(
                    where=entry.where, data=b"", error="a zip file that holds no email message"
                )
                return
            self.skipped += [(where, "not an email message; skipped") for where in entry.skipped]
            for member in members:
                yield from self._messages(member, False)
            return
        if kind == "other" and not explicit and not _named_eml(entry):
            self.skipped.append((entry.where, "not an email message; skipped"))
            return
        try:
            data = entry.data()
        except OSError as e:
            yield RawMessage(where=entry.where, data=b"", error=f"cannot be read: {e.strerror}")
            return
        yield _message_of(entry, kind, data)


def _named_eml(entry: _Entry) -> bool:
    """A file named ``*.eml`` is meant as a message: read (and refused with the reason) even
    when its content looks like none."""
    return entry.name.lower().endswith(".eml")


def _safe_kind(entry: _Entry) -> str:
    try:
        return entry.kind()
    except OSError:
        return "message"  # reported when read


def _mbox_of(entry: _Entry) -> Mbox:
    if entry._mbox is None:
        if entry.path is not None:
            entry._mbox = Mbox(entry.path, name=entry.where)
        else:
            entry._mbox = Mbox(entry.data(), name=entry.where)
    return entry._mbox


def _zip_members(entry: _Entry) -> list[_Entry]:
    """The members of a zip file that hold messages (others skipped), in name order."""
    if entry._members is None:
        entry._members = _read_zip(entry)
    return entry._members


def _read_zip(entry: _Entry) -> list[_Entry]:
    if entry._data is None and entry.path is not None:
        opened: IO[bytes] = entry.path.open("rb")
    else:
        opened = io.BytesIO(entry.data())
    members: list[_Entry] = []
    try:
        archive = zipfile.ZipFile(opened)
        infos = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
        for info in infos:
            where = f"{entry.where}:{info.filename}"
            if info.file_size > MAX_EXPANDED:
                continue
            member = _Entry(
                where=where,
                name=PurePath(info.filename).name,
                read=_member_reader(archive, info),
            )
            try:
                if member.kind() in ("other", "zip"):
                    entry.skipped.append(where)
                    continue
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
                entry.skipped.append(where)
                continue
            members.append(member)
    except (zipfile.BadZipFile, OSError, ValueError):
        return []
    return members


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    return lambda: archive.read(info)


def _folder_files(folder: Path) -> list[Path]:
    """The files of a folder, recursively, in name order; for a Maildir, ``cur`` and ``new``
    (never ``tmp``, where messages are still being written)."""
    files: list[Path] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        relative = path.relative_to(folder).parts
        if "tmp" in relative[:-1] and _is_maildir(path.parent.parent):
            continue
        files.append(path)
    return files


def _is_maildir(folder: Path) -> bool:
    return (folder / "cur").is_dir() and (folder / "new").is_dir()


def _file_entry(path: Path, where: str) -> _Entry:
    return _Entry(where=where, name=path.name, read=path.read_bytes, path=path)


def _display(path: Path) -> str:
    return str(path)


def EmlFiles(paths: Iterable[Path | str]) -> Files:
    """``.eml`` files and folders — any message file, recognised by content (see
    :class:`Files`)."""
    return Files.from_paths(paths)


class Messages(MessageSource):
    """Messages given as bytes (an upload): ``(name, data)`` pairs or bare bytes. Each is read
    as one message (see :class:`Files` for uploads that may be mailboxes or zip files)."""

    def __init__(self, messages: Sequence[tuple[str, bytes] | bytes]) -> None:
        self.skipped = []
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


__all__ = [
    "EmlFiles",
    "Files",
    "Mbox",
    "MessageSource",
    "Messages",
    "RawMessage",
    "SourceError",
    "kind_of",
]
