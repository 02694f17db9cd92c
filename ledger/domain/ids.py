"""Deterministic identifiers derived from natural keys."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

#: Namespace of every deterministic id the ledger derives from a natural key.
LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://accord.dev/ns/ledger")


def derive_id(kind: str, *parts: object) -> UUID:
    """A deterministic id from a natural key, so a retried or re-imported record is not stored
    twice. ``kind`` keeps keys of different things apart."""
    # Length-prefixed parts keep keys apart: ("a", "b", "c") and ("a", "b|c") never collide.
    key = "|".join(f"{len(p)}:{p}" for p in (kind, *(str(part) for part in parts)))
    return uuid5(LEDGER_NAMESPACE, key)
