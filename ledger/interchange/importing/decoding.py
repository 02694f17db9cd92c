"""Text out of mail as it really is: raw 8-bit headers in any charset, encoded words split in
the middle of a character, bodies whose charset label is wrong or missing.

Everything here returns valid Unicode — never a lone surrogate, whatever the bytes — and says
when it had to guess (a note for the import summary). The original bytes are never changed:
these functions only decide how to *read* them.

How a charset is chosen for bytes that are not ASCII:

1. UTF-8, when the bytes are valid UTF-8 (text in another charset almost never is);
2. the charsets the message itself names (its ``Content-Type`` parameters, its encoded words),
   in order — the sending program most likely wrote its raw headers in the body's charset;
3. for longer text (a body), the guess of ``charset-normalizer``;
4. windows-1252 (which most "ISO-8859-1" mail really is), then ISO-8859-1, which reads any
   byte.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable, Iterable, Sequence

#: Below this many bytes, a statistical guess is worse than the fixed order above.
_GUESS_MIN_BYTES = 64

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: ISO-8859-1 as Python names it (``codecs.lookup("latin-1").name``).
_LATIN_1 = codecs.lookup("latin-1").name


def codec_name(charset: str | None) -> str | None:
    """The Python codec of a MIME charset name, or ``None`` when Python knows no such charset
    (``unknown-8bit``, ``x-user-defined``, a typo)."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    if name in ("unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined"):
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def decode_bytes(
    data: bytes, charsets: Iterable[str | None] = (), *, guess: bool = False
) -> tuple[str, str]:
    """``data`` as text, and the codec used. ``charsets``: those the message names, best
    first; ``guess``: let charset-normalizer try before the fallbacks (long text only)."""
    if data.isascii():
        return data.decode("ascii"), "ascii"
    tried: list[str] = []
    for codec in ("utf-8", *(codec_name(c) for c in charsets)):
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    if guess and len(data) >= _GUESS_MIN_BYTES:
        found = _guess(data)
        if found is not None:
            return found
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _guess(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65_536]).best()
    except Exception:  # a guesser must never fail an import
        return None
    if best is None or best.encoding is None:
        return None
    codec = codec_name(best.encoding)
    if codec is None:
        return None
    try:
        return data.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        return None


def decode_declared(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """A body (already transfer-decoded) read in its declared charset when that reads it
    cleanly and plausibly; else a better guess. Returns the text and a note when the label was
    not followed (``None`` when it was)."""
    codec = codec_name(declared)
    if data.isascii() and codec is not None and "2022" not in codec:
        return data.decode("ascii"), None
    if data.isascii() and declared is None:
        return data.decode("ascii"), None
    if codec is not None:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            text = None
        if text is not None:
            if codec == _LATIN_1 and _is_utf8(data):
                return data.decode("utf-8"), f"labelled {declared!r} but written in UTF-8"
            if codec == _LATIN_1 and re.search(rb"[\x80-\x9f]", data):
                return data.decode("cp1252", errors="replace"), None  # as every browser does
            return text, None
    text, used = decode_bytes(data, (), guess=True)
    label = f"labelled {declared!r}" if declared else "without a charset"
    if codec is None and declared:
        label = f"in the unknown charset {declared!r}"
    return text, f"{label}; read as {used} (best guess)"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


def recover_bytes(text: str) -> bytes:
    """The bytes behind a header value read by the standard library from bytes: it keeps each
    byte that is not ASCII as a lone surrogate (``surrogateescape``)."""
    return text.encode("utf-8", "surrogateescape")


def repair(text: str, charsets: Sequence[str | None] = ()) -> tuple[str, str | None]:
    """``text`` without lone surrogates: the raw bytes they stand for decoded by the best
    guess. Returns the text and the codec guessed (``None`` when nothing needed repair)."""
    if not has_surrogates(text):
        return text, None
    try:
        data = recover_bytes(text)
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return _SURROGATE.sub("\ufffd", text), "replacement"
    decoded, used = decode_bytes(data, charsets)
    return decoded, used


def decode_words(
    text: str, charsets: Sequence[str | None] | Callable[[], Sequence[str | None]] = ()
) -> str:
    """RFC 2047 encoded words decoded, adjacent words of one charset joined *before* decoding
    (a character, or an ISO-2022-JP escape sequence, may be split across two words); the blank
    between two encoded words dropped, as RFC 2047 §6.2 says. A word that cannot be decoded
    is kept as written."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            data = b"".join(pending)
            codec = codec_name(pending_charset)
            try:
                out.append(data.decode(codec or "ascii"))
            except (UnicodeDecodeError, LookupError):
                known = charsets() if callable(charsets) else charsets
                out.append(decode_bytes(data, (pending_charset, *known))[0])
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        charset, encoding, encoded = match.groups()
        charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
        data = _word_bytes(encoding, encoded)
        if data is None:
            continue  # left as written: part of ``between`` next time
        if between.strip() or not pending:
            flush()
            out.append(between)
        if pending and charset.lower() != (pending_charset or "").lower():
            flush()
        pending.append(data)
        pending_charset = charset
        position = match.end()
    flush()
    out.append(text[position:])
    return "".join(out)


def _word_bytes(encoding: str, encoded: str) -> bytes | None:
    try:
        if encoding in "Bb":
            padded = encoded + "=" * (-len(encoded) % 4)
            return base64.b64decode(padded.encode("ascii"), validate=False)
        data = encoded.replace("_", " ").encode("ascii")
        return binascii.a2b_qp(data)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None


def clean_text(text: str) -> str:
    """Text the ledger may keep: no NUL or other control characters but tab and line ends, no
    lone surrogates."""
    text = _CONTROL.sub("", text)
    if has_surrogates(text):
        text = _SURROGATE.sub("\ufffd", text)
    return text


def one_line(text: str) -> str:
    """A header's text on one line: folded lines unfolded, runs of blanks made one."""
    return " ".join(clean_text(text).split())


__all__ = [
    "clean_text",
    "codec_name",
    "decode_bytes",
    "decode_declared",
    "decode_words",
    "has_surrogates",
    "one_line",
    "recover_bytes",
    "repair",
]
