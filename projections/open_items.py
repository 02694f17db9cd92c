"""What is open, and whose move it is.

Table ``open_items``: one row per open item — a commitment not yet kept (or kept and awaiting
acceptance), a change request awaiting assessment or decision, an acknowledgement not yet given,
an unanswered question, an unresolved problem (or complaint, feedback, suggestion), an open risk.
Each row says who has the ball (``ball_party`` and, when one person, ``ball_person``), since when
the item is open and when it is due. Rows are deleted when the item closes. Age and "overdue" are
never stored: the queries compute them against a given ``now``.

Tables ``open_cadences`` and ``open_cadence_reports`` hold the communication plan's cadences and
the reports issued, so the query can name each missed report (no weekly report this week).

A commitment made in a message that bounced (a delivery failure report names the message) is
an open item of kind ``undelivered``: the promisee may never have read the promise. Tables
``open_commitment_sources`` (commitments by the interaction they were made in) and
``open_bounces`` (failed deliveries by the interaction they report) meet whichever comes first;
the item closes when the commitment closes or is acknowledged (the promisee has it), or the
report is retracted.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain import wording
from ledger.domain.acknowledgement import AcknowledgementRequest
from ledger.domain.change_request import ChangeRequest
from ledger.domain.commitment import Commitment
from ledger.domain.decision import Decision
from ledger.domain.envelope import LedgerAggregate
from ledger.domain.errors import InvalidInputError
from ledger.domain.expectation import Expectation
from ledger.domain.interaction import Interaction, interaction_id_for_source
from ledger.domain.issue import Issue
from ledger.domain.meeting import Meeting
from ledger.domain.project import Project
from ledger.domain.risk import Risk
from ledger.domain.status_report import StatusReport
from projections.framework import Table, View, Where, iso, on, sid
from projections.members import MemberTracking, members_table
from projections.narrative import subject_title

OPEN_ITEMS = Table(
    name="open_items",
    columns={
        "item_id": "TEXT NOT NULL",
        "project_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
        "state": "TEXT NOT NULL",
        "opened_at": "TEXT NOT NULL",
        "opened_position": "BIGINT NOT NULL",
        "due_at": "TEXT",
        "ball_party": "TEXT",
        "ball_person": "TEXT",
        "person_a": "TEXT",
        "person_b": "TEXT",
        "party_a": "TEXT",
        "last_event_at": "TEXT NOT NULL",
        "last_position": "BIGINT NOT NULL",
    },
    key=("project_id", "item_id"),
    indexes=(("project_id", "opened_position"),),
)

CADENCES = Table(
    name="open_cadences",
    columns={
        "project_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "every": "TEXT NOT NULL",
        "owner": "TEXT NOT NULL",
        "starts_on": "TEXT",
        "set_at": "TEXT NOT NULL",
    },
    key=("project_id", "kind"),
)

CADENCE_REPORTS = Table(
    name="open_cadence_reports",
    columns={
        "project_id": "TEXT NOT NULL",
        "report_id": "TEXT NOT NULL",
        "kind": "TEXT NOT NULL",
        "issued_at": "TEXT NOT NULL",
        "period_start": "TEXT NOT NULL",
        "period_end": "TEXT NOT NULL",
    },
    key=("project_id", "report_id"),
)

# Each project's time zone: its cadence days end there.
ZONES = Table(
    name="open_zones",
    columns={"project_id": "TEXT NOT NULL", "time_zone": "TEXT NOT NULL"},
    key=("project_id",),
)

# Confirmed issues leave the table; what a reopening needs to bring them back is kept here.
REOPENABLE = Table(
    name="open_reopenable",
    columns={"project_id": "TEXT NOT NULL", "item_id": "TEXT NOT NULL", "data": "TEXT NOT NULL"},
    key=("project_id", "item_id"),
)

# What acknowledgement requests name: the titles of the things one may be asked to acknowledge.
SUBJECTS = Table(
    name="open_subjects",
    columns={
        "project_id": "TEXT NOT NULL",
        "subject_id": "TEXT NOT NULL",
        "title": "TEXT NOT NULL",
    },
    key=("project_id", "subject_id"),
)

COMMITMENT_SOURCES = Table(
    name="open_commitment_sources",
    columns={
        "project_id": "TEXT NOT NULL",
        "interaction_id": "TEXT NOT NULL",
        "commitment_id": "TEXT NOT NULL",
        "statement": "TEXT NOT NULL",
        "promisor": "TEXT NOT NULL",
        "promisee": "TEXT NOT NULL",
    },
    key=("project_id", "interaction_id", "commitment_id"),
)

BOUNCES = Table(
    name="open_bounces",
    columns={
        "project_id": "TEXT NOT NULL",
        "interaction_id": "TEXT NOT NULL",  # the message whose delivery failed
        "bounce_id": "TEXT NOT NULL",
        "recipients": "TEXT NOT NULL",
        "reported_to": "TEXT",
        "occurred_at": "TEXT NOT NULL",
    },
    key=("project_id", "interaction_id", "bounce_id"),
)

# Whose agreement an expectation's proposal still awaits (the open item's ball goes to the first).
AGREEMENTS = Table(
    name="open_agreements",
    columns={
        "project_id": "TEXT NOT NULL",
        "expectation_id": "TEXT NOT NULL",
        "awaiting": "TEXT NOT NULL",
    },
    key=("project_id", "expectation_id"),
)

OTHER_PARTY = {"team": "client", "client": "team"}


class OpenItemsProjection(MemberTracking):
    name = "open_items"
    members = members_table("open")
    tables = (
        OPEN_ITEMS,
        CADENCES,
        CADENCE_REPORTS,
        REOPENABLE,
        SUBJECTS,
        ZONES,
        COMMITMENT_SOURCES,
        BOUNCES,
        AGREEMENTS,
        members,
    )

    # ------------------------------------------------------------------- helpers

    def _open(self, view: View, e: LedgerAggregate.Event, position: int, **fields: Any) -> None:
        row = {
            "item_id": sid(e.originator_id),
            "project_id": sid(e.project_id),
            "opened_at": iso(e.occurred_at),
            "opened_position": position,
            "due_at": None,
            "ball_person": None,
            "person_a": None,
            "person_b": None,
            "party_a": None,
            "last_event_at": iso(e.occurred_at),
            "last_position": position,
        }
        row.update(fields)
        view.put(OPEN_ITEMS, row)

    def _move(
        self, view: View, e: LedgerAggregate.Event, position: int, **changes: Any
    ) -> dict[str, Any] | None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return None
        row.update(changes, last_event_at=iso(e.occurred_at), last_position=position)
        view.put(OPEN_ITEMS, row)
        return row

    def _close(self, view: View, e: LedgerAggregate.Event, position: int) -> None:
        view.delete(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))

    def _party(self, view: View, e: LedgerAggregate.Event, email: str | None) -> str | None:
        return self.party_of(view, e.project_id, email)

    # --------------------------------------------------------------- commitments

    @on(Commitment.Made)
    def _commitment_made(self, view: View, e: Commitment.Made, position: int) -> None:
        self._subject_title(view, e, e.statement)
        self._open(
            view,
            e,
            position,
            kind="commitment",
            title=e.statement,
            state="open",
            due_at=iso(e.due_at),
            ball_party=self._party(view, e, e.promisor),
            ball_person=e.promisor,
            person_a=e.promisor,
            person_b=e.promisee,
        )

    def _ball_to(
        self, view: View, e: LedgerAggregate.Event, position: int, who: str, state: str
    ) -> None:
        self._move(
            view, e, position, state=state, ball_person=who, ball_party=self._party(view, e, who)
        )

    @on(Commitment.RenegotiationProposed)
    def _renegotiation_proposed(
        self, view: View, e: Commitment.RenegotiationProposed, position: int
    ) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            proposer = e.proposal.proposed_by
            other = row["person_b"] if proposer == row["person_a"] else row["person_a"]
            self._ball_to(view, e, position, other, "renegotiation_proposed")

    @on(Commitment.Renegotiated, Commitment.RenegotiationDeclined)
    def _renegotiation_answered(
        self,
        view: View,
        e: Commitment.Renegotiated | Commitment.RenegotiationDeclined,
        position: int,
    ) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        changes: dict[str, Any] = {}
        if isinstance(e, Commitment.Renegotiated):
            changes = {"due_at": iso(e.due_at), "title": e.statement}
        self._move(
            view,
            e,
            position,
            state="open",
            ball_person=row["person_a"],
            ball_party=self._party(view, e, row["person_a"]),
            **changes,
        )

    @on(Commitment.Fulfilled)
    def _fulfilled(self, view: View, e: Commitment.Fulfilled, position: int) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            self._ball_to(view, e, position, row["person_b"], "fulfilled_awaiting_acceptance")

    @on(Commitment.FulfilmentDisputed)
    def _fulfilment_disputed(
        self, view: View, e: Commitment.FulfilmentDisputed, position: int
    ) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            self._ball_to(view, e, position, row["person_a"], "fulfilment_disputed")

    @on(Commitment.FulfilmentAccepted, Commitment.Withdrawn, Commitment.Released)
    def _commitment_closed(
        self,
        view: View,
        e: Commitment.FulfilmentAccepted | Commitment.Withdrawn | Commitment.Released,
        position: int,
    ) -> None:
        self._close(view, e, position)

    # ------------------------------------------------- commitments whose message bounced

    @on(Commitment.Made)
    def _commitment_source(self, view: View, e: Any, position: int) -> None:
        source = e.source
        if source is None or source.id is None or source.kind.value != "interaction":
            return
        row = {
            "project_id": sid(e.project_id),
            "interaction_id": str(source.id),
            "commitment_id": sid(e.originator_id),
            "statement": e.statement,
            "promisor": e.promisor,
            "promisee": e.promisee,
        }
        view.put(COMMITMENT_SOURCES, row)
        where = Where(eq={"project_id": row["project_id"], "interaction_id": row["interaction_id"]})
        for bounce in view.select(BOUNCES, where):
            self._undelivered(view, e, position, row, bounce)

    @on(Interaction.Recorded)
    def _bounce(self, view: View, e: Any, position: int) -> None:
        failure = e.delivery_failure
        if failure is None or not failure.failed:
            return
        original = failure.original_interaction_id
        if original is None and failure.original_message_id:
            try:
                original = interaction_id_for_source(e.project_id, failure.original_message_id)
            except InvalidInputError:
                return
        if original is None:
            return
        bounce = {
            "project_id": sid(e.project_id),
            "interaction_id": str(original),
            "bounce_id": sid(e.originator_id),
            "recipients": ", ".join(
                r.address + (f" ({r.status})" if r.status else "") for r in failure.failed
            ),
            "reported_to": e.to[0] if e.to else None,
            "occurred_at": iso(e.occurred_at),
        }
        view.put(BOUNCES, bounce)
        where = Where(eq={"project_id": bounce["project_id"], "interaction_id": str(original)})
        for source in view.select(COMMITMENT_SOURCES, where):
            self._undelivered(view, e, position, source, bounce)

    def _undelivered(
        self, view: View, e: Any, position: int, source: dict[str, Any], bounce: dict[str, Any]
    ) -> None:
        """Open the item of a commitment whose message bounced, while the commitment is open."""
        project_id = source["project_id"]
        commitment = view.peek(OPEN_ITEMS, (project_id, source["commitment_id"]))
        if commitment is None or commitment["kind"] != "commitment":
            return
        sender = bounce["reported_to"]
        if sender is None or self._party(view, e, sender) is None:
            sender = source["promisor"]
        row = {
            "item_id": _undelivered_id(bounce["bounce_id"], source["commitment_id"]),
            "project_id": project_id,
            "kind": "undelivered",
            "title": (
                f"The message with the commitment “{source['statement']}” was not delivered "
                f"to {bounce['recipients']}"
            ),
            "state": "delivery_failed",
            "opened_at": bounce["occurred_at"],
            "opened_position": position,
            "due_at": None,
            "ball_party": self._party(view, e, sender),
            "ball_person": sender,
            "person_a": source["promisor"],
            "person_b": source["promisee"],
            "party_a": None,
            "last_event_at": iso(e.occurred_at),
            "last_position": position,
        }
        view.put(OPEN_ITEMS, row)

    @on(
        Commitment.Acknowledged,
        Commitment.FulfilmentAccepted,
        Commitment.Withdrawn,
        Commitment.Released,
    )
    def _commitment_delivered_or_closed(self, view: View, e: Any, position: int) -> None:
        project_id, commitment_id = sid(e.project_id), sid(e.originator_id)
        where = Where(eq={"project_id": project_id, "commitment_id": commitment_id})
        for source in view.select(COMMITMENT_SOURCES, where):
            key = Where(eq={"project_id": project_id, "interaction_id": source["interaction_id"]})
            for bounce in view.select(BOUNCES, key):
                item_id = _undelivered_id(bounce["bounce_id"], commitment_id)
                view.delete(OPEN_ITEMS, (project_id, item_id))

    @on(Interaction.Retracted)
    def _bounce_retracted(self, view: View, e: Any, position: int) -> None:
        project_id, bounce_id = sid(e.project_id), sid(e.originator_id)
        for bounce in view.select(
            BOUNCES, Where(eq={"project_id": project_id, "bounce_id": bounce_id})
        ):
            key = Where(eq={"project_id": project_id, "interaction_id": bounce["interaction_id"]})
            for source in view.select(COMMITMENT_SOURCES, key):
                item_id = _undelivered_id(bounce_id, source["commitment_id"])
                view.delete(OPEN_ITEMS, (project_id, item_id))
            view.delete(BOUNCES, (project_id, bounce["interaction_id"], bounce_id))

    # ----------------------------------------------------------- change requests

    @on(ChangeRequest.Requested)
    def _change_requested(self, view: View, e: ChangeRequest.Requested, position: int) -> None:
        self._subject_title(view, e, e.title)
        self._open(
            view,
            e,
            position,
            kind="change_request",
            title=e.title,
            state="awaiting_assessment",
            ball_party="team",
            person_a=e.requested_by,
            party_a=e.requesting_party.value,
        )

    @on(ChangeRequest.ImpactAssessed)
    def _assessed(self, view: View, e: ChangeRequest.ImpactAssessed, position: int) -> None:
        self._move(
            view, e, position, state="awaiting_decision", ball_party="client", ball_person=None
        )

    @on(ChangeRequest.Approved, ChangeRequest.Rejected, ChangeRequest.Withdrawn)
    def _change_decided(
        self,
        view: View,
        e: ChangeRequest.Approved | ChangeRequest.Rejected | ChangeRequest.Withdrawn,
        position: int,
    ) -> None:
        self._close(view, e, position)

    # ------------------------------------------------- expectations awaiting agreement

    @on(Expectation.Proposed, Expectation.ChangeProposed)
    def _agreement_proposed(
        self, view: View, e: Expectation.Proposed | Expectation.ChangeProposed, position: int
    ) -> None:
        subject = view.peek(SUBJECTS, (sid(e.project_id), sid(e.originator_id)))
        title = subject["title"] if subject else ""
        change = "set" if isinstance(e, Expectation.Proposed) else e.change.value
        what = {"set": "the new", "revision": "revising the", "withdrawal": "withdrawing the"}
        awaiting = [p for p in e.agreed_by if p != e.proposed_by]
        first = awaiting[0] if awaiting else None
        self._open(
            view,
            e,
            position,
            kind="expectation_agreement",
            title=f"Agree to {what[change]} expectation “{title}”",
            state="awaiting_agreement",
            ball_person=first,
            ball_party=self._party(view, e, first),
            person_a=e.proposed_by,
            person_b=first,
        )
        self._awaiting(view, e, awaiting)

    @staticmethod
    def _awaiting(view: View, e: LedgerAggregate.Event, awaiting: list[str]) -> None:
        key = {"project_id": sid(e.project_id), "expectation_id": sid(e.originator_id)}
        view.put(AGREEMENTS, {**key, "awaiting": orjson.dumps(awaiting).decode()})

    @on(Expectation.AgreementGiven)
    def _agreement_given(self, view: View, e: Expectation.AgreementGiven, position: int) -> None:
        key = (sid(e.project_id), sid(e.originator_id))
        found = view.get(AGREEMENTS, key)
        if found is None:
            return
        awaiting = [p for p in orjson.loads(found["awaiting"]) if p != e.by]
        if e.completes or not awaiting:
            view.delete(AGREEMENTS, key)
            self._close(view, e, position)
            return
        self._awaiting(view, e, awaiting)
        self._move(
            view,
            e,
            position,
            ball_person=awaiting[0],
            ball_party=self._party(view, e, awaiting[0]),
            person_b=awaiting[0],
        )

    @on(Expectation.ProposalDeclined)
    def _agreement_declined(
        self, view: View, e: Expectation.ProposalDeclined, position: int
    ) -> None:
        key = (sid(e.project_id), sid(e.originator_id))
        if view.get(AGREEMENTS, key) is not None:
            view.delete(AGREEMENTS, key)
            self._close(view, e, position)

    # ----------------------------------------------------------- acknowledgements

    @on(Meeting.Held, StatusReport.Issued, Expectation.Set, Expectation.Proposed, Decision.Recorded)
    def _subject(
        self,
        view: View,
        e: Meeting.Held
        | StatusReport.Issued
        | Expectation.Set
        | Expectation.Proposed
        | Decision.Recorded,
        position: int,
    ) -> None:
        title = subject_title(e)
        if title:
            self._subject_title(view, e, title)

    @staticmethod
    def _subject_title(view: View, e: LedgerAggregate.Event, title: str) -> None:
        view.put(
            SUBJECTS,
            {"project_id": sid(e.project_id), "subject_id": sid(e.originator_id), "title": title},
        )

    @on(AcknowledgementRequest.Requested)
    def _ack_requested(
        self, view: View, e: AcknowledgementRequest.Requested, position: int
    ) -> None:
        subject = view.peek(SUBJECTS, (sid(e.project_id), str(e.subject_id)))
        kind = wording.kind(e.subject_kind.value)
        what = f"{kind} “{subject['title']}”" if subject else kind
        self._open(
            view,
            e,
            position,
            kind="acknowledgement",
            title=f"Acknowledge the {what} (version {e.subject_version})",
            state="awaiting_acknowledgement",
            due_at=iso(e.due_at),
            ball_person=e.person,
            ball_party=self._party(view, e, e.person),
            person_a=e.attributed_to or e.actor,
            person_b=e.person,
        )

    @on(
        AcknowledgementRequest.Acknowledged,
        AcknowledgementRequest.Disputed,
        AcknowledgementRequest.Withdrawn,
    )
    def _ack_answered(
        self,
        view: View,
        e: AcknowledgementRequest.Acknowledged
        | AcknowledgementRequest.Disputed
        | AcknowledgementRequest.Withdrawn,
        position: int,
    ) -> None:
        self._close(view, e, position)

    # -------------------------------------------------------------------- issues

    @on(Issue.Raised)
    def _issue_raised(self, view: View, e: Issue.Raised, position: int) -> None:
        raiser_party = e.raiser_party.value
        self._open(
            view,
            e,
            position,
            kind=e.kind.value,
            title=e.title,
            state="unanswered" if e.kind.value == "question" else "open",
            ball_party=OTHER_PARTY.get(raiser_party, "team"),
            person_a=e.raised_by,
            party_a=raiser_party,
        )

    @on(Issue.ResponseGiven)
    def _issue_answered(self, view: View, e: Issue.ResponseGiven, position: int) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is None:
            return
        answered_by_other_side = e.party.value != row["party_a"]
        if row["kind"] == "question" and answered_by_other_side:
            self._close(view, e, position)
        elif row["state"] == "open" and answered_by_other_side:
            self._move(view, e, position, state="acknowledged")

    @on(Issue.SolutionOptionsProposed)
    def _options(self, view: View, e: Issue.SolutionOptionsProposed, position: int) -> None:
        self._move(
            view, e, position, state="awaiting_choice", ball_party="client", ball_person=None
        )

    @on(Issue.SolutionChosen, Issue.ProgressReported, Issue.ResolutionDisputed, Issue.Reopened)
    def _in_progress(
        self,
        view: View,
        e: Issue.SolutionChosen
        | Issue.ProgressReported
        | Issue.ResolutionDisputed
        | Issue.Reopened,
        position: int,
    ) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is None and isinstance(e, Issue.Reopened):
            subject = self._reopened_issue(view, e)
            if subject is not None:
                self._open(view, e, position, state="in_progress", **subject)
            return
        if row is not None:
            self._move(
                view,
                e,
                position,
                state="in_progress",
                ball_party=OTHER_PARTY.get(row["party_a"] or "", "team"),
                ball_person=None,
            )

    @on(Issue.Resolved)
    def _resolved(self, view: View, e: Issue.Resolved, position: int) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            self._move(
                view,
                e,
                position,
                state="resolved_awaiting_confirmation",
                ball_party=row["party_a"],
                ball_person=row["person_a"],
            )

    @on(Issue.ResolutionConfirmed)
    def _confirmed(self, view: View, e: Issue.ResolutionConfirmed, position: int) -> None:
        row = view.get(OPEN_ITEMS, (sid(e.project_id), sid(e.originator_id)))
        if row is not None:
            # Keep what a reopening needs, then close.
            view.put(
                REOPENABLE,
                {
                    "project_id": row["project_id"],
                    "item_id": row["item_id"],
                    "data": orjson.dumps(
                        {k: row[k] for k in ("kind", "title", "person_a", "party_a")}
                    ).decode(),
                },
            )
        self._close(view, e, position)

    def _reopened_issue(self, view: View, e: LedgerAggregate.Event) -> dict[str, Any] | None:
        saved = view.peek(REOPENABLE, (sid(e.project_id), sid(e.originator_id)))
        if saved is None:
            return None
        data: dict[str, Any] = orjson.loads(saved["data"])
        data["ball_party"] = OTHER_PARTY.get(data["party_a"] or "", "team")
        return data

    # ---------------------------------------------------------------------- risks

    @on(Risk.Identified)
    def _risk(self, view: View, e: Risk.Identified, position: int) -> None:
        self._open(
            view,
            e,
            position,
            kind="risk",
            title=e.description,
            state="open",
            ball_person=e.owner,
            ball_party=self._party(view, e, e.owner),
            person_a=e.owner,
        )

    @on(Risk.ResponsePlanned)
    def _risk_planned(self, view: View, e: Risk.ResponsePlanned, position: int) -> None:
        # The risk stays open (its own state, as the risk says); the move is now the response
        # owner's: carrying out the plan (docs/projections.md, "whose move").
        self._ball_to(view, e, position, e.owner, "open")

    @on(Risk.Materialised, Risk.Closed)
    def _risk_closed(self, view: View, e: Risk.Materialised | Risk.Closed, position: int) -> None:
        self._close(view, e, position)

    # ------------------------------------------------------------------- cadence

    @on(Project.Opened, Project.TimeZoneChanged)
    def _zone(self, view: View, e: Project.Opened | Project.TimeZoneChanged, position: int) -> None:
        view.put(ZONES, {"project_id": sid(e.project_id), "time_zone": e.time_zone})

    @on(Project.CommunicationPlanSet)
    def _plan(self, view: View, e: Project.CommunicationPlanSet, position: int) -> None:
        project_id = sid(e.project_id)
        kinds = {c.kind for c in e.cadences}
        for row in view.select(CADENCES, Where(eq={"project_id": project_id})):
            if row["kind"] not in kinds:
                view.delete(CADENCES, (project_id, row["kind"]))
        for c in e.cadences:
            view.put(
                CADENCES,
                {
                    "project_id": project_id,
                    "kind": c.kind,
                    "every": c.every,
                    "owner": c.owner,
                    "starts_on": c.starts_on.isoformat() if c.starts_on else None,
                    "set_at": iso(e.occurred_at),
                },
            )

    @on(StatusReport.Issued)
    def _report(self, view: View, e: StatusReport.Issued, position: int) -> None:
        view.put(
            CADENCE_REPORTS,
            {
                "project_id": sid(e.project_id),
                "report_id": sid(e.originator_id),
                "kind": e.cadence_kind,
                "issued_at": iso(e.occurred_at),
                "period_start": e.period_start.isoformat(),
                "period_end": e.period_end.isoformat(),
            },
        )

    @on(Project.Closed)
    def _project_closed(self, view: View, e: Project.Closed, position: int) -> None:
        project_id = sid(e.project_id)
        for row in view.select(OPEN_ITEMS, Where(eq={"project_id": project_id})):
            view.delete(OPEN_ITEMS, (project_id, row["item_id"]))
        for row in view.select(CADENCES, Where(eq={"project_id": project_id})):
            view.delete(CADENCES, (project_id, row["kind"]))


def _undelivered_id(bounce_id: str, commitment_id: str) -> str:
    """The open item of one commitment whose message one report says bounced."""
    return f"undelivered:{bounce_id}:{commitment_id}"
