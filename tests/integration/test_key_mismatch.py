"""A log that holds checkpoints is never signed with another key: without its key file no new
key is made, and a different key is refused, both naming the key the log expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.integrity.service import Integrity, KeyMismatchError
from ledger.integrity.signing import load_or_create_signer
from ledger.service.application import Ledger


def test_a_log_with_checkpoints_needs_the_key_that_signed_them(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.open_project("pm@acme.test", name="W", client_org="C", team_org="A")
    first = Integrity.for_ledger(ledger, key_file=tmp_path / "first.key")
    try:
        first.make_checkpoint()
        expected = f"{first.signer.name}+{first.verifier.key_id:08x}"
        assert first.expected_key() == expected
    finally:
        first.close()

    missing = tmp_path / "missing.key"
    keyless = Integrity.for_ledger(ledger, key_file=missing)
    try:
        with pytest.raises(KeyMismatchError, match=re.escape(expected) + ".*restore"):
            keyless.make_checkpoint()
        assert not missing.exists()  # no new key was made
    finally:
        keyless.close()

    load_or_create_signer(tmp_path / "other.key")  # another log's key
    other = Integrity.for_ledger(ledger, key_file=tmp_path / "other.key")
    try:
        with pytest.raises(
            KeyMismatchError, match=re.escape(f"signed by key {expected}, but the key")
        ):
            other.check_key()
        with pytest.raises(KeyMismatchError):
            other.make_checkpoint()
    finally:
        other.close()
