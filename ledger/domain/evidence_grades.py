"""How well a commitment is evidenced: one rule, shared by the ``commitments`` read model and
the evidence bundles' report, so the application and the bundle never disagree.

Weakest first:

1. ``recorded_by_counterparty`` — the other side put it in the ledger (the promisee, or anyone
   not of the promisor's party), and the promisor has not confirmed it;
2. ``recorded_or_confirmed_by_promisor`` — the promisor's side is on record: the promisor (or a
   member of the promisor's party) recorded it, or the promisor acknowledged it;
3. ``acknowledged_in_ledger`` — both sides are on record, likewise;
4. ``acknowledged_with_hashed_source`` — as 3, and its source is a held original identified by
   its SHA-256 digest (an imported email, signed minutes).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class EvidenceGrade(StrEnum):
    RECORDED_BY_COUNTERPARTY = "recorded_by_counterparty"
    RECORDED_OR_CONFIRMED_BY_PROMISOR = "recorded_or_confirmed_by_promisor"
    ACKNOWLEDGED_IN_LEDGER = "acknowledged_in_ledger"
    ACKNOWLEDGED_WITH_HASHED_SOURCE = "acknowledged_with_hashed_source"

    @property
    def rank(self) -> int:
        return list(EvidenceGrade).index(self) + 1


def on_record(
    person: str,
    party: str | None,
    *,
    recorded_by: str,
    recorded_by_party: str | None,
    acknowledged_by: Collection[str],
) -> bool:
    """The person's side is on record: they recorded it, someone of their party did, or they
    acknowledged it."""
    same_side = recorded_by_party is not None and recorded_by_party == party
    return recorded_by == person or same_side or person in acknowledged_by


def evidence_grade(
    *,
    promisor: str,
    promisor_party: str | None,
    promisee: str,
    promisee_party: str | None,
    recorded_by: str,
    recorded_by_party: str | None,
    acknowledged_by: Collection[str],
    hashed_source: bool,
) -> EvidenceGrade:
    def side_on_record(person: str, party: str | None) -> bool:
        return on_record(
            person,
            party,
            recorded_by=recorded_by,
            recorded_by_party=recorded_by_party,
            acknowledged_by=acknowledged_by,
        )

    by_promisor = side_on_record(promisor, promisor_party)
    by_promisee = side_on_record(promisee, promisee_party)
    if by_promisor and by_promisee:
        if hashed_source:
            return EvidenceGrade.ACKNOWLEDGED_WITH_HASHED_SOURCE
        return EvidenceGrade.ACKNOWLEDGED_IN_LEDGER
    if by_promisor:
        return EvidenceGrade.RECORDED_OR_CONFIRMED_BY_PROMISOR
    return EvidenceGrade.RECORDED_BY_COUNTERPARTY
