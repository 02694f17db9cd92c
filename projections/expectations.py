"""The agreed baseline: every expectation's current value with its provenance, and its history,
so the baseline as recorded at any instant and the diff between two instants can be answered.

Tables:

* ``expectations`` — one row per expectation: kind, title, current ``value`` (JSON), state,
  delivery state, who agreed, the event that set it and the last one that changed it, the change
  request that last revised it;
* ``expectation_history`` — one row per event that set, revised or withdrew a value (with its
  position, recorded and occurred times, cause, change request, who agreed and why);
* ``expectation_change_requests`` — change requests' titles and states, to explain revisions;
* ``expectation_proposals`` — one row per set, revision or withdrawal awaiting agreement: what
  it would do, who it names, who has agreed so far. It reaches the two tables above only when
  the last person named agrees (consent belongs to its owner);
* ``expectation_proposal_log`` — every proposal with when it was made, each agreement and when
  it ended (applied or declined), so an as-of answer can say what awaited whom at an instant.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain.change_request import ChangeRequest
from ledger.domain.envelope import LedgerAggregate
from ledger.domain.expectation import Expectation
from projections.framework import Projection, Table, View, iso, on, sid

EXPECTATIONS = Table(
    name="expectations",
    columns={
        "expectation_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
        "value": "TEXT NOT NULL",
        "state": "TEXT NOT NULL",
        "delivery": "TEXT",
        "agreed_by": "TEXT NOT NULL",
        "set_position": "BIGINT NOT NULL",
        "set_at": "TEXT NOT NULL",
        "set_by": "TEXT NOT NULL",
        "changed_position": "BIGINT NOT NULL",
        "changed_at": "TEXT NOT NULL",
        "change_request_id": "TEXT",
        "revisions": "INTEGER NOT NULL",
    },
    key=("project_id", "expectation_id"),
    indexes=(("project_id", "set_position"),),
)

HISTORY = Table(
    name="expectation_history",
    columns={
        "expectation_id": "TEXT NOT NULL",
        "position": "BIGINT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "event_type": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
        "value": "TEXT",
        "state": "TEXT NOT NULL",
        "recorded_at": "TEXT NOT NULL",
        "occurred_at": "TEXT NOT NULL",
        "actor": "TEXT NOT NULL",
        "attributed_to": "TEXT",
        "agreed_by": "TEXT NOT NULL",
        "cause": "TEXT",
        "change_request_id": "TEXT",
        "reason": "TEXT",
    },
    key=("project_id", "expectation_id", "position"),
    indexes=(("project_id", "position"),),
)

CHANGE_REQUESTS = Table(
    name="expectation_change_requests",
    columns={
        "change_request_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
        "state": "TEXT NOT NULL",
        "requested_by": "TEXT NOT NULL",
        "decided_by": "TEXT",
        "decided_at": "TEXT",
    },
    key=("project_id", "change_request_id"),
)


PROPOSALS = Table(
    name="expectation_proposals",
    columns={
        "expectation_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "proposal_version": "INTEGER NOT NULL",
        "change": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
        "value": "TEXT",
        "reason": "TEXT NOT NULL",
        "proposed_by": "TEXT NOT NULL",
        "proposed_at": "TEXT NOT NULL",
        "proposed_position": "BIGINT NOT NULL",
        "agreed_by": "TEXT NOT NULL",
        "agreed": "TEXT NOT NULL",
    },
    key=("project_id", "expectation_id"),
    indexes=(("project_id", "proposed_position"),),
)


PROPOSAL_LOG = Table(
    name="expectation_proposal_log",
    columns={
        "expectation_id": "TEXT NOT NULL",
        "proposal_version": "INTEGER NOT NULL",
        "project_id": "TEXT NOT NULL",
        "row": "TEXT NOT NULL",  # the proposal as in ``expectation_proposals`` (JSON)
        "recorded_at": "TEXT NOT NULL",
        "agreements": "TEXT NOT NULL",  # [[by, occurred_at, recorded_at], ...]
        "ended_occurred_at": "TEXT",
        "ended_recorded_at": "TEXT",
    },
    key=("project_id", "expectation_id", "proposal_version"),
)


def value_json(value: Any) -> str:
    return orjson.dumps(value.model_dump(mode="json", exclude_none=True)).decode()


def people(emails: tuple[str, ...]) -> str:
    return orjson.dumps(list(emails)).decode()


class ExpectationsProjection(Projection):
    name = "expectations"
    tables = (EXPECTATIONS, HISTORY, CHANGE_REQUESTS, PROPOSALS, PROPOSAL_LOG)

    @on(Expectation.Set)
    def _set(self, view: View, e: Expectation.Set, position: int) -> None:
        row = {
            "expectation_id": sid(e.originator_id),
            "project_id": sid(e.project_id),
            "kind": e.kind.value,
            "title": e.title,
            "value": value_json(e.value),
            "state": "active",
            "delivery": None,
            "agreed_by": people(e.agreed_by),
            "set_position": position,
            "set_at": iso(e.occurred_at),
            "set_by": e.attributed_to or e.actor,
            "changed_position": position,
            "changed_at": iso(e.occurred_at),
            "change_request_id": None,
            "revisions": 0,
        }
        view.put(EXPECTATIONS, row)
        self._history(view, e, position, row, cause="agreement", reason=None)

    @on(Expectation.Revised)
    def _revised(self, view: View, e: Expectation.Revised, position: int) -> None:
        row = view.get(EXPECTATIONS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        cr = str(e.change_request_id) if e.change_request_id else None
        row.update(
            value=value_json(e.value),
            agreed_by=people(e.agreed_by),
            changed_position=position,
            changed_at=iso(e.occurred_at),
            change_request_id=cr,
            revisions=row["revisions"] + 1,
        )
        view.put(EXPECTATIONS, row)
        self._history(view, e, position, row, cause=e.cause.value, reason=e.reason)

    @on(Expectation.Withdrawn)
    def _withdrawn(self, view: View, e: Expectation.Withdrawn, position: int) -> None:
        row = view.get(EXPECTATIONS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        cr = str(e.change_request_id) if e.change_request_id else None
        row.update(
            state="withdrawn",
            agreed_by=people(e.agreed_by),
            changed_position=position,
            changed_at=iso(e.occurred_at),
            change_request_id=cr,
        )
        view.put(EXPECTATIONS, row)
        self._history(view, e, position, row, cause=e.cause.value, reason=e.reason)

    # ------------------------------------------------------- agreement in person

    @on(Expectation.Proposed)
    def _proposed(self, view: View, e: Expectation.Proposed, position: int) -> None:
        self._proposal(view, e, position, "set", e.kind.value, e.title, e.value, "")

    @on(Expectation.ChangeProposed)
    def _change_proposed(self, view: View, e: Expectation.ChangeProposed, position: int) -> None:
        row = view.get(EXPECTATIONS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        self._proposal(
            view, e, position, e.change.value, row["kind"], row["title"], e.value, e.reason
        )

    def _proposal(
        self,
        view: View,
        e: Expectation.Proposed | Expectation.ChangeProposed,
        position: int,
        change: str,
        kind: str,
        title: str,
        value: Any,
        reason: str,
    ) -> None:
        row = {
            "expectation_id": sid(e.originator_id),
            "project_id": sid(e.project_id),
            "proposal_version": e.originator_version,
            "change": change,
            "kind": kind,
            "title": title,
            "value": value_json(value) if value is not None else None,
            "reason": reason,
            "proposed_by": e.proposed_by,
            "proposed_at": iso(e.occurred_at),
            "proposed_position": position,
            "agreed_by": people(e.agreed_by),
            "agreed": people((e.proposed_by,)),
        }
        view.put(PROPOSALS, row)
        view.put(
            PROPOSAL_LOG,
            {
                "expectation_id": row["expectation_id"],
                "proposal_version": row["proposal_version"],
                "project_id": row["project_id"],
                "row": orjson.dumps(row).decode(),
                "recorded_at": iso(e.timestamp),
                "agreements": "[]",
                "ended_occurred_at": None,
                "ended_recorded_at": None,
            },
        )

    @staticmethod
    def _log(
        view: View,
        e: Expectation.AgreementGiven | Expectation.ProposalDeclined,
        agreed: str | None,
        ends: bool,
    ) -> None:
        key = (sid(e.project_id), sid(e.originator_id), e.proposal_version)
        entry = view.get(PROPOSAL_LOG, key)
        if entry is None:
            return
        if agreed is not None:
            agreements = orjson.loads(entry["agreements"])
            agreements.append([agreed, iso(e.occurred_at), iso(e.timestamp)])
            entry["agreements"] = orjson.dumps(agreements).decode()
        if ends:
            entry.update(ended_occurred_at=iso(e.occurred_at), ended_recorded_at=iso(e.timestamp))
        view.put(PROPOSAL_LOG, entry)

    @on(Expectation.ProposalDeclined)
    def _declined(self, view: View, e: Expectation.ProposalDeclined, position: int) -> None:
        view.delete(PROPOSALS, (sid(e.project_id), sid(e.originator_id)))
        self._log(view, e, None, ends=True)

    @on(Expectation.AgreementGiven)
    def _agreed(self, view: View, e: Expectation.AgreementGiven, position: int) -> None:
        key = (sid(e.project_id), sid(e.originator_id))
        self._log(view, e, e.by, ends=e.completes)
        proposal = view.get(PROPOSALS, key)
        if proposal is None:
            return
        if not e.completes:
            proposal["agreed"] = people((*orjson.loads(proposal["agreed"]), e.by))
            view.put(PROPOSALS, proposal)
            return
        view.delete(PROPOSALS, key)
        change = proposal["change"]
        if change == "set":
            row = {
                "expectation_id": proposal["expectation_id"],
                "project_id": proposal["project_id"],
                "kind": proposal["kind"],
                "title": proposal["title"],
                "value": proposal["value"],
                "state": "active",
                "delivery": None,
                "agreed_by": proposal["agreed_by"],
                "set_position": position,
                "set_at": iso(e.occurred_at),
                "set_by": proposal["proposed_by"],
                "changed_position": position,
                "changed_at": iso(e.occurred_at),
                "change_request_id": None,
                "revisions": 0,
            }
        else:
            found = view.get(EXPECTATIONS, key)
            if found is None:
                return
            row = found
            row.update(
                agreed_by=proposal["agreed_by"],
                changed_position=position,
                changed_at=iso(e.occurred_at),
                change_request_id=None,
            )
            if change == "revision":
                row.update(value=proposal["value"], revisions=row["revisions"] + 1)
            else:
                row["state"] = "withdrawn"
        view.put(EXPECTATIONS, row)
        reason = proposal["reason"] if change != "set" else None
        self._history(view, e, position, row, cause="agreement", reason=reason)

    @on(Expectation.DeliverySubmitted, Expectation.DeliveryAccepted, Expectation.DeliveryRejected)
    def _delivery(
        self,
        view: View,
        e: Expectation.DeliverySubmitted
        | Expectation.DeliveryAccepted
        | Expectation.DeliveryRejected,
        position: int,
    ) -> None:
        row = view.get(EXPECTATIONS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        states = {
            "DeliverySubmitted": "submitted",
            "DeliveryAccepted": "accepted",
            "DeliveryRejected": "rejected",
        }
        row["delivery"] = states[type(e).__name__]
        view.put(EXPECTATIONS, row)

    def _history(
        self,
        view: View,
        e: LedgerAggregate.Event,
        position: int,
        row: dict[str, Any],
        *,
        cause: str | None,
        reason: str | None,
    ) -> None:
        view.put(
            HISTORY,
            {
                "expectation_id": row["expectation_id"],
                "position": position,
                "project_id": row["project_id"],
                "event_type": f"Expectation.{type(e).__name__}",
                "kind": row["kind"],
                "title": row["title"],
                "value": row["value"] if row["state"] == "active" else None,
                "state": row["state"],
                "recorded_at": iso(e.timestamp),
                "occurred_at": iso(e.occurred_at),
                "actor": e.actor,
                "attributed_to": e.attributed_to,
                "agreed_by": row["agreed_by"],
                "cause": cause,
                "change_request_id": row["change_request_id"]
                if cause == "change_request"
                else None,
                "reason": reason,
            },
        )

    @on(ChangeRequest.Requested)
    def _change_requested(self, view: View, e: ChangeRequest.Requested, position: int) -> None:
        view.put(
            CHANGE_REQUESTS,
            {
                "change_request_id": sid(e.originator_id),
                "project_id": sid(e.project_id),
                "title": e.title,
                "state": "requested",
                "requested_by": e.requested_by,
                "decided_by": None,
                "decided_at": None,
            },
        )

    @on(
        ChangeRequest.ImpactAssessed,
        ChangeRequest.Approved,
        ChangeRequest.Rejected,
        ChangeRequest.Withdrawn,
        ChangeRequest.Implemented,
    )
    def _change_moved(
        self,
        view: View,
        e: ChangeRequest.ImpactAssessed
        | ChangeRequest.Approved
        | ChangeRequest.Rejected
        | ChangeRequest.Withdrawn
        | ChangeRequest.Implemented,
        position: int,
    ) -> None:
        row = view.get(CHANGE_REQUESTS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        state = {
            "ImpactAssessed": "assessed",
            "Approved": "approved",
            "Rejected": "rejected",
            "Withdrawn": "withdrawn",
            "Implemented": "implemented",
        }[type(e).__name__]
        row["state"] = state
        if state in ("approved", "rejected"):
            row.update(decided_by=e.attributed_to or e.actor, decided_at=iso(e.occurred_at))
        view.put(CHANGE_REQUESTS, row)
