"""Bringing existing communication into the ledger: email (mbox, ``.eml``) and minutes
(Markdown). Originals are kept byte-for-byte in the document store (:mod:`ledger.storage.documents`)
and referenced by their SHA-256 digest. See docs/importing.md."""

from ledger.interchange.importing.emails import (
    EmailImportSummary,
    MessageResult,
    Outcome,
    import_emails,
)
from ledger.interchange.importing.mail import ParsedEmail, UnparseableEmailError, parse_email
from ledger.interchange.importing.sources import (
    EmlFiles,
    Mbox,
    Messages,
    MessageSource,
    RawMessage,
    SourceError,
)

__all__ = [
    "EmailImportSummary",
    "EmlFiles",
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
    "parse_email",
]
