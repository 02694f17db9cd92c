"""The human-readable side of an evidence bundle: evidence grades and ``report.html``.

``report.html`` is a pure function of the bundle (its index, decoded events, leaf files, proofs
and checkpoint: :class:`ReportInput`), so the offline verifier renders it again and checks that
the one in the bundle says exactly that. It is written for the people who settle a dispute: a
summary in sentences, then the story in the order things happened, with names, titles and
before -> after values, in English or Simplified Chinese. It carries the events' leaf data,
proofs and the signed checkpoint inline and checks them itself in the browser (Web Crypto:
SHA-256, and Ed25519 where the browser has it), offline: no external resources.

Evidence grade of a commitment, weakest first — the same rule as the ``commitments`` projection,
so the report and the application never disagree (the facts behind it are listed beside it):

1. ``recorded_by_counterparty`` — the other side put it in the ledger (the promisee, or anyone
   not of the promisor's side), and the promisor has not acknowledged it;
2. ``recorded_or_confirmed_by_promisor`` — the promisor's side is on record: the promisor (or a
   member of the promisor's side) recorded it, or the promisor acknowledged it;
3. ``acknowledged_in_ledger`` — both sides are on record, likewise;
4. ``acknowledged_with_hashed_source`` — as 3, and its source is held by its SHA-256 digest (the
   source's own digest, or the body digest of the interaction it cites: an imported email).

A side is read from the membership events in the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ledger.domain.evidence_grades import EvidenceGrade, evidence_grade, on_record
from ledger.integrity.report_page import ReportInput, people_of, render
from ledger.integrity.report_text import LANGUAGES

__all__ = [
    "LANGUAGES",
    "REPORT_FORMAT",
    "CommitmentEvidence",
    "EvidenceGrade",
    "ReportInput",
    "grade_commitments",
    "render",
]

REPORT_FORMAT: Final = 2


@dataclass
class CommitmentEvidence:
    commitment_id: str
    statement: str
    promisor: str
    promisee: str
    recorded_by: str
    attributed_to: str | None
    position: int
    source_id: str | None = None
    source_sha256: str | None = None
    acknowledged_by: list[str] = field(default_factory=list)
    grade: EvidenceGrade = EvidenceGrade.RECORDED_BY_COUNTERPARTY
    facts: list[str] = field(default_factory=list)


def grade_commitments(events: Sequence[Mapping[str, Any]]) -> list[CommitmentEvidence]:
    """The evidence grade of every commitment made among ``events`` (decoded, any order)."""
    ordered = sorted(events, key=lambda e: e["position"])
    party = {email: side for email, (_, side, _) in people_of(ordered).items()}
    commitments: dict[str, CommitmentEvidence] = {}
    hashed_interactions: dict[str, str] = {}
    for event in ordered:
        kind, f, oid = event["type"], event["fields"] or {}, event["originator_id"]
        if kind == "Interaction.Recorded" and f.get("body_sha256"):
            hashed_interactions[oid] = str(f["body_sha256"])
        elif kind == "Commitment.Made":
            source = f.get("source") or {}
            item = CommitmentEvidence(
                commitment_id=oid,
                statement=str(f.get("statement", "")),
                promisor=str(f.get("promisor")),
                promisee=str(f.get("promisee")),
                recorded_by=str(f.get("actor")),
                attributed_to=f.get("attributed_to"),
                position=event["position"],
                source_id=source.get("id"),
            )
            item.source_sha256 = source.get("sha256") or hashed_interactions.get(
                str(source.get("id"))
            )
            commitments[oid] = item
        elif kind == "Commitment.Acknowledged" and oid in commitments:
            commitments[oid].acknowledged_by.append(str(f.get("by")))
            commitments[oid].facts.append(
                f"acknowledged by {f.get('by')} (position {event['position']})"
            )
    for item in commitments.values():
        recorder_party = party.get(item.recorded_by)

        by_promisor, by_promisee = (
            on_record(
                person,
                party.get(person),
                recorded_by=item.recorded_by,
                recorded_by_party=recorder_party,
                acknowledged_by=item.acknowledged_by,
            )
            for person in (item.promisor, item.promisee)
        )
        item.grade = evidence_grade(
            promisor=item.promisor,
            promisor_party=party.get(item.promisor),
            promisee=item.promisee,
            promisee_party=party.get(item.promisee),
            recorded_by=item.recorded_by,
            recorded_by_party=recorder_party,
            acknowledged_by=item.acknowledged_by,
            hashed_source=bool(item.source_sha256),
        )
        recorded = f"recorded by {item.recorded_by}"
        if recorder_party:
            recorded += f" ({recorder_party} side)"
        if item.attributed_to:
            recorded += f" on behalf of {item.attributed_to}"
        item.facts.insert(0, f"{recorded} (position {item.position})")
        item.facts.append(
            "promisor's side on record" if by_promisor else "promisor's side not on record"
        )
        item.facts.append(
            "promisee's side on record" if by_promisee else "promisee's side not on record"
        )
        if item.source_sha256:
            item.facts.append(f"hashed source: sha256 {item.source_sha256}")
    return sorted(commitments.values(), key=lambda c: c.position)
