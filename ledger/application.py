"""The ledger's service layer: one ``Application`` subclass, composed of the command mixins.

Simple types in and out: strings, UUIDs, datetimes, dicts and lists for structured input; every
command returns :class:`~ledger.service.Recorded`. Errors are the domain errors of
:mod:`ledger.common` and the ``...NotFoundError`` of each aggregate module.
"""

from __future__ import annotations

from ledger.commands.acknowledgements import AcknowledgementCommands
from ledger.commands.change_requests import ChangeRequestCommands
from ledger.commands.commitments import CommitmentCommands
from ledger.commands.decisions import DecisionCommands
from ledger.commands.expectations import ExpectationCommands
from ledger.commands.interactions import InteractionCommands
from ledger.commands.issues import IssueCommands
from ledger.commands.meetings import MeetingCommands
from ledger.commands.minutes import MinutesCommands
from ledger.commands.projects import ProjectCommands
from ledger.commands.risks import RiskCommands
from ledger.commands.status_reports import StatusReportCommands
from ledger.service import LedgerService, Recorded, VersionMismatchError


class Ledger(
    ProjectCommands,
    CommitmentCommands,
    InteractionCommands,
    AcknowledgementCommands,
    MeetingCommands,
    MinutesCommands,
    StatusReportCommands,
    IssueCommands,
    RiskCommands,
    ExpectationCommands,
    ChangeRequestCommands,
    DecisionCommands,
    LedgerService,
):
    """The one application of the ledger. ``Ledger(database_url)`` or ``Ledger()`` for
    ``ACCORD_DATABASE_URL`` (default: the SQLite file under ``./accord-data/``)."""

    name = "accord"


__all__ = ["Ledger", "Recorded", "VersionMismatchError"]
