"""Who promised what, to whom, when — and how well it is evidenced.

Table ``commitments``: one row per commitment with its current terms and state, who recorded it
(and for whom, and from which party), who acknowledged it, when it was fulfilled and accepted,
its source, and its **evidence grade** (the rule of :mod:`ledger.domain.evidence_grades`, shared
with the
evidence bundles' report). ``hashed_source`` is also kept on its own: a hashed source
strengthens any grade.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.commitment import Commitment
from ledger.domain.envelope import LedgerAggregate
from ledger.domain.evidence_grades import evidence_grade as grade
from ledger.domain.interaction import Interaction
from projections.framework import Table, View, iso, on, sid
from projections.members import MemberTracking, members_table

COMMITMENTS = Table(
    name="commitments",
    columns={
        "commitment_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "promisor": "TEXT NOT NULL",
        "promisee": "TEXT NOT NULL",
        "promisor_party": "TEXT",
        "promisee_party": "TEXT",
        "statement": "TEXT NOT NULL",
        "due_at": "TEXT",
        "original_due_at": "TEXT",
        "state": "TEXT NOT NULL",
        "made_at": "TEXT NOT NULL",
        "made_recorded_at": "TEXT NOT NULL",
        "made_position": "BIGINT NOT NULL",
        "recorded_by": "TEXT NOT NULL",
        "recorded_by_party": "TEXT",
        "attributed_to": "TEXT",
        "acknowledged_by": "TEXT NOT NULL",
        "source_kind": "TEXT",
        "source_id": "TEXT",
        "source_sha256": "TEXT",
        "hashed_source": "INTEGER NOT NULL",
        "evidence_grade": "TEXT NOT NULL",
        "renegotiations": "INTEGER NOT NULL",
        "fulfilled_at": "TEXT",
        "accepted_at": "TEXT",
        "closed_at": "TEXT",
        "last_position": "BIGINT NOT NULL",
    },
    key=("project_id", "commitment_id"),
    indexes=(
        ("project_id", "made_position"),
        ("project_id", "promisor"),
        ("project_id", "promisee"),
    ),
)

# Interactions whose original is held (body digest), so a commitment sourced from one has a
# hashed source.
HASHED_INTERACTIONS = Table(
    name="commitment_hashed_interactions",
    columns={"interaction_id": "TEXT NOT NULL", "body_sha256": "TEXT NOT NULL"},
    key=("interaction_id",),
)


def evidence_grade(row: dict[str, Any]) -> str:
    return grade(
        promisor=row["promisor"],
        promisor_party=row["promisor_party"],
        promisee=row["promisee"],
        promisee_party=row["promisee_party"],
        recorded_by=row["recorded_by"],
        recorded_by_party=row["recorded_by_party"],
        acknowledged_by=set(filter(None, row["acknowledged_by"].split(","))),
        hashed_source=bool(row["hashed_source"]),
    ).value


class CommitmentsProjection(MemberTracking):
    name = "commitments"
    members = members_table("commitments")
    tables = (COMMITMENTS, HASHED_INTERACTIONS, members)

    @on(Interaction.Recorded)
    def _interaction(self, view: View, e: Interaction.Recorded, position: int) -> None:
        if e.body_sha256:
            view.put(
                HASHED_INTERACTIONS,
                {"interaction_id": sid(e.originator_id), "body_sha256": e.body_sha256},
            )

    @on(Commitment.Made)
    def _made(self, view: View, e: Commitment.Made, position: int) -> None:
        source = e.source
        sha = source.sha256 if source is not None else None
        if sha is None and source is not None and source.id is not None:
            held = view.get(HASHED_INTERACTIONS, (str(source.id),))
            sha = held["body_sha256"] if held else None
        row = {
            "commitment_id": sid(e.originator_id),
            "project_id": sid(e.project_id),
            "promisor": e.promisor,
            "promisee": e.promisee,
            "promisor_party": self.party_of(view, e.project_id, e.promisor),
            "promisee_party": self.party_of(view, e.project_id, e.promisee),
            "statement": e.statement,
            "due_at": iso(e.due_at),
            "original_due_at": iso(e.due_at),
            "state": "open",
            "made_at": iso(e.occurred_at),
            "made_recorded_at": iso(e.timestamp),
            "made_position": position,
            "recorded_by": e.actor,
            "recorded_by_party": self.party_of(view, e.project_id, e.actor),
            "attributed_to": e.attributed_to,
            "acknowledged_by": "",
            "source_kind": source.kind.value if source is not None else None,
            "source_id": str(source.id) if source is not None and source.id else None,
            "source_sha256": sha,
            "hashed_source": 1 if sha else 0,
            "renegotiations": 0,
            "fulfilled_at": None,
            "accepted_at": None,
            "closed_at": None,
            "last_position": position,
        }
        row["evidence_grade"] = evidence_grade(row)
        view.put(COMMITMENTS, row)

    def _update(self, view: View, e: LedgerAggregate.Event, position: int, **changes: Any) -> None:
        row = view.get(COMMITMENTS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        row.update(changes, last_position=position)
        row["evidence_grade"] = evidence_grade(row)
        view.put(COMMITMENTS, row)

    @on(Commitment.Acknowledged)
    def _acknowledged(self, view: View, e: Commitment.Acknowledged, position: int) -> None:
        row = view.get(COMMITMENTS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            by = [b for b in row["acknowledged_by"].split(",") if b]
            self._update(view, e, position, acknowledged_by=",".join([*by, e.by]))

    @on(Commitment.Renegotiated)
    def _renegotiated(self, view: View, e: Commitment.Renegotiated, position: int) -> None:
        row = view.get(COMMITMENTS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            self._update(
                view,
                e,
                position,
                due_at=iso(e.due_at),
                statement=e.statement,
                renegotiations=row["renegotiations"] + 1,
            )

    @on(Commitment.Fulfilled)
    def _fulfilled(self, view: View, e: Commitment.Fulfilled, position: int) -> None:
        self._update(view, e, position, state="fulfilled", fulfilled_at=iso(e.occurred_at))

    @on(Commitment.FulfilmentAccepted)
    def _accepted(self, view: View, e: Commitment.FulfilmentAccepted, position: int) -> None:
        at = iso(e.occurred_at)
        self._update(view, e, position, state="accepted", accepted_at=at, closed_at=at)

    @on(Commitment.FulfilmentDisputed)
    def _disputed(self, view: View, e: Commitment.FulfilmentDisputed, position: int) -> None:
        self._update(view, e, position, state="fulfilment_disputed")

    @on(Commitment.Withdrawn)
    def _withdrawn(self, view: View, e: Commitment.Withdrawn, position: int) -> None:
        self._update(view, e, position, state="withdrawn", closed_at=iso(e.occurred_at))

    @on(Commitment.Released)
    def _released(self, view: View, e: Commitment.Released, position: int) -> None:
        self._update(view, e, position, state="released", closed_at=iso(e.occurred_at))
