"""StatusReport: the periodic report (weekly report, monthly review...) sent to its recipients.

Lifecycle::

    issued ──correct──> (corrected) ...

Issuing (or correcting) with ``acknowledge_by`` asks each recipient to acknowledge that version
of the report, in the same save. Whether reports came at the agreed cadence is derived by the
projections against the project's communication plan (``cadence_kind`` names the cadence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain.acknowledgement import (
    AcknowledgementRequest,
    AcknowledgementSubjectKind,
    request_acknowledgements,
)
from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import InvalidInputError, NotFoundError
from ledger.domain.project import Member, require_members
from ledger.domain.topics import pin_topics
from ledger.domain.validation import (
    normalise_emails,
    require_aware,
    require_date,
    require_editor,
    require_text,
    text_items,
)
from ledger.domain.values import ImmutableModel


class StatusReportNotFoundError(NotFoundError):
    pass


class StatusReportCorrection(ImmutableModel):
    """New values for some fields of an issued report; a field left ``None`` stands. Field
    names are those of :class:`StatusReport.Issued`; only real changes are stored."""

    period_start: date | None = None
    period_end: date | None = None
    progress: tuple[str, ...] | None = None
    problems: tuple[str, ...] | None = None
    next_steps: tuple[str, ...] | None = None
    cadence_kind: str | None = None

    def changes(self) -> dict[str, Any]:
        return {
            name: value
            for name in type(self).model_fields
            if (value := getattr(self, name)) is not None
        }


class StatusReport(LedgerAggregate):
    if TYPE_CHECKING:
        period_start: date
        period_end: date
        progress: tuple[str, ...]
        problems: tuple[str, ...]
        next_steps: tuple[str, ...]
        to: tuple[str, ...]
        cadence_kind: str
        issued_by: tuple[str, ...]
        corrections: int

    class Issued(LedgerAggregate.Created):
        """A report on ``period_start``..``period_end`` (inclusive) was sent to ``to``
        (members): progress made, problems met, next steps, each as a list of items.

        By: any member who records (usually the owner of the cadence ``cadence_kind``)."""

        period_start: date
        period_end: date
        progress: tuple[str, ...]
        problems: tuple[str, ...]
        next_steps: tuple[str, ...]
        to: tuple[str, ...]
        cadence_kind: str

        def apply(self, aggregate: StatusReport) -> None:
            super().apply(aggregate)
            aggregate.period_start = self.period_start
            aggregate.period_end = self.period_end
            aggregate.progress = self.progress
            aggregate.problems = self.problems
            aggregate.next_steps = self.next_steps
            aggregate.to = self.to
            aggregate.cadence_kind = self.cadence_kind
            aggregate.issued_by = tuple(p for p in (self.actor, self.attributed_to) if p)
            aggregate.corrections = 0

    class Corrected(LedgerAggregate.Event):
        """Some fields of the report were wrong; ``correction`` holds their new values. The
        original stays. By: whoever issued it (or the person it was issued for), or a team
        manager."""

        correction: StatusReportCorrection
        reason: str

        def apply(self, aggregate: StatusReport) -> None:
            for name, value in self.correction.changes().items():
                setattr(aggregate, name, value)
            aggregate.corrections += 1

    # ------------------------------------------------------------------------- commands

    @classmethod
    def issue(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        members: Mapping[str, Member],
        period_start: date,
        period_end: date,
        to: Iterable[str],
        progress: Iterable[str] = (),
        problems: Iterable[str] = (),
        next_steps: Iterable[str] = (),
        cadence_kind: str = "weekly_report",
    ) -> StatusReport:
        """Issue a report; ``members``: the project's members (recipients must be)."""
        start = require_date(period_start, "period_start")
        end = require_date(period_end, "period_end")
        _require_period(start, end, "period_end")
        recipients = normalise_emails(to, "to", required=True)
        require_members(members, recipients, "to")
        content = {
            "progress": text_items(progress, "progress"),
            "problems": text_items(problems, "problems"),
            "next_steps": text_items(next_steps, "next_steps"),
        }
        if not any(content.values()):
            raise InvalidInputError("progress", "a report needs progress, problems or next steps")
        return cls._open(
            cls.Issued,
            id=id,
            project_id=project_id,
            act=act,
            period_start=start,
            period_end=end,
            to=recipients,
            cadence_kind=require_text(cadence_kind, "cadence_kind", max_length=100),
            **content,
        )

    def correct(
        self,
        act: Act,
        *,
        correction: StatusReportCorrection | Mapping[str, Any],
        reason: str,
        manager: bool = False,
    ) -> None:
        """Correct some fields; ``manager``: the actor is a team manager."""
        require_editor(act, self.issued_by, manager=manager, what="correct this report")
        reason = require_text(reason, "reason")
        if not isinstance(correction, StatusReportCorrection):
            correction = StatusReportCorrection.parse(dict(correction), "changes")
        changed: dict[str, Any] = {}
        for name, value in correction.changes().items():
            field = f"changes.{name}"
            if name in ("period_start", "period_end"):
                value = require_date(value, field)
            elif name == "cadence_kind":
                value = require_text(value, field, max_length=100)
            else:
                value = text_items(value, field)
            if getattr(self, name) != value:
                changed[name] = value
        if not changed:
            raise InvalidInputError("changes", "the correction changes nothing")
        _require_period(
            changed.get("period_start", self.period_start),
            changed.get("period_end", self.period_end),
            "changes.period_end",
        )
        if not any(
            changed.get(k, getattr(self, k)) for k in ("progress", "problems", "next_steps")
        ):
            raise InvalidInputError("changes", "a report keeps progress, problems or next steps")
        self._record(
            self.Corrected, act, correction=StatusReportCorrection(**changed), reason=reason
        )

    def request_acknowledgements(
        self, act: Act, *, members: Mapping[str, Member], due_at: datetime
    ) -> list[AcknowledgementRequest]:
        """Ask the recipients (but the issuer and auditors) to acknowledge this version of the
        report by ``due_at``; the requests are saved with the report."""
        require_aware(due_at, "acknowledge_by")
        if due_at <= act.occurred_at:
            raise InvalidInputError("acknowledge_by", "must be after the report is sent")
        return request_acknowledgements(
            act,
            project_id=self.project_id,
            subject_kind=AcknowledgementSubjectKind.STATUS_REPORT,
            subject_id=self.id,
            subject_version=self.version,
            recipients=self.to,
            members=members,
            due_at=due_at,
        )


def _require_period(start: date, end: date, field: str) -> None:
    if end < start:
        raise InvalidInputError(field, "the period cannot end before it starts")


pin_topics(StatusReport)
