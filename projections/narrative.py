"""One readable line per event, for the timeline and the audit trail.

``narrate(event, name, title)`` says what happened in plain words: ``name`` turns an email into
the member's name, ``title`` is the subject's title as known when the event was recorded
(``None`` for the event that creates the subject). Whoever recorded it on someone's behalf is
added by the caller ("— recorded by Pat").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ledger.domain import wording
from ledger.domain.envelope import LedgerAggregate

Namer = Callable[[str], str]
Line = Callable[[Any, Namer, str, str], str]


def event_name(event: LedgerAggregate.Event) -> str:
    """``Commitment.Made``: the aggregate and the event, as in the topic."""
    return event_name_of(type(event))


def event_name_of(event_class: type) -> str:
    """The name of the events of ``event_class`` (see :func:`event_name`)."""
    return event_class.__qualname__


_TITLES: dict[str, Callable[[Any], str]] = {
    "Project.Opened": lambda e: e.name,
    "Commitment.Made": lambda e: e.statement,
    "Interaction.Recorded": lambda e: e.subject or _clip(e.summary),
    "Meeting.Held": lambda e: e.title,
    "AcknowledgementRequest.Requested": lambda e: f"{e.subject_kind} v{e.subject_version}",
    "StatusReport.Issued": lambda e: (
        f"{wording.cadence_kind(e.cadence_kind)} {e.period_start} to {e.period_end}"
    ),
    "Issue.Raised": lambda e: e.title,
    "Risk.Identified": lambda e: _clip(e.description),
    "Expectation.Set": lambda e: e.title,
    "Expectation.Proposed": lambda e: e.title,
    "ChangeRequest.Requested": lambda e: e.title,
    "Decision.Recorded": lambda e: _clip(e.statement),
}


def subject_title(event: LedgerAggregate.Event) -> str | None:
    """The title a creating event gives its subject (what later lines call it)."""
    getter = _TITLES.get(type(event).__qualname__)
    return getter(event) if getter else None


def opener_named(line: str, email: str, name: str) -> str:
    """The line of a ``Project.Opened`` (which begins with who opened it, by address: they
    become a member only in the next event) beginning with their ``name`` instead."""
    return name + line[len(email) :] if line.startswith(email + " ") else line


def _clip(text: str, size: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return "no date"
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
    return moment.isoformat()


def _member(member: Any) -> str:
    """A new member by name, with their address when the name says something else."""
    if member.name and member.name != member.email:
        return f"{member.name} ({member.email})"
    return str(member.email)


def _list(names: list[str]) -> str:
    if not names:
        return "nobody"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _value(value: Any) -> str:
    parts = []
    for field in ("text", "date", "start", "end", "metric", "target", "deadline"):
        v = getattr(value, field, None)
        if v is not None:
            parts.append(f"{v}" if field in ("text", "date") else f"{field} {v}")
    amount = getattr(value, "amount", None)
    if amount is not None:
        parts.append(f"{amount} {value.currency}")
    return ", ".join(parts) or "—"


_LINES: dict[str, Line] = {
    # Project
    "Project.Opened": lambda e, name, t, who: (
        f"{who} opened the project “{e.name}” for {e.client_org} (days counted in {e.time_zone})"
    ),
    "Project.TimeZoneChanged": lambda e, name, t, who: (
        f"{who} set the project's time zone to {e.time_zone}"
    ),
    "Project.MemberAdded": lambda e, name, t, who: (
        f"{who} added {_member(e.member)} as {wording.role(e.member.role)} on "
        f"{wording.side(e.member.party)}"
    ),
    "Project.MemberRoleChanged": lambda e, name, t, who: (
        f"{who} made {name(e.email)} {wording.role(e.role)}"
    ),
    "Project.MemberRemoved": lambda e, name, t, who: (
        f"{who} removed {name(e.email)} from the project"
    ),
    "Project.KeyContactDesignated": lambda e, name, t, who: (
        f"{who} named {name(e.email)} the key contact for {e.area}"
    ),
    "Project.CommunicationPlanSet": lambda e, name, t, who: (
        f"{who} set the communication plan: "
        + (
            "; ".join(
                f"{wording.cadence_kind(c.kind)} {wording.every(c.every)} by {name(c.owner)}"
                for c in e.cadences
            )
            or "no recurring communication"
        )
    ),
    "Project.Closed": lambda e, name, t, who: f"{who} closed the project: {_clip(e.summary)}",
    # Commitment
    "Commitment.Made": lambda e, name, t, who: (
        f"{name(e.promisor)} promised {name(e.promisee)} “{_clip(e.statement)}” "
        f"by {_when(e.due_at)}"
    ),
    "Commitment.Acknowledged": lambda e, name, t, who: (
        f"{name(e.by)} acknowledged the commitment {t}"
    ),
    "Commitment.RenegotiationProposed": lambda e, name, t, who: (
        f"{who} proposed new terms for {t}"
        + (f": due {_when(e.proposal.due_at)}" if e.proposal.due_at else "")
        + f" ({_clip(e.proposal.reason)})"
    ),
    "Commitment.Renegotiated": lambda e, name, t, who: (
        f"{name(e.agreed_by)} agreed new terms for {t}: “{_clip(e.statement)}” by {_when(e.due_at)}"
    ),
    "Commitment.RenegotiationDeclined": lambda e, name, t, who: f"{who} declined new terms for {t}",
    "Commitment.Fulfilled": lambda e, name, t, who: (
        f"{who} fulfilled {t}" + (f": {_clip(e.note)}" if e.note else "")
    ),
    "Commitment.FulfilmentAccepted": lambda e, name, t, who: (
        f"{who} accepted the fulfilment of {t}"
    ),
    "Commitment.FulfilmentDisputed": lambda e, name, t, who: (
        f"{who} disputed the fulfilment of {t}: {_clip(e.reason)}"
    ),
    "Commitment.Withdrawn": lambda e, name, t, who: (
        f"{who} withdrew the commitment {t}: {_clip(e.reason)}"
    ),
    "Commitment.Released": lambda e, name, t, who: f"{who} released the promisor from {t}",
    # Interaction
    "Interaction.Recorded": lambda e, name, t, who: (
        _delivery_failure(e, name)
        if e.delivery_failure is not None
        else f"{wording.channel(e.channel)}: {name(e.from_address)} to "
        f"{_list([name(x) for x in e.to]) if e.to else '—'} — “{_clip(e.subject or e.summary)}”"
    ),
    "Interaction.VariantRecorded": lambda e, name, t, who: (
        f"{who} kept another copy of {t} (same Message-ID, other bytes, from {e.where}): "
        f"{_clip(e.note)}"
    ),
    "Interaction.Corrected": lambda e, name, t, who: (
        f"{who} corrected the record of {t}: {_clip(e.reason)}"
    ),
    "Interaction.ThreadLinked": lambda e, name, t, who: (
        f"{who} linked {t} into its thread: it answers interaction {e.in_reply_to}"
    ),
    "Interaction.Retracted": lambda e, name, t, who: (
        f"{who} retracted the record of {t}: {_clip(e.reason)}"
    ),
    # Acknowledgement
    "AcknowledgementRequest.Requested": lambda e, name, t, who: (
        f"{who} asked {name(e.person)} to acknowledge the {wording.kind(e.subject_kind)}"
        + (f" by {_when(e.due_at)}" if e.due_at else "")
    ),
    "AcknowledgementRequest.Acknowledged": lambda e, name, t, who: f"{who} acknowledged {t}",
    "AcknowledgementRequest.Disputed": lambda e, name, t, who: (
        f"{who} disputed {t}: {_clip(e.reason)}"
    ),
    "AcknowledgementRequest.Withdrawn": lambda e, name, t, who: (
        f"{who} withdrew the request to acknowledge {t}"
    ),
    # Meeting
    "Meeting.Held": lambda e, name, t, who: (
        f"Meeting “{e.title}” with {_list([name(a) for a in e.attendees])}"
    ),
    "Meeting.MinutesRecorded": lambda e, name, t, who: (
        f"{who} recorded the minutes of {t}: {len(e.decisions)} decisions, "
        f"{len(e.action_items)} action items"
    ),
    "Meeting.MinutesCirculated": lambda e, name, t, who: (
        f"{who} sent the minutes of {t} to {_list([name(x) for x in e.to])}"
    ),
    "Meeting.MinutesAmended": lambda e, name, t, who: (
        f"{who} amended the minutes of {t}: {_clip(e.reason)}"
    ),
    # Status report
    "StatusReport.Issued": lambda e, name, t, who: (
        f"{who} issued the {wording.cadence_kind(e.cadence_kind)} for {e.period_start} to "
        f"{e.period_end} to {_list([name(x) for x in e.to])}"
    ),
    "StatusReport.Corrected": lambda e, name, t, who: f"{who} corrected {t}: {_clip(e.reason)}",
    # Issue
    "Issue.Raised": lambda e, name, t, who: (
        f"{who} raised a {e.severity} {e.kind}: “{_clip(e.title)}”"
    ),
    "Issue.ResponseGiven": lambda e, name, t, who: (
        f"{name(e.by)} answered {t}: {_clip(e.response)}"
    ),
    "Issue.SolutionOptionsProposed": lambda e, name, t, who: (
        f"{who} proposed {len(e.options)} options for {t}: "
        + "; ".join(f"{o.id}) {_clip(o.description, 40)}" for o in e.options)
    ),
    "Issue.SolutionChosen": lambda e, name, t, who: (
        f"{name(e.by)} chose option {e.option_id} for {t}"
    ),
    "Issue.ProgressReported": lambda e, name, t, who: (
        f"{who} reported progress on {t}"
        + (f" ({e.percent_complete}%)" if e.percent_complete is not None else "")
        + f": {_clip(e.note)}"
    ),
    "Issue.Resolved": lambda e, name, t, who: f"{who} resolved {t}: {_clip(e.resolution)}",
    "Issue.ResolutionConfirmed": lambda e, name, t, who: (
        f"{name(e.by)} confirmed the resolution of {t}"
    ),
    "Issue.ResolutionDisputed": lambda e, name, t, who: (
        f"{name(e.by)} disputed the resolution of {t}: {_clip(e.reason)}"
    ),
    "Issue.Reopened": lambda e, name, t, who: f"{who} reopened {t}: {_clip(e.reason)}",
    # Risk
    "Risk.Identified": lambda e, name, t, who: (
        f"{who} identified a risk ({e.probability} probability, {e.impact} impact): "
        f"“{_clip(e.description)}”, owned by {name(e.owner)}"
    ),
    "Risk.Assessed": lambda e, name, t, who: (
        f"{who} reassessed {t}: {e.probability} probability, {e.impact} impact"
    ),
    "Risk.ResponsePlanned": lambda e, name, t, who: (
        f"{who} planned to {e.strategy} {t}: {_clip(e.plan)}"
    ),
    "Risk.Materialised": lambda e, name, t, who: f"{who} recorded that the risk {t} materialised",
    "Risk.Closed": lambda e, name, t, who: f"{who} closed the risk {t}: {_clip(e.reason)}",
    # Expectation
    "Expectation.Set": lambda e, name, t, who: (
        f"{who} set the {wording.kind(e.kind)} “{e.title}”: {_value(e.value)}"
        + (f", agreed by {_list([name(a) for a in e.agreed_by])}" if e.agreed_by else "")
    ),
    "Expectation.Revised": lambda e, name, t, who: (
        f"{t} revised to {_value(e.value)}"
        + (" by an approved change request" if e.change_request_id else " by agreement")
    ),
    "Expectation.Withdrawn": lambda e, name, t, who: (
        f"{t} withdrawn from the baseline: {_clip(e.reason)}"
    ),
    "Expectation.Proposed": lambda e, name, t, who: (
        f"{name(e.proposed_by)} proposed the {wording.kind(e.kind)} “{e.title}”: "
        f"{_value(e.value)}, for the agreement of {_list([name(a) for a in e.agreed_by])}"
    ),
    "Expectation.ChangeProposed": lambda e, name, t, who: (
        f"{name(e.proposed_by)} proposed "
        + (f"revising {t} to {_value(e.value)}" if e.value is not None else f"withdrawing {t}")
        + f", for the agreement of {_list([name(a) for a in e.agreed_by])}: {_clip(e.reason)}"
    ),
    "Expectation.AgreementGiven": lambda e, name, t, who: (
        f"{name(e.by)} agreed to the proposal on {t}"
        + (": everyone named has agreed, and it applies" if e.completes else "")
    ),
    "Expectation.ProposalDeclined": lambda e, name, t, who: (
        f"{name(e.by)} declined the proposal on {t}: {_clip(e.reason)}"
    ),
    "Expectation.DeliverySubmitted": lambda e, name, t, who: f"{who} submitted the delivery of {t}",
    "Expectation.DeliveryAccepted": lambda e, name, t, who: f"{who} accepted the delivery of {t}",
    "Expectation.DeliveryRejected": lambda e, name, t, who: (
        f"{who} rejected the delivery of {t}: {_clip(e.reason)}"
    ),
    # Change request
    "ChangeRequest.Requested": lambda e, name, t, who: (
        f"{who} requested a change: “{_clip(e.title)}”"
    ),
    "ChangeRequest.ImpactAssessed": lambda e, name, t, who: (
        f"{who} assessed {t}: {e.schedule_delta_days:+d} days"
        + (f", {e.cost_delta.amount:+} {e.cost_delta.currency}" if e.cost_delta else "")
    ),
    "ChangeRequest.Approved": lambda e, name, t, who: f"{who} approved the change {t}",
    "ChangeRequest.Rejected": lambda e, name, t, who: (
        f"{who} rejected the change {t}: {_clip(e.reason)}"
    ),
    "ChangeRequest.Withdrawn": lambda e, name, t, who: f"{who} withdrew the change {t}",
    "ChangeRequest.Implemented": lambda e, name, t, who: f"{who} implemented the change {t}",
    # Decision
    "Decision.Recorded": lambda e, name, t, who: (
        f"Decision by {_list([name(d) for d in e.decided_by])}: “{_clip(e.statement)}”"
    ),
    "Decision.Superseded": lambda e, name, t, who: f"{who} marked the decision {t} superseded",
}


def _delivery_failure(e: Any, name: Namer) -> str:
    """A bounce: which recipients the message could not reach, and why."""
    failure = e.delivery_failure
    reached = [
        f"{name(r.address)}" + (f" ({r.status})" if r.status else "") for r in failure.recipients
    ]
    whom = _list(reached) if reached else "its recipients"
    original = f" of message {failure.original_message_id}" if failure.original_message_id else ""
    return f"delivery failure{original}: could not be delivered to {whom} — “{_clip(e.subject)}”"


def narrate(event: LedgerAggregate.Event, name: Namer, title: str | None) -> str:
    """The line for ``event`` (see the module docstring)."""
    who = name(event.attributed_to or event.actor)
    t = f"“{title}”" if title else "it"
    line = _LINES.get(event_name(event))
    if line is None:
        return f"{who}: {event_name(event)}"
    return line(event, name, t, who)
