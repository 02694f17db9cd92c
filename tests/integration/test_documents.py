"""The document store keeps bytes by their SHA-256 digest, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from ledger.domain.errors import InvalidInputError
from ledger.storage.documents import (
    DocumentIntegrityError,
    DocumentStore,
    NewDocument,
    digest,
)
from ledger.storage.sql import SqlDatabase


@pytest.fixture
def store(database_url: str) -> Iterator[DocumentStore]:
    documents = DocumentStore(database_url)
    try:
        yield documents
    finally:
        documents.close()


def test_put_returns_the_digest_and_get_returns_the_same_bytes(store: DocumentStore) -> None:
    data = b"From: a@x.test\r\n\r\nhello\x00\xff binary too"
    sha = store.put(data, media_type="message/rfc822", filename="hello.eml")
    assert sha == hashlib.sha256(data).hexdigest() == digest(data)
    assert store.get(sha) == data
    assert store.has(sha)
    info = store.info(sha)
    assert info is not None
    assert (info.sha256, info.size, info.media_type, info.filename) == (
        sha,
        len(data),
        "message/rfc822",
        "hello.eml",
    )
    assert info.stored_at.tzinfo is not None


def test_put_is_idempotent_and_the_first_name_stays(store: DocumentStore) -> None:
    first = store.put(b"same bytes", media_type="text/plain", filename="a.txt")
    again = store.put(b"same bytes", media_type="application/octet-stream", filename="b.bin")
    assert first == again
    assert store.count() == 1
    info = store.info(first)
    assert info is not None
    assert (info.media_type, info.filename) == ("text/plain", "a.txt")


def test_unknown_digests_are_absent(store: DocumentStore) -> None:
    missing = "0" * 64
    assert store.get(missing) is None
    assert not store.has(missing)
    assert store.info(missing) is None


def test_digests_are_checked(store: DocumentStore) -> None:
    with pytest.raises(InvalidInputError):
        store.get("not-a-digest")
    with pytest.raises(InvalidInputError):
        store.put("text is not bytes")  # type: ignore[arg-type]
    # Upper case is the same digest.
    sha = store.put(b"x")
    assert store.get(sha.upper()) == b"x"


def test_put_many_stores_each_once_in_one_transaction(store: DocumentStore) -> None:
    docs = [NewDocument(b"one"), NewDocument(b"two", "text/plain", "two.txt"), NewDocument(b"one")]
    digests = store.put_many(docs)
    assert digests == [digest(b"one"), digest(b"two"), digest(b"one")]
    assert store.count() == 2
    assert store.stored([*digests, "f" * 64]) == {digest(b"one"), digest(b"two")}
    assert store.put_many([]) == []


def test_empty_and_large_documents(store: DocumentStore) -> None:
    large = bytes(range(256)) * 8192  # 2 MiB
    assert store.get(store.put(b"")) == b""
    assert store.get(store.put(large)) == large


def test_a_tampered_row_is_caught_when_read(database_url: str) -> None:
    db = SqlDatabase(database_url)
    store = DocumentStore(db)
    try:
        sha = store.put(b"the original minutes")
        with db.transaction() as tx:
            tx.execute("UPDATE documents SET content = ? WHERE sha256 = ?", (b"edited", sha))
        with pytest.raises(DocumentIntegrityError) as caught:
            store.get(sha)
        assert caught.value.expected == sha
        assert caught.value.calculated == digest(b"edited")
    finally:
        store.close()  # a shared database is not closed by the store
        assert db.query("SELECT COUNT(*) FROM documents") == [(1,)]
        db.close()


def test_documents_live_beside_the_events(database_url: str) -> None:
    from ledger.service.application import Ledger

    ledger = Ledger(database_url)
    try:
        with DocumentStore(ledger.storage) as store:
            sha = store.put(b"kept beside the events")
        with DocumentStore(database_url) as reopened:
            assert reopened.get(sha) == b"kept beside the events"
    finally:
        ledger.close()


def test_names_with_nul_characters_are_kept_without_them(store: DocumentStore) -> None:
    # PostgreSQL text cannot hold NUL; a hostile attachment name must not break the import.
    sha = store.put(b"payload", filename="invoice\x00.pdf", media_type="  ")
    info = store.info(sha)
    assert info is not None
    assert (info.filename, info.media_type) == ("invoice.pdf", None)
