"""Every aggregate, event class and payload type of the ledger, in one place.

The transcoder registers the enums and payload models found here; the round-trip test and
docs/events.md walk the event classes.
"""

from __future__ import annotations

from enum import StrEnum

from ledger import (
    acknowledgement,
    change_request,
    commitment,
    common,
    decision,
    expectation,
    interaction,
    issue,
    meeting,
    project,
    risk,
    status_report,
)
from ledger.common import LedgerAggregate

AGGREGATES: tuple[type[LedgerAggregate], ...] = (
    project.Project,
    commitment.Commitment,
    interaction.Interaction,
    acknowledgement.AcknowledgementRequest,
    meeting.Meeting,
    status_report.StatusReport,
    issue.Issue,
    risk.Risk,
    expectation.Expectation,
    change_request.ChangeRequest,
    decision.Decision,
)

ENUMS: tuple[type[StrEnum], ...] = (
    common.Party,
    common.Role,
    common.SourceKind,
    commitment.CommitmentState,
    interaction.InteractionChannel,
    acknowledgement.AcknowledgementSubjectKind,
    acknowledgement.AcknowledgementState,
    issue.IssueKind,
    issue.Severity,
    issue.IssueState,
    risk.RiskLevel,
    risk.RiskResponseStrategy,
    risk.RiskState,
    expectation.ExpectationKind,
    expectation.ExpectationState,
    expectation.DeliveryState,
    expectation.RevisionCause,
    change_request.ChangeRequestState,
    decision.DecisionState,
)


def event_classes() -> list[type[LedgerAggregate.Event]]:
    """The concrete event classes of every aggregate, in declaration order."""
    found: list[type[LedgerAggregate.Event]] = []
    for aggregate in AGGREGATES:
        for value in vars(aggregate).values():
            if (
                isinstance(value, type)
                and issubclass(value, LedgerAggregate.Event)
                and value.__name__ not in ("Event", "Created")
            ):
                found.append(value)
    return found
