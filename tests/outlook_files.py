"""Outlook ``.msg`` files made here for the tests: a minimal Compound File Binary writer
([MS-CFB] version 3: 512-byte sectors, every stream in the mini stream) and the few MAPI
streams ([MS-OXMSG]) a message needs — its class, subject, body, sender and the transport
headers Outlook keeps. No third-party file is copied into the repository."""

from __future__ import annotations

import struct

_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_SECTOR = 512
_MINI = 64


def _entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _NOSTREAM, right, child)
        + b"\0" * 16  # CLSID
        + b"\0" * 4  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file whose root storage holds ``streams`` (each under 4,096 bytes)."""
    names = list(streams)
    mini_stream = b""
    mini_fat: list[int] = []
    starts: dict[str, int] = {}
    for name in names:
        data = streams[name]
        assert len(data) < 4096, name
        count = max(1, -(-len(data) // _MINI))
        first = len(mini_fat)
        starts[name] = first if data else _END
        mini_fat += [first + i + 1 for i in range(count - 1)] + [_END]
        mini_stream += data.ljust(count * _MINI, b"\0")
    entries = [_entry("Root Entry", 5, 0, len(mini_stream), 1 if names else _NOSTREAM, _NOSTREAM)]
    for i, name in enumerate(names, start=1):
        right = i + 1 if i < len(names) else _NOSTREAM
        entries.append(_entry(name, 2, starts[name], len(streams[name]), _NOSTREAM, right))
    directory = b"".join(entries)
    directory = directory.ljust(-(-len(directory) // _SECTOR) * _SECTOR, b"\0")
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes = mini_fat_bytes.ljust(-(-len(mini_fat_bytes) // _SECTOR) * _SECTOR, b"\xff")
    mini_stream = mini_stream.ljust(-(-len(mini_stream) // _SECTOR) * _SECTOR, b"\0")

    dir_sectors = len(directory) // _SECTOR
    minifat_sectors = len(mini_fat_bytes) // _SECTOR
    stream_sectors = len(mini_stream) // _SECTOR
    fat: list[int] = [_FATSECT]  # sector 0 is the FAT itself
    first_dir = len(fat)
    fat += [first_dir + i + 1 for i in range(dir_sectors - 1)] + [_END]
    first_minifat = len(fat)
    fat += [first_minifat + i + 1 for i in range(minifat_sectors - 1)] + [_END]
    first_stream = len(fat)
    if stream_sectors:
        fat += [first_stream + i + 1 for i in range(stream_sectors - 1)] + [_END]
    assert len(fat) <= 128
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(_SECTOR, b"\xff")
    # The root entry's stream (the mini stream) starts at its first sector.
    directory = directory[:116] + struct.pack("<I", first_stream) + directory[120:]

    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIII", 0, 1, first_dir, 0, 4096)
        + struct.pack("<IIII", first_minifat, minifat_sectors, _END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<108I", *([_FREE] * 108))
    )
    assert len(header) == _SECTOR
    return header + fat_bytes + directory + mini_fat_bytes + mini_stream


def _text(value: str) -> bytes:
    return value.encode("utf-16-le")


def outlook_message(*, subject: str, body: str, sender: str, headers: str) -> bytes:
    """An Outlook message (``IPM.Note``) with its transport headers."""
    properties = b"\0" * 8 + struct.pack("<IIII", 0, 0, 0, 0) + b"\0" * 8
    return compound_file(
        {
            "__properties_version1.0": properties,
            "__substg1.0_001A001F": _text("IPM.Note"),
            "__substg1.0_0037001F": _text(subject),
            "__substg1.0_1000001F": _text(body),
            "__substg1.0_0C1F001F": _text(sender),
            "__substg1.0_007D001F": _text(headers),
        }
    )
