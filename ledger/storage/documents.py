"""The document store: original files (imported emails, their attachments, minutes) kept
byte-for-byte and addressed by their SHA-256 digest, in the same database as the events.

Events never hold a document, only its digest (``Interaction.body_sha256``,
``Attachment.sha256``, ``Source.sha256``); the store answers "which bytes had this digest?".
Because the key *is* the digest of the content:

* storing the same bytes twice stores them once (:meth:`DocumentStore.put` is idempotent);
* a row whose content no longer hashes to its key is caught when read
  (:class:`DocumentIntegrityError`, carrying the expected and the calculated digest).

The media type and file name of a document are those given when it was first stored: the same
bytes attached under two names are one document.

Documents are written in their own transactions, before the events that reference them (the
events are stored by eventsourcing's recorder, on its own connection). An import interrupted
between the two leaves documents that no event references yet; running the import again finds
them already stored and records the events. A document is never deleted by the ledger: it is
part of the evidence of the events that name it.

Naming a digest grants nothing. Each document keeps which projects *hold* it
(``document_holders``): those through which its bytes were stored (an import into the project,
by a member). The API serves a document only to members of a project that holds it and whose
items reference it; an evidence bundle includes it only if one of its projects holds it. Documents
stored before holders were kept are given to the project whose item referenced them first
(:mod:`api.item_index` does it, reading the log in order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from ledger.domain.errors import InvalidInputError
from ledger.domain.validation import sha256_hex
from ledger.storage.settings import Storage
from ledger.storage.sql import SqlDatabase

TABLE = "documents"

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " sha256 TEXT PRIMARY KEY,"
    " size BIGINT NOT NULL,"
    " media_type TEXT,"
    " filename TEXT,"
    " stored_at TEXT NOT NULL,"
    " content BLOB NOT NULL"
    ")",
)

HOLDERS = "document_holders"

_SCHEMA_HOLDERS = (
    f"CREATE TABLE IF NOT EXISTS {HOLDERS} ("
    " sha256 TEXT NOT NULL,"
    " project_id TEXT NOT NULL,"
    " stored_by TEXT,"
    " stored_at TEXT NOT NULL,"
    " PRIMARY KEY (sha256, project_id)"
    ")",
)

_INSERT_HOLDER = (
    f"INSERT INTO {HOLDERS} (sha256, project_id, stored_by, stored_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (sha256, project_id) DO NOTHING"
)

_INSERT = (
    f"INSERT INTO {TABLE} (sha256, size, media_type, filename, stored_at, content) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING"
)

#: How many digests one ``IN (...)`` query asks about.
_QUERY_CHUNK = 500


class DocumentIntegrityError(Exception):
    """A stored document's content does not hash to its digest: the row was altered."""

    def __init__(self, expected: str, calculated: str) -> None:
        super().__init__(f"document {expected} is corrupt: its content now hashes to {calculated}")
        self.expected = expected
        self.calculated = calculated


@dataclass(frozen=True)
class DocumentInfo:
    """What is known of a stored document besides its bytes."""

    sha256: str
    size: int
    media_type: str | None
    filename: str | None
    stored_at: datetime


@dataclass(frozen=True)
class StoredDocument:
    """A stored document's bytes (checked against its digest) and what is known of them."""

    data: bytes
    media_type: str | None
    filename: str | None


@dataclass(frozen=True)
class NewDocument:
    """A document to store with :meth:`DocumentStore.put_many`."""

    data: bytes
    media_type: str | None = None
    filename: str | None = None

    @property
    def sha256(self) -> str:
        return digest(self.data)


def digest(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as 64 lower-case hex digits: a document's address."""
    return hashlib.sha256(data).hexdigest()


class DocumentStore:
    """Documents by SHA-256 in the ledger's database (SQLite or PostgreSQL).

    ``DocumentStore(database_url)``, ``DocumentStore(ledger.storage)`` or
    ``DocumentStore(sql_database)`` to share an open :class:`~ledger.storage.sql.SqlDatabase` (which
    the store then does not close). The table is created when missing."""

    def __init__(self, database: SqlDatabase | Storage | str | None = None) -> None:
        if isinstance(database, SqlDatabase):
            self.db = database
            self._owns_db = False
        else:
            self.db = SqlDatabase(database)
            self._owns_db = True
        self.db.ensure_schema((*_SCHEMA, *_SCHEMA_HOLDERS))

    # ------------------------------------------------------------------------- writing

    def put(
        self,
        data: bytes,
        *,
        media_type: str | None = None,
        filename: str | None = None,
        project_id: UUID | str | None = None,
        stored_by: str | None = None,
    ) -> str:
        """Store ``data`` (unless already stored) and return its digest; ``project_id``: the
        project it is stored through (which then holds it), ``stored_by``: who did."""
        document = NewDocument(data, media_type, filename)
        return self.put_many([document], project_id=project_id, stored_by=stored_by)[0]

    def put_many(
        self,
        documents: Sequence[NewDocument],
        *,
        project_id: UUID | str | None = None,
        stored_by: str | None = None,
    ) -> list[str]:
        """Store several documents in one transaction; returns their digests in order.
        Documents already stored (or repeated in ``documents``) are stored once; each is held
        by ``project_id`` from then on (if given)."""
        rows: dict[str, tuple[object, ...]] = {}
        digests = []
        stored_at = datetime.now(UTC).isoformat()
        for i, document in enumerate(documents):
            if not isinstance(document.data, (bytes, bytearray, memoryview)):
                raise InvalidInputError(f"documents[{i}].data", "must be bytes")
            data = bytes(document.data)
            sha = digest(data)
            digests.append(sha)
            rows.setdefault(
                sha,
                (
                    sha,
                    len(data),
                    _optional_text(document.media_type),
                    _optional_text(document.filename),
                    stored_at,
                    data,
                ),
            )
        if rows:
            with self.db.transaction() as tx:
                tx.executemany(_INSERT, list(rows.values()))
                if project_id is not None:
                    tx.executemany(
                        _INSERT_HOLDER,
                        [(sha, str(project_id), stored_by, stored_at) for sha in rows],
                    )
        return digests

    def holds(self, project_id: UUID | str, sha256: str) -> bool:
        """Whether the project holds the document (its bytes were stored through it)."""
        key = sha256_hex(sha256, "sha256")
        return bool(
            self.db.query(
                f"SELECT 1 FROM {HOLDERS} WHERE sha256 = ? AND project_id = ?",
                (key, str(project_id)),
            )
        )

    def holders(self, sha256: str) -> set[str]:
        """The projects (ids, as text) that hold the document."""
        key = sha256_hex(sha256, "sha256")
        rows = self.db.query(f"SELECT project_id FROM {HOLDERS} WHERE sha256 = ?", (key,))
        return {str(r[0]) for r in rows}

    # ------------------------------------------------------------------------- reading

    def get(self, sha256: str) -> bytes | None:
        """The bytes whose digest is ``sha256``, or ``None`` when no such document is stored.
        Raises :class:`DocumentIntegrityError` if the stored bytes no longer match."""
        found = self.load(sha256)
        return found.data if found is not None else None

    def load(self, sha256: str) -> StoredDocument | None:
        """The document with that digest — bytes, media type, file name — in one query, or
        ``None``. Raises :class:`DocumentIntegrityError` if the stored bytes no longer match."""
        key = sha256_hex(sha256, "sha256")
        rows = self.db.query(
            f"SELECT content, media_type, filename FROM {TABLE} WHERE sha256 = ?", (key,)
        )
        if not rows:
            return None
        content, media_type, filename = rows[0]
        data = bytes(content)
        calculated = digest(data)
        if calculated != key:
            raise DocumentIntegrityError(key, calculated)
        return StoredDocument(data, media_type, filename)

    def has(self, sha256: str) -> bool:
        key = sha256_hex(sha256, "sha256")
        return bool(self.db.query(f"SELECT 1 FROM {TABLE} WHERE sha256 = ?", (key,)))

    def stored(self, digests: Iterable[str]) -> set[str]:
        """Those of ``digests`` that are stored (a few queries, however many are asked)."""
        keys = list(dict.fromkeys(sha256_hex(d, "sha256") for d in digests))
        rows = self.db.query_in(
            f"SELECT sha256 FROM {TABLE} WHERE sha256 IN ({{marks}})", keys, chunk=_QUERY_CHUNK
        )
        return {row[0] for row in rows}

    def info(self, sha256: str) -> DocumentInfo | None:
        """Size, media type, file name and storage time of a document, or ``None``."""
        key = sha256_hex(sha256, "sha256")
        rows = self.db.query(
            f"SELECT sha256, size, media_type, filename, stored_at FROM {TABLE} WHERE sha256 = ?",
            (key,),
        )
        if not rows:
            return None
        sha, size, media_type, filename, stored_at = rows[0]
        return DocumentInfo(
            sha256=sha,
            size=int(size),
            media_type=media_type,
            filename=filename,
            stored_at=datetime.fromisoformat(stored_at),
        )

    def count(self) -> int:
        rows = self.db.query(f"SELECT COUNT(*) FROM {TABLE}")
        return int(rows[0][0])

    # ------------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    # PostgreSQL text cannot hold NUL; a name is metadata, the bytes are what is kept.
    text = str(value).replace("\x00", "").strip()
    return text[:1000] or None


__all__ = [
    "DocumentInfo",
    "DocumentIntegrityError",
    "DocumentStore",
    "NewDocument",
    "StoredDocument",
    "digest",
]
