"""Delivery failure reports ("bounces"): which message could not be delivered, to whom, why.

"Your email never arrived" is evidence, so a bounce is recorded — as an interaction whose
``delivery_failure`` (:class:`~ledger.domain.values.DeliveryFailure`) says what the report says.
Recognised:

* **RFC 3464** delivery status notifications (``multipart/report;
  report-type=delivery-status``, also RFC 6533's ``message/global-delivery-status``): one
  recipient per ``Final-Recipient`` block with its ``Action``, ``Status`` and
  ``Diagnostic-Code``; the reporting server from ``Reporting-MTA``. Only ``failed`` and
  ``delayed`` reports are delivery failures (a "delivered" notification is ordinary mail).
* the plain-text reports of **qmail** ("This is the qmail-send program"), **Exim** ("This
  message was created automatically by mail delivery software", ``X-Failed-Recipients``),
  **Postfix** ("This is the mail system at host") and **Sendmail** ("The following addresses
  had permanent fatal errors");
* any other report sent by a mailer daemon (``MAILER-DAEMON``, ``postmaster``, an empty
  sender ``<>``) whose subject says delivery failed: its recipients are the addresses its
  text names (format ``other``).

The original message is named by the ``Message-ID`` of the copy the report returns (an
attached ``message/rfc822`` or ``text/rfc822-headers`` part, or the copy quoted in its text).
Everything here reads defensively: a report it cannot make sense of is ordinary mail.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from ledger.domain.values import DeliveryFailure, FailedRecipient
from ledger.interchange.importing import decoding
from ledger.interchange.importing.decoding import one_line

#: How many recipients of one report are kept.
MAX_RECIPIENTS = 100
_TEXT_LIMIT = 200_000

_DAEMON_SENDER = re.compile(
    r"(^|[<\s\"])(mailer-daemon|mail-daemon|postmaster|mail delivery (sub)?system)\b|^\s*<>\s*$",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|delivery (status notification|failure|failed|has failed)|"
    r"failure notice|returned mail|mail delivery failed|could not be delivered|"
    r"delivery problem|nondeliverable|non-deliverable|unzustellbar|non remis|"
    r"warning: could not send",
    re.IGNORECASE,
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_ADDRESS = re.compile(r"<?([^\s<>()\[\]\"',;:@]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)>?")
_MESSAGE_ID = re.compile(r"^message-id:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_COPY_MARKERS = re.compile(
    r"^.*(below this line is a copy of the message|this is a copy of the message|"
    r"original message follows|original message headers|unsent message below|"
    r"returned message|message headers follow|----- original message -----).*$",
    re.IGNORECASE | re.MULTILINE,
)

_QMAIL = re.compile(r"this is the qmail-send program at ([^\s]+?)\.?\s", re.IGNORECASE)
_EXIM = re.compile(r"this message was created automatically by mail delivery software",
                   re.IGNORECASE)  # fmt: skip
_POSTFIX = re.compile(r"this is the mail system at host ([^\s]+?)\.?\s", re.IGNORECASE)
_SENDMAIL = re.compile(r"-{3,}\s*the following addresses? had (permanent fatal|transient)",
                       re.IGNORECASE)  # fmt: skip


def delivery_failure_of(message: Message, sender: str, subject: str) -> DeliveryFailure | None:
    """What ``message`` reports about a failed delivery, or ``None`` when it is no such report.
    ``sender`` and ``subject``: its From and Subject as decoded text."""
    content_type = (_header(message, "content-type") or "").lower()
    parts = _parts(message) if "multipart" in content_type else [message]
    report = _rfc3464(parts) if "report" in content_type else None
    if report is not None:
        if not report[0]:
            return None  # a report of successful delivery
        return DeliveryFailure(
            format="rfc3464",
            recipients=report[0],
            reporting_mta=report[1],
            original_message_id=_original_id(parts),
        )
    from_daemon = _DAEMON_SENDER.search(sender or "<>") is not None
    return_path = _header(message, "return-path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        from_daemon = True
    says_failed = _BOUNCE_SUBJECT.search(subject or "") is not None
    if not from_daemon and not says_failed:
        return None  # neither a daemon's nor about delivery: ordinary mail (the common case)
    text = _text(parts)
    head = text[:4_000]
    fmt, mta, recipients = _plain_formats(head, text, message)
    if fmt is None:
        if not (from_daemon and says_failed):
            return None
        fmt, recipients = "other", _other_recipients(text, sender)
    if mta is None:
        mta = _domain_of(sender)
    return DeliveryFailure(
        format=fmt,
        recipients=tuple(recipients[:MAX_RECIPIENTS]),
        reporting_mta=mta,
        original_message_id=_original_id(parts, text),
    )


# ---------------------------------------------------------------------------- reading


def _parts(message: Message) -> list[Message]:
    found: list[Message] = []
    try:
        for part in message.walk():
            found.append(part)
            if len(found) >= 200:
                break
    except Exception:
        pass
    return found or [message]


def _header(message: Message, name: str) -> str | None:
    try:
        for key, value in message.raw_items():
            if str(key).lower() == name:
                return one_line(decoding.repair(str(value))[0])
    except Exception:
        return None
    return None


def _decoded(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        if not isinstance(raw, str):
            return ""
        payload = decoding.recover_bytes(raw)
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    text, _ = decoding.decode_declared(payload[:_TEXT_LIMIT], declared)
    return decoding.clean_text(text).replace("\r\n", "\n").replace("\r", "\n")


def _text(parts: list[Message]) -> str:
    """The report's readable text: its ``text/plain`` parts (else its HTML stripped), joined."""
    texts = [_decoded(p) for p in parts if _type(p) == "text/plain"]
    if not any(t.strip() for t in texts):
        from ledger.interchange.importing.mail import html_to_text

        texts = [html_to_text(_decoded(p)) for p in parts if _type(p) == "text/html"]
    return "\n".join(texts)[:_TEXT_LIMIT]


def _type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _field(value: str | None) -> str | None:
    """A DSN field's value without its type (``rfc822; a@x`` → ``a@x``), or ``None``."""
    if value is None:
        return None
    text = one_line(decoding.repair(str(value))[0])
    kind, sep, rest = text.partition(";")
    if sep and re.fullmatch(r"[A-Za-z0-9-]+", kind.strip()):
        text = rest.strip()
    return text[:1_000] or None


# ------------------------------------------------------------------------- RFC 3464


def _rfc3464(parts: list[Message]) -> tuple[tuple[FailedRecipient, ...], str | None] | None:
    status = next(
        (
            p
            for p in parts
            if _type(p) in ("message/delivery-status", "message/global-delivery-status")
        ),
        None,
    )
    if status is None:
        return None
    blocks = _status_blocks(status)
    if not blocks:
        return None
    mta = _field(blocks[0].get("reporting-mta"))
    recipients: list[FailedRecipient] = []
    for block in blocks[1:]:
        address = _field(block.get("final-recipient")) or _field(block.get("original-recipient"))
        if not address:
            continue
        action = (_field(block.get("action")) or "failed").lower()
        if action not in ("failed", "delayed"):
            continue
        recipients.append(
            FailedRecipient(
                address=address[:500],
                action=action,
                status=_field(block.get("status")),
                diagnostic=_field(block.get("diagnostic-code")),
            )
        )
    return tuple(recipients[:MAX_RECIPIENTS]), mta


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The field blocks of a ``message/delivery-status`` part: the per-message block first,
    then one per recipient (names in lower case)."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list) and all(isinstance(b, Message) for b in payload):
        for block in payload:
            fields: dict[str, str] = {}
            assert isinstance(block, Message)
            for key, value in block.raw_items():
                fields.setdefault(str(key).lower(), str(value))
            blocks.append(fields)
        if blocks:
            return blocks
    text = _decoded(part) if not isinstance(payload, list) else ""
    for chunk in re.split(r"\n\s*\n", text):
        fields = {}
        name = None
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and name is not None:
                fields[name] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if sep and key.strip():
                name = key.strip().lower()
                fields.setdefault(name, value.strip())
        if fields:
            blocks.append(fields)
    return blocks


# ------------------------------------------------------------------ plain-text reports


def _plain_formats(
    head: str, text: str, message: Message
) -> tuple[str | None, str | None, list[FailedRecipient]]:
    body = _before_copy(text)
    found = _QMAIL.search(head)
    if found is not None:
        return "qmail", found.group(1).lower(), _angle_recipients(body, qmail=True)
    if _EXIM.search(head):
        recipients = _exim_recipients(body)
        failed = _header(message, "x-failed-recipients")
        if not recipients and failed:
            recipients = [FailedRecipient(address=a, action="failed") for a in _addresses(failed)]
        return "exim", None, recipients
    found = _POSTFIX.search(head)
    if found is not None:
        return "postfix", found.group(1).lower(), _angle_recipients(body, qmail=False)
    if _SENDMAIL.search(head) or _SENDMAIL.search(body):
        return "sendmail", None, _sendmail_recipients(body)
    return None, None, []


def _before_copy(text: str) -> str:
    marker = _COPY_MARKERS.search(text)
    return text[: marker.start()] if marker else text


def _recipient(address: str, diagnostic: str) -> FailedRecipient:
    diagnostic = one_line(diagnostic)[:1_000]
    status = _STATUS.search(diagnostic)
    found = re.search(r"\(#(\d\.\d{1,3}\.\d{1,3})\)", diagnostic) or status
    code = found.group(1) if found is not None else None
    action = "delayed" if code is not None and code.startswith("4") else "failed"
    return FailedRecipient(
        address=one_line(address)[:500], action=action, status=code, diagnostic=diagnostic or None
    )


def _angle_recipients(body: str, *, qmail: bool) -> list[FailedRecipient]:
    """``<address>: diagnostic`` paragraphs (qmail puts the diagnostic on the next lines,
    Postfix on the same line and indented ones after it)."""
    found: list[FailedRecipient] = []
    pattern = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:[ \t]*(.*(?:\n(?![ \t]*\n|<).*)*)", re.MULTILINE)
    for match in pattern.finditer(body):
        found.append(_recipient(match.group(1), match.group(2)))
    return found


def _exim_recipients(body: str) -> list[FailedRecipient]:
    found: list[FailedRecipient] = []
    start = re.search(r"following addresses? failed:?|address\(es\) failed:?", body, re.I)
    if start is None:
        return found
    lines = body[start.end() :].split("\n")
    address: str | None = None
    diagnostic: list[str] = []
    for line in lines:
        if re.match(r"^ {2}\S", line) and "@" in line and not line.startswith("    "):
            if address is not None:
                found.append(_recipient(address, " ".join(diagnostic)))
            match = _ADDRESS.search(line)
            address, diagnostic = (match.group(1) if match else line.strip()), []
        elif line.startswith("    ") and address is not None:
            diagnostic.append(line.strip())
        elif line.strip() and address is not None and not line.startswith(" "):
            break
    if address is not None:
        found.append(_recipient(address, " ".join(diagnostic)))
    return found


def _sendmail_recipients(body: str) -> list[FailedRecipient]:
    found: list[FailedRecipient] = []
    start = _SENDMAIL.search(body)
    if start is None:
        return found
    section = body[start.end() :].split("\n", 1)[-1]
    section = re.split(r"\n\s*-{3,}", section, maxsplit=1)[0]
    current: str | None = None
    reason: list[str] = []
    for line in section.split("\n"):
        match = re.match(r"^\s*<?([^\s<>()]+@[^\s<>()]+?)>?\s*$", line)
        if match:
            if current is not None:
                found.append(_recipient(current, " ".join(reason)))
            current, reason = match.group(1), []
        elif line.strip() and current is not None:
            reason.append(line.strip().removeprefix("(reason:").rstrip(")").strip())
    if current is not None:
        found.append(_recipient(current, " ".join(reason)))
    return found


def _other_recipients(text: str, sender: str) -> list[FailedRecipient]:
    body = _before_copy(text)
    own = {a.lower() for a in _addresses(sender)}
    seen: dict[str, FailedRecipient] = {}
    for line in body.split("\n"):
        for address in _addresses(line):
            key = address.lower()
            if key in own or key in seen or _DAEMON_SENDER.search(address):
                continue
            seen[key] = _recipient(address, line)
    return list(seen.values())


def _addresses(text: str) -> list[str]:
    return [m.group(1).rstrip(".") for m in _ADDRESS.finditer(text)]


def _domain_of(sender: str) -> str | None:
    found = _addresses(sender or "")
    if not found:
        return None
    return found[0].rpartition("@")[2].lower() or None


# ------------------------------------------------------------------ the original message


def _original_id(parts: list[Message], text: str | None = None) -> str | None:
    for part in parts:
        kind = _type(part)
        try:
            if kind == "message/rfc822":
                payload = part.get_payload()
                inner = payload[0] if isinstance(payload, list) and payload else None
                if isinstance(inner, Message):
                    found = _first_id(_header(inner, "message-id"))
                    if found:
                        return found
            elif kind in ("text/rfc822-headers", "message/global-headers"):
                headers = HeaderParser(policy=compat32).parsestr(_decoded(part))
                found = _first_id(_header(headers, "message-id"))
                if found:
                    return found
        except Exception:
            continue
    if text is None:
        text = _text(parts)
    marker = _COPY_MARKERS.search(text)
    match = _MESSAGE_ID.search(text, marker.start() if marker else 0)
    return match.group(1)[:998] if match else None


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    match = re.search(r"<([^<>\s]+)>", value)
    return match.group(1)[:998] if match else None


__all__ = ["delivery_failure_of"]
