"""Facts for the metrics: when acknowledgements were asked and given, when issues were raised
and first answered by the other side, when emails were answered.

Tables ``metric_acks``, ``metric_issues``, ``metric_messages``. An email's first reply is the
earliest reply from the other side, whatever order they were recorded in (a reply recorded before
its parent counts once ``Interaction.ThreadLinked`` links it). Commitments kept on time come from
the commitments view and cadence adherence from the open-items view's cadence tables; the
query (``projections.queries.metrics``) combines them.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.acknowledgement import AcknowledgementRequest
from ledger.domain.interaction import Interaction
from ledger.domain.issue import Issue
from projections.framework import Table, View, Where, iso, on, sid
from projections.members import MemberTracking, members_table

ACKS = Table(
    name="metric_acks",
    columns={
        "request_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "person": "TEXT NOT NULL",
        "party": "TEXT",
        "subject_kind": "TEXT NOT NULL",
        "requested_at": "TEXT NOT NULL",
        "due_at": "TEXT",
        "answered_at": "TEXT",
        "outcome": "TEXT",
    },
    key=("project_id", "request_id"),
)

ISSUES = Table(
    name="metric_issues",
    columns={
        "issue_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "raiser_party": "TEXT NOT NULL",
        "raised_at": "TEXT NOT NULL",
        "first_response_at": "TEXT",
        "responder_party": "TEXT",
        "resolved_at": "TEXT",
    },
    key=("project_id", "issue_id"),
)

MESSAGES = Table(
    name="metric_messages",
    columns={
        "interaction_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "sender": "TEXT NOT NULL",
        "sender_party": "TEXT",
        "occurred_at": "TEXT NOT NULL",
        "in_reply_to": "TEXT",
        "first_reply_at": "TEXT",
        "replier_party": "TEXT",
        "retracted": "INTEGER NOT NULL",
    },
    key=("project_id", "interaction_id"),
    indexes=(("project_id", "in_reply_to"),),
)


class MetricsProjection(MemberTracking):
    name = "metrics"
    members = members_table("metric")
    tables = (ACKS, ISSUES, MESSAGES, members)

    @on(AcknowledgementRequest.Requested)
    def _requested(self, view: View, e: AcknowledgementRequest.Requested, position: int) -> None:
        view.put(
            ACKS,
            {
                "request_id": sid(e.originator_id),
                "project_id": sid(e.project_id),
                "person": e.person,
                "party": self.party_of(view, e.project_id, e.person),
                "subject_kind": e.subject_kind.value,
                "requested_at": iso(e.occurred_at),
                "due_at": iso(e.due_at),
                "answered_at": None,
                "outcome": None,
            },
        )

    @on(
        AcknowledgementRequest.Acknowledged,
        AcknowledgementRequest.Disputed,
        AcknowledgementRequest.Withdrawn,
    )
    def _answered(
        self,
        view: View,
        e: AcknowledgementRequest.Acknowledged
        | AcknowledgementRequest.Disputed
        | AcknowledgementRequest.Withdrawn,
        position: int,
    ) -> None:
        row = view.get(ACKS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            outcome = type(e).__name__.lower()
            row.update(outcome=outcome, answered_at=iso(e.occurred_at))
            view.put(ACKS, row)

    @on(Issue.Raised)
    def _raised(self, view: View, e: Issue.Raised, position: int) -> None:
        view.put(
            ISSUES,
            {
                "issue_id": sid(e.originator_id),
                "project_id": sid(e.project_id),
                "kind": e.kind.value,
                "raiser_party": e.raiser_party.value,
                "raised_at": iso(e.occurred_at),
                "first_response_at": None,
                "responder_party": None,
                "resolved_at": None,
            },
        )

    @on(Issue.ResponseGiven, Issue.SolutionOptionsProposed)
    def _responded(
        self, view: View, e: Issue.ResponseGiven | Issue.SolutionOptionsProposed, position: int
    ) -> None:
        row = view.get(ISSUES, (sid(e.project_id), sid(e.originator_id)))
        if row is None or row["first_response_at"] is not None:
            return
        party = self.party_of(view, e.project_id, e.attributed_to or e.actor)
        if party is not None and party != row["raiser_party"]:
            row.update(first_response_at=iso(e.occurred_at), responder_party=party)
            view.put(ISSUES, row)

    @on(Issue.Resolved)
    def _resolved(self, view: View, e: Issue.Resolved, position: int) -> None:
        row = view.get(ISSUES, (sid(e.project_id), sid(e.originator_id)))
        if row is not None and row["resolved_at"] is None:
            row["resolved_at"] = iso(e.occurred_at)
            view.put(ISSUES, row)

    @on(Interaction.Recorded)
    def _message(self, view: View, e: Interaction.Recorded, position: int) -> None:
        sender_party = self.party_of(view, e.project_id, e.from_address)
        view.put(
            MESSAGES,
            {
                "interaction_id": sid(e.originator_id),
                "project_id": sid(e.project_id),
                "sender": e.from_address,
                "sender_party": sender_party,
                "occurred_at": iso(e.occurred_at),
                "in_reply_to": str(e.in_reply_to) if e.in_reply_to else None,
                "first_reply_at": None,
                "replier_party": None,
                "retracted": 0,
            },
        )
        if e.in_reply_to is None:
            return
        parent = view.get(MESSAGES, (sid(e.project_id), str(e.in_reply_to)))
        occurred_at = iso(e.occurred_at)
        if (
            parent is not None
            and sender_party is not None
            and sender_party != parent["sender_party"]
            and (parent["first_reply_at"] is None or occurred_at < parent["first_reply_at"])
        ):
            parent.update(first_reply_at=occurred_at, replier_party=sender_party)
            view.put(MESSAGES, parent)

    @on(Interaction.ThreadLinked)
    def _thread_linked(self, view: View, e: Interaction.ThreadLinked, position: int) -> None:
        """A reply recorded before its parent now answers it: the parent's first reply may be
        this one, and the message it was linked to before may have lost its first reply."""
        row = view.get(MESSAGES, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        before = row["in_reply_to"]
        row["in_reply_to"] = str(e.in_reply_to)
        view.put(MESSAGES, row)
        project_id = row["project_id"]
        if before is not None:
            self._first_reply(view, project_id, before)
        self._first_reply(view, project_id, row["in_reply_to"])

    @staticmethod
    def _first_reply(view: View, project_id: str, parent_id: str) -> None:
        """The earliest reply to ``parent_id`` from the other side, from its replies' rows."""
        parent = view.get(MESSAGES, (project_id, parent_id))
        if parent is None:
            return
        first: dict[str, Any] | None = None
        thread = Where(eq={"project_id": project_id, "in_reply_to": parent_id})
        replies = view.select(MESSAGES, thread)
        for reply in replies:
            party = reply["sender_party"]
            if party is None or party == parent["sender_party"]:
                continue
            if first is None or reply["occurred_at"] < first["occurred_at"]:
                first = reply
        parent.update(
            first_reply_at=first["occurred_at"] if first else None,
            replier_party=first["sender_party"] if first else None,
        )
        view.put(MESSAGES, parent)

    @on(Interaction.Retracted)
    def _retracted(self, view: View, e: Interaction.Retracted, position: int) -> None:
        row = view.get(MESSAGES, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            row["retracted"] = 1
            view.put(MESSAGES, row)
