"""Outlook ``.msg`` files: read with ``extract-msg`` and turned into an RFC 5322 message that
the one email pipeline reads like any other.

A ``.msg`` is a Compound File Binary (OLE2) container of MAPI properties, not a MIME
message. Reading it correctly — property streams, named properties, code pages, RTF
compressed bodies, embedded messages — is ``extract-msg``'s job (see docs/importing.md,
*Dependencies*). ``Message.asEmailMessage()`` gives the message with its transport headers
when Outlook kept them, else headers made from the MAPI properties; the file itself is the
original kept in the document store, byte for byte.
"""

from __future__ import annotations

import contextlib
import logging
from email.policy import SMTP


class OutlookError(ValueError):
    """The file is not an Outlook message that can be read; the reason says why."""


def message_from_msg(data: bytes) -> bytes:
    """The message of an Outlook ``.msg`` file as RFC 5322 bytes, or :class:`OutlookError`."""
    try:
        import extract_msg
    except ImportError:  # pragma: no cover - a dependency of the package
        raise OutlookError("Outlook .msg files need the extract-msg package") from None
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    try:
        msg = extract_msg.openMsg(data, delayAttachments=True)
    except Exception as e:
        reason = type(e).__name__
        raise OutlookError(f"not an Outlook message that can be read ({reason})") from None
    try:
        if not isinstance(msg, extract_msg.Message):
            kind = type(msg).__name__
            raise OutlookError(f"an Outlook file that is not a message ({kind})")
        try:
            message = msg.asEmailMessage()
        except Exception as e:
            raise OutlookError(
                f"an Outlook message that cannot be converted ({type(e).__name__}: {e})"
            ) from None
        try:
            return message.as_bytes(policy=SMTP)
        except Exception as e:
            raise OutlookError(
                f"an Outlook message that cannot be written as MIME ({type(e).__name__})"
            ) from None
    finally:
        with contextlib.suppress(Exception):
            msg.close()


__all__ = ["OutlookError", "message_from_msg"]
