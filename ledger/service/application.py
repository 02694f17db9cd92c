"""The ledger's service layer: one ``Application`` subclass, composed of the command mixins.

Simple types in and out: strings, UUIDs, datetimes, dicts and lists for structured input; every
command returns :class:`~ledger.service.base.Recorded`. Errors are the domain errors of
:mod:`ledger.domain.errors` and the ``...NotFoundError`` of each aggregate module.
"""

from __future__ import annotations

from ledger.service.base import LedgerService, Recorded, VersionMismatchError
from ledger.service.commands.acknowledgements import AcknowledgementCommands
from ledger.service.commands.change_requests import ChangeRequestCommands
from ledger.service.commands.commitments import CommitmentCommands
from ledger.service.commands.decisions import DecisionCommands
from ledger.service.commands.expectations import ExpectationCommands
from ledger.service.commands.interactions import InteractionCommands
from ledger.service.commands.issues import IssueCommands
from ledger.service.commands.meetings import MeetingCommands
from ledger.service.commands.minutes import MinutesCommands
from ledger.service.commands.projects import ProjectCommands
from ledger.service.commands.risks import RiskCommands
from ledger.service.commands.status_reports import StatusReportCommands


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
