"""Reading one email message: what the ledger keeps of it.

The message is parsed with the standard library's modern email API
(``BytesParser(policy=email.policy.default)``): encoded words (RFC 2047) in subjects and names,
RFC 2231 file names, multipart structure, and text in any charset Python knows. Nothing here
touches storage; :func:`parse_email` either returns a :class:`ParsedEmail` or raises
:class:`UnparseableEmailError` with a reason fit for the import report.

Whatever the bytes hold — raw 8-bit headers in any charset, NUL, broken MIME, absurd nesting
— the result is either a :class:`ParsedEmail` whose every text is valid Unicode (no lone
surrogates; see :mod:`~ledger.interchange.importing.decoding`) or an
:class:`UnparseableEmailError`; nothing else escapes :func:`parse_email`.

Rules (see docs/importing.md):

* **When** (``occurred_at``): the ``Date`` header. When it is missing or cannot be read, the
  date of the earliest ``Received`` header (the first server that handled the message), else
  the date of the mbox separator line; with none of them the message is rejected. A date
  without a zone (``-0000``, or an mbox line) is taken as UTC. A date more than five minutes
  in the future is refused (the ledger records what happened).
* **From**: the first valid address of ``From``, else of ``Sender``; none: rejected — except
  for a delivery failure report (``MAILER-DAEMON``, ``<>``), which is recorded as sent by
  ``mailer-daemon@`` the reporting server. Archive senders (``jgb at example.com (Name)``,
  as Mailman's pipermail writes them) are read as ``Name <jgb@example.com>``.
* **Display names** of every address are kept beside it.
* **To/Cc/Bcc**: every valid address, normalised to lower case; group syntax
  (``undisclosed-recipients:;``) contributes its members; addresses that are not addresses
  (``broken@@x``) are left out of the record and listed in ``notes`` (the original keeps them).
* **Message-ID / In-Reply-To / References**: message ids without angle brackets; the parent is
  the first id of ``In-Reply-To``, else the last of ``References``.
* **Subject** as decoded (raw 8-bit bytes by the best-guess charset, encoded words joined
  before decoding); **summary**: the start of the text body (the ``text/plain`` alternative,
  else the ``text/html`` one reduced to text), its charset label checked, its line ends
  (CR-only, mixed) made ``\n``.
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
from ledger.domain.values import DeliveryFailure
from ledger.interchange.importing import decoding
from ledger.interchange.importing.decoding import clean_text, decode_words, one_line

#: How much of the body text the interaction's summary keeps.
SUMMARY_LENGTH = 2_000
_SUBJECT_LENGTH = 998
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
_PARSER = BytesParser(policy=modern_policy)
#: How deep attachments are looked for (a message nested a thousand times is kept whole as
#: the original, its inner parts not listed one by one).
MAX_DEPTH = 50
#: ``jgb at example.com (Jesús)``: how Mailman's pipermail archives write an address.
_ARCHIVE_ADDRESS = re.compile(
    r"^\s*([^\s@<>()\",;:]+) at ([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})\s*(?:\((.*)\))?\s*$"
)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail delivery)", re.IGNORECASE)


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
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    summary: str
    occurred_at: datetime
    date_source: str  # "Date", "Received" or "mbox"
    attachments: tuple[ParsedAttachment, ...]
    notes: tuple[str, ...]
    #: ``(address, name)`` for every address that came with a name, sender first.
    display_names: tuple[tuple[str, str], ...] = ()
    #: Set when the message reports that another could not be delivered (a bounce).
    delivery_failure: DeliveryFailure | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        """Everyone on the message, sender first, each once."""
        return tuple(dict.fromkeys((self.from_address, *self.to, *self.cc, *self.bcc)))


def parse_email(
    data: bytes, *, envelope_date: datetime | None = None, now: datetime | None = None
) -> ParsedEmail:
    """Read one message (its bytes as found). ``envelope_date``: the date of its mbox
    separator line, a last resort for when it was sent. Raises only
    :class:`UnparseableEmailError`."""
    if not data.strip():
        raise UnparseableEmailError("empty message")
    try:
        return _parse(data, envelope_date, now or utcnow())
    except UnparseableEmailError:
        raise
    except RecursionError:
        raise UnparseableEmailError("its MIME structure is nested too deeply to read") from None
    except Exception as e:  # odd input the standard library trips over: refuse this one alone
        reason = decoding.one_line(f"{type(e).__name__}: {e}")[:300]
        raise UnparseableEmailError(f"cannot be read ({reason})") from None


def _parse(data: bytes, envelope_date: datetime | None, now: datetime) -> ParsedEmail:
    message = _PARSER.parsebytes(data)
    if not message.keys():
        raise UnparseableEmailError("not an email message: no header lines found")
    notes: list[str] = []
    headers = _Headers(message, notes)
    names: dict[str, str] = {}
    from ledger.interchange.importing.bounces import delivery_failure_of

    failure = delivery_failure_of(message, headers.text("from"), headers.text("subject"))
    from_address, from_name = _sender(headers, names, notes, failure)
    occurred_at, date_source = _when(headers, envelope_date, notes, now)
    message_id = _first_id(headers.raw("message-id", keep_controls=True), bare_allowed=True)
    references = tuple(
        r for r in _MSG_ID.findall(headers.raw("references", keep_controls=True)) if _usable(r)
    )
    parent_ref = _first_id(headers.raw("in-reply-to", keep_controls=True)) or (
        references[-1] if references else None
    )
    if parent_ref is None and failure is not None and failure.original_message_id is not None:
        parent_ref = failure.original_message_id  # a bounce belongs to the message it reports
    if parent_ref is not None and parent_ref == message_id:
        parent_ref = None
    if parent_ref is not None and parent_ref not in references:
        references = (*references, parent_ref)
    _line_ends(data, notes)
    body = _body_part(message)
    summary = _summary(body, notes)
    if failure is not None:
        summary = _failure_summary(failure, summary)
    attachments: list[ParsedAttachment] = []
    _collect_attachments(message, body, attachments, notes, 0)
    to = _addresses(headers, "to", names, notes)
    cc = _addresses(headers, "cc", names, notes)
    bcc = _addresses(headers, "bcc", names, notes)
    return ParsedEmail(
        sha256=hashlib.sha256(data).hexdigest(),
        message_id=message_id,
        parent_ref=parent_ref,
        references=references,
        from_address=from_address,
        from_name=from_name,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=headers.text("subject")[:_SUBJECT_LENGTH],
        summary=summary,
        occurred_at=occurred_at,
        date_source=date_source,
        attachments=tuple(attachments),
        notes=tuple(dict.fromkeys(clean_text(n) for n in notes)),
        display_names=tuple(names.items()),
        delivery_failure=failure,
    )


# ------------------------------------------------------------------------------ headers


class _Headers:
    """The message's headers as text the ledger can keep: raw 8-bit bytes decoded by the best
    guess (noted), encoded words decoded, NUL and control characters left out."""

    def __init__(self, message: Message, notes: list[str]) -> None:
        self.message = message
        self.notes = notes
        self._charsets: list[str] | None = None
        self._raw: dict[str, list[str]] = {}
        for key, value in message.raw_items():
            self._raw.setdefault(str(key).lower(), []).append(str(value))

    def charsets(self) -> list[str]:
        """The charsets the message names (looked for only when a guess is needed)."""
        if self._charsets is None:
            self._charsets = _declared_charsets(self.message)
        return self._charsets

    def raw_all(self, name: str, *, keep_controls: bool = False) -> list[str]:
        """Each value of a header, 8-bit bytes decoded (no surrogates), unfolded; NUL and
        other control characters left out unless ``keep_controls`` (message ids: one holding
        NUL is no id at all)."""
        values = []
        for value in self._raw.get(name, ()):
            guessed = None
            text = value
            if decoding.has_surrogates(value):
                text, guessed = decoding.repair(value, self.charsets())
            if guessed is not None:
                self.notes.append(
                    f"{name.title()}: raw 8-bit bytes (not encoded as RFC 2047 says) "
                    f"read as {guessed}"
                )
            values.append(" ".join(text.split()) if keep_controls else one_line(text))
        return values

    def raw(self, name: str, *, keep_controls: bool = False) -> str:
        """The first value of a header ('' when absent), as :meth:`raw_all`."""
        values = self.raw_all(name, keep_controls=keep_controls)
        return values[0] if values else ""

    def text(self, name: str) -> str:
        """An unstructured header (Subject) decoded for reading."""
        return one_line(decode_words(self.raw(name), self.charsets))


def _declared_charsets(message: Message) -> list[str]:
    """The charsets the message names, in order: its parts' ``charset`` parameters and its
    encoded words' — what its raw 8-bit headers were most likely written in."""
    found: list[str] = []
    try:
        for part in message.walk():
            charset = part.get_param("charset")
            if isinstance(charset, str) and charset.lower() not in ("us-ascii", "ascii"):
                found.append(charset)
            if len(found) > 20:
                break
    except Exception:
        pass
    for _, value in message.raw_items():
        found += re.findall(r"=\?([^?*\s]+)", str(value))
    return list(dict.fromkeys(c.lower() for c in found if c.lower() not in ("us-ascii", "ascii")))


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
    return 0 < len(ref) <= 998 and "\x00" not in ref and clean_text(ref) == ref


def _clean(text: str) -> str:
    """Text as the ledger may keep it: without NUL characters (or other controls)."""
    return clean_text(text)


def _archive_form(value: str) -> str:
    """``jgb at example.com (Name)`` (pipermail) as ``Name <jgb@example.com>``."""
    match = _ARCHIVE_ADDRESS.match(value)
    if match is None:
        return value
    local, domain, name = match.groups()
    address = f"{local}@{domain}"
    if not name:
        return address
    name = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{name}" <{address}>'


def _parsed_addresses(name: str, value: str) -> list[tuple[str, str]] | None:
    """``(display name, addr-spec)`` pairs through the modern policy; ``None`` when it fails."""
    try:
        header: Any = modern_policy.header_factory(name, value)
        return [(str(a.display_name or ""), str(a.addr_spec)) for a in header.addresses]
    except Exception:
        return None


def _address_pairs(headers: _Headers, name: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for value in headers.raw_all(name):
        value = _archive_form(value)
        parsed = _parsed_addresses(name, value)
        if parsed is None:  # the modern parser gave up on this header: read it the old way
            parsed = [(n, a) for n, a in email.utils.getaddresses([value])]
        for display, spec in parsed:
            display = one_line(decode_words(display, headers.charsets))
            pairs.append((display, one_line(spec)))
    return pairs


def _keep_name(names: dict[str, str], address: str, display: str) -> None:
    display = display.strip().strip('"').strip()
    if display and display.lower() != address and address not in names:
        names[address] = display[:500]


def _addresses(
    headers: _Headers, name: str, names: dict[str, str], notes: list[str]
) -> tuple[str, ...]:
    kept: list[str] = []
    for display, spec in _address_pairs(headers, name):
        if not spec or spec == "<>":
            if display or spec:
                notes.append(f"{name.capitalize()}: an address that cannot be read was left out")
            continue
        try:
            address = normalise_email(spec, name)
        except InvalidInputError:
            notes.append(f"{name.capitalize()}: {spec!r} is not an address; left out")
            continue
        kept.append(address)
        _keep_name(names, address, display)
    return tuple(dict.fromkeys(kept))


def _sender(
    headers: _Headers,
    names: dict[str, str],
    notes: list[str],
    failure: DeliveryFailure | None,
) -> tuple[str, str | None]:
    for name in ("from", "sender"):
        for display, spec in _address_pairs(headers, name):
            try:
                address = normalise_email(spec, name)
            except InvalidInputError:
                continue
            _keep_name(names, address, display)
            return address, names.get(address)
    given = headers.raw("from")
    if failure is not None:
        address = _daemon_address(failure)
        notes.append(
            f"a delivery failure report from {given or 'an empty sender'!r}: "
            f"recorded as sent by {address}"
        )
        display = next((d for d, _ in _address_pairs(headers, "from") if d), "")
        _keep_name(names, address, display or "Mail Delivery System")
        return address, names.get(address)
    raise UnparseableEmailError(
        f"no usable From address (From: {given!r})" if given else "no From header"
    )


def _daemon_address(failure: DeliveryFailure) -> str:
    """Who a bounce without a usable sender is recorded as sent by: the mailer daemon of the
    server that reported it (``.invalid`` when that has no domain name)."""
    host = (failure.reporting_mta or "").strip().lower().rstrip(".")
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host):
        host = f"{host or 'unknown'}.invalid" if re.fullmatch(r"[a-z0-9-]*", host) else "invalid"
        if host == ".invalid":
            host = "unknown.invalid"
    return f"mailer-daemon@{host}"


def _failure_summary(failure: DeliveryFailure, summary: str) -> str:
    lines = []
    for r in failure.recipients[:20]:
        detail = "; ".join(x for x in (r.status, r.diagnostic) if x)
        verb = "delayed" if r.action == "delayed" else "failed"
        lines.append(f"Delivery to {r.address} {verb}" + (f": {detail}" if detail else ""))
    if not lines:
        lines.append("Delivery failed (the report names no recipient)")
    head = "\n".join(lines)
    text = f"{head}\n\n{summary}" if summary else head
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1].rstrip() + "…"


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except Exception:
        return None
    if when is None:
        return None
    return when if when.utcoffset() is not None else when.replace(tzinfo=UTC)


def _when(
    headers: _Headers, envelope_date: datetime | None, notes: list[str], now: datetime
) -> tuple[datetime, str]:
    given = headers.raw("date")
    occurred_at = _parse_date(given)
    source = "Date"
    if occurred_at is None:
        # Received: ...; <date>. The last header is the first server that took the message.
        for received in reversed(headers.raw_all("received")):
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
    """A text part's text: transfer-decoded, then read in its declared charset when that
    reads it cleanly, else in the best guess (noted)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        payload = decoding.recover_bytes(raw) if isinstance(raw, str) else b""
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    text, note = decoding.decode_declared(payload, declared)
    if note is not None:
        notes.append(f"body {note}")
    return text


def _line_ends(data: bytes, notes: list[str]) -> None:
    crlf = data.count(b"\r\n")
    cr = data.count(b"\r") - crlf
    lf = data.count(b"\n") - crlf
    if cr and not crlf and not lf:
        notes.append("line ends are CR only (old Mac); read as lines for the summary")
    elif sum(1 for n in (crlf, cr, lf) if n) > 1:
        notes.append("line ends are mixed (CR LF, LF, CR); made one kind for the summary")


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
    text = _clean(text.replace("\r\n", "\n").replace("\r", "\n"))
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
    part: Message,
    body: Message | None,
    found: list[ParsedAttachment],
    notes: list[str],
    depth: int,
) -> None:
    if part is body:
        return
    if depth > MAX_DEPTH:
        notes.append(
            f"parts nested more than {MAX_DEPTH} deep are not listed as attachments "
            "(the original keeps them)"
        )
        return
    media_type = one_line(part.get_content_type())[:255] or "application/octet-stream"
    if part.is_multipart() and media_type != "message/rfc822":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else ():
            if isinstance(sub, Message):
                _collect_attachments(sub, body, found, notes, depth + 1)
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
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
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
    name, _ = decoding.repair(decode_words(str(name)))
    # Keep the file name only: a name is never a path ("../../etc/passwd" → "passwd").
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = one_line(name)[:255]
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
    try:
        return mimetypes.guess_extension(media_type) or ".bin"
    except Exception:
        return ".bin"


__all__ = [
    "ParsedAttachment",
    "ParsedEmail",
    "UnparseableEmailError",
    "html_to_text",
    "parse_email",
]
