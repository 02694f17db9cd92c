"""Bringing existing communication into the ledger: email (mbox, Maildir, ``.eml``, ``.msg``,
zip) and minutes
(Markdown). Originals are kept byte-for-byte in the document store (:mod:`ledger.storage.documents`)
and referenced by their SHA-256 digest. See docs/importing.md."""

from ledger.interchange.importing.emails import (
    EmailImportSummary,
    MessageResult,
    Outcome,
    import_emails,
    import_message,
)
from ledger.interchange.importing.mail import ParsedEmail, UnparseableEmailError, parse_email
from ledger.interchange.importing.sources import (
    EmlFiles,
    Files,
    Mbox,
    Messages,
    MessageSource,
    RawMessage,
    SourceError,
)

__all__ = [
    "EmailImportSummary",
    "EmlFiles",
    "Files",
    "Mbox",
    "MessageResult",
    "MessageSource",
    "Messages",
    "Outcome",
    "ParsedEmail",
    "RawMessage",
    "SourceError",
    "UnparseableEmailError",
    "import_emails",
    "import_message",
    "parse_email",
]
