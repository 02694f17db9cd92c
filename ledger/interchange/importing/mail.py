"""Reading one email message: what the ledger keeps of it.

The message is parsed with the standard library's modern email API
(``BytesParser(policy=email.policy.default)``): encoded words (RFC 2047) in subjects and names,
RFC 2231 file names, multipart structure, and text in any charset Python knows. Nothing here
touches storage; :func:`parse_email` either returns a :class:`ParsedEmail` or raises
:class:`UnparseableEmailError` with a reason fit for the import report.

Rules (see docs/importing.md):

* **When** (``occurred_at``): the ``Date`` header. When it is missing or cannot be read, the
  date of the earliest ``Received`` header (the first server that handled the message), else
  the date of the mbox separator line; with none of them the message is rejected. A date
  without a zone (``-0000``, or an mbox line) is taken as UTC. A date more than five minutes
  in the future is refused (the ledger records what happened).
* **From**: the first valid address of ``From``, else of ``Sender``; none: rejected.
* **To/Cc/Bcc**: every valid address, normalised to lower case; group syntax
  (``undisclosed-recipients:;``) contributes its members; addresses that are not addresses
  (``broken@@x``) are left out of the record and listed in ``notes`` (the original keeps them).
* **Message-ID / In-Reply-To / References**: message ids without angle brackets; the parent is
  the first id of ``In-Reply-To``, else the last of ``References``.
* **Subject** as decoded; **summary**: the start of the text body (the ``text/plain``
  alternative, else the ``text/html`` one reduced to text).
* **NUL characters** (``\x00``) are left out of every text kept — subject, summary, attachment
  names and media types — since the ledger refuses them (PostgreSQL text cannot hold them);
  the original keeps its bytes. A message id holding one is no reference (as if absent).
* **Attachments**: every part that is not the chosen body and not its other alternative: parts
  with a file name or ``Content-Disposition: attachment``, non-text inline parts (images), and
  attached messages (``message/rfc822``, kept as they are re-serialised by the parser).
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as modern_policy
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from ledger.domain.envelope import MAX_CLOCK_SKEW, utcnow
from ledger.domain.errors import InvalidInputError
from ledger.domain.validation import normalise_email

#: How much of the body text the interaction's summary keeps.
SUMMARY_LENGTH = 2_000
_SUBJECT_LENGTH = 998
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
_PARSER = BytesParser(policy=modern_policy)


class UnparseableEmailError(ValueError):
    """The message cannot be imported; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    name: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedEmail:
    """What the ledger keeps of one message (the original bytes are kept whole besides)."""

    sha256: str
    message_id: str | None
    parent_ref: str | None
    references: tuple[str, ...]
    from_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    summary: str
    occurred_at: datetime
    date_source: str  # "Date", "Received" or "mbox"
    attachments: tuple[ParsedAttachment, ...]
    notes: tuple[str, ...]

    @property
    def addresses(self) -> tuple[str, ...]:
        """Everyone on the message, sender first, each once."""
        return tuple(dict.fromkeys((self.from_address, *self.to, *self.cc, *self.bcc)))


def parse_email(
    data: bytes, *, envelope_date: datetime | None = None, now: datetime | None = None
) -> ParsedEmail:
    """Read one message (its bytes as found). ``envelope_date``: the date of its mbox
    separator line, a last resort for when it was sent."""
    if not data.strip():
        raise UnparseableEmailError("empty message")
    try:
        message = _PARSER.parsebytes(data)
    except Exception as e:  # the parser records defects; a crash is a parser bug on odd input
        raise UnparseableEmailError(f"cannot be parsed: {e}") from None
    if not message.keys():
        raise UnparseableEmailError("not an email message: no header lines found")
    notes: list[str] = []
    from_address = _sender(message, notes)
    occurred_at, date_source = _when(message, envelope_date, notes, now or utcnow())
    message_id = _first_id(_raw(message, "message-id"), bare_allowed=True)
    references = tuple(r for r in _MSG_ID.findall(_raw(message, "references")) if _usable(r))
    parent_ref = _first_id(_raw(message, "in-reply-to")) or (references[-1] if references else None)
    if parent_ref is not None and parent_ref == message_id:
        parent_ref = None
    if parent_ref is not None and parent_ref not in references:
        references = (*references, parent_ref)
    body = _body_part(message)
    summary = _summary(body, notes)
    attachments: list[ParsedAttachment] = []
    _collect_attachments(message, body, attachments, notes)
    return ParsedEmail(
        sha256=hashlib.sha256(data).hexdigest(),
        message_id=message_id,
        parent_ref=parent_ref,
        references=references,
        from_address=from_address,
        to=_addresses(message, "to", notes),
        cc=_addresses(message, "cc", notes),
        bcc=_addresses(message, "bcc", notes),
        subject=_subject(message),
        summary=summary,
        occurred_at=occurred_at,
        date_source=date_source,
        attachments=tuple(attachments),
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------------ headers


def _raw(message: Message, name: str) -> str:
    """The raw (undecoded, unfolded) value of a header, '' when absent."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return " ".join(str(value).split())
    return ""


def _raw_all(message: Message, name: str) -> list[str]:
    return [" ".join(str(v).split()) for k, v in message.raw_items() if k.lower() == name]


def _first_id(value: str, *, bare_allowed: bool = False) -> str | None:
    """The first message id of a header, without its angle brackets; ``None`` when there is
    none that can serve as a reference (an id longer than the 998 characters of a header line
    is not one)."""
    if not value:
        return None
    found = _MSG_ID.search(value)
    if found is not None:
        ref = found.group(1)
    elif bare_allowed:
        ref = value.strip().strip("<>").strip()  # some mailers omit the angle brackets
        if not ref or any(c.isspace() for c in ref):
            return None
    else:
        return None
    return ref if _usable(ref) else None


def _usable(ref: str) -> bool:
    return 0 < len(ref) <= 998 and "\x00" not in ref


def _clean(text: str) -> str:
    """Text as the ledger may keep it: without NUL characters."""
    return text.replace("\x00", "")


def _header_addresses(message: Message, name: str) -> list[str] | None:
    """The addr-specs of a header through the modern policy; ``None`` when that fails."""
    try:
        header: Any = message[name]
    except Exception:
        return None
    if header is None:
        return []
    try:
        return [a.addr_spec for a in header.addresses]
    except Exception:
        return None


def _address_specs(message: Message, name: str) -> list[str]:
    specs = _header_addresses(message, name)
    if specs is None:  # the modern parser gave up on this header: read it the old way
        specs = [addr for _, addr in email.utils.getaddresses(_raw_all(message, name))]
    return specs


def _addresses(message: Message, name: str, notes: list[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for spec in _address_specs(message, name):
        if not spec or spec == "<>":
            notes.append(f"{name.capitalize()}: an address that cannot be read was left out")
            continue
        try:
            kept.append(normalise_email(spec, name))
        except InvalidInputError:
            notes.append(f"{name.capitalize()}: {spec!r} is not an address; left out")
    return tuple(dict.fromkeys(kept))


def _sender(message: Message, notes: list[str]) -> str:
    for name in ("from", "sender"):
        for spec in _address_specs(message, name):
            try:
                return normalise_email(spec, name)
            except InvalidInputError:
                continue
    given = _raw(message, "from")
    raise UnparseableEmailError(
        f"no usable From address (From: {given!r})" if given else "no From header"
    )


def _subject(message: Message) -> str:
    try:
        subject = str(message["subject"] or "")
    except Exception:
        subject = _raw(message, "subject")
    return " ".join(_clean(subject).split())[:_SUBJECT_LENGTH]


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.utcoffset() is not None else when.replace(tzinfo=UTC)


def _when(
    message: Message, envelope_date: datetime | None, notes: list[str], now: datetime
) -> tuple[datetime, str]:
    given = _raw(message, "date")
    occurred_at = _parse_date(given)
    source = "Date"
    if occurred_at is None:
        # Received: ...; <date>. The last header is the first server that took the message.
        for received in reversed(_raw_all(message, "received")):
            occurred_at = _parse_date(received.rpartition(";")[2].strip())
            if occurred_at is not None:
                source = "Received"
                break
    if occurred_at is None and envelope_date is not None:
        occurred_at, source = envelope_date, "mbox"
    if occurred_at is None:
        problem = f"the Date header {given!r} cannot be read" if given else "no Date header"
        raise UnparseableEmailError(f"{problem}, and no Received header or mbox line dates it")
    if source != "Date":
        problem = f"Date {given!r} cannot be read" if given else "no Date header"
        notes.append(f"{problem}; dated by the {source} {'line' if source == 'mbox' else 'header'}")
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise UnparseableEmailError(
            f"dated {occurred_at.isoformat()}, in the future (the ledger records what happened)"
        )
    return occurred_at, source


# -------------------------------------------------------------------------------- body


def _body_part(message: EmailMessage | Message) -> Message | None:
    if not isinstance(message, EmailMessage):
        return None
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:
        return None


def _text_of(part: Message, notes: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception:  # unknown charset (LookupError), broken encoding...
        pass
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    notes.append(f"body charset {charset!r} could not be used; read as UTF-8 with replacements")
    return data.decode("utf-8", errors="replace")


def _summary(body: Message | None, notes: list[str]) -> str:
    text = _full_text(body, notes)
    if len(text) > SUMMARY_LENGTH:
        text = text[: SUMMARY_LENGTH - 1].rstrip() + "…"
    return text


def _full_text(body: Message | None, notes: list[str]) -> str:
    if body is None:
        return ""
    text = _text_of(body, notes)
    if body.get_content_type() == "text/html":
        text = html_to_text(text)
    text = _clean(text).replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES.sub("\n\n", text).strip()


def body_text(data: bytes) -> str:
    """The whole text of a message's body (its ``text/plain`` alternative, else its
    ``text/html`` one reduced to text), as the summary starts it but not cut short; empty when
    the message has no text body or cannot be parsed. The search index reads it."""
    try:
        message = _PARSER.parsebytes(data)
    except Exception:
        return ""
    return _full_text(_body_part(message), [])


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: tags dropped, scripts and styles left out."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:
        return re.sub(r"<[^>]*>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(lines)


# ------------------------------------------------------------------------- attachments


def _collect_attachments(
    part: Message, body: Message | None, found: list[ParsedAttachment], notes: list[str]
) -> None:
    if part is body:
        return
    media_type = _clean(part.get_content_type())
    if part.is_multipart() and media_type != "message/rfc822":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else ():
            if isinstance(sub, Message):
                _collect_attachments(sub, body, found, notes)
        return
    filename = _filename(part)
    if media_type == "message/rfc822":
        data = _attached_message(part, notes)
        if data is None:
            return
        name = filename or f"attached-message-{len(found) + 1}.eml"
    else:
        inline_text = media_type.startswith("text/") and part.get_content_disposition() != (
            "attachment"
        )
        if inline_text and filename is None:
            return  # the body's other alternative, or a text fragment of the body
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = filename or f"part-{len(found) + 1}{_extension(media_type)}"
    found.append(ParsedAttachment(name=name, media_type=media_type, data=data))


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if not name:
        return None
    # Keep the file name only: a name is never a path ("../../etc/passwd" → "passwd").
    name = PureWindowsPath(PurePosixPath(str(name)).name).name
    name = " ".join(_clean(name).split())[:255]
    return name or None


def _attached_message(part: Message, notes: list[str]) -> bytes | None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        return None
    try:
        return inner.as_bytes(policy=modern_policy)
    except Exception as e:
        notes.append(f"an attached message could not be kept on its own ({e}); the original has it")
        return None


def _extension(media_type: str) -> str:
    return mimetypes.guess_extension(media_type) or ".bin"


__all__ = [
    "ParsedAttachment",
    "ParsedEmail",
    "UnparseableEmailError",
    "html_to_text",
    "parse_email",
]
