"""Bringing existing communication into the ledger: email (mbox, ``.eml``) and minutes
(Markdown). Originals are kept byte-for-byte in the document store (:mod:`ledger.documents`)
and referenced by their SHA-256 digest. See docs/importing.md."""

from ledger.importing.emails import (
    EmailImportSummary,
    MessageResult,
    Outcome,
    import_emails,
)
from ledger.importing.mail import ParsedEmail, UnparseableEmailError, parse_email
from ledger.importing.sources import (
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
