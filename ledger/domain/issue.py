"""Issue: a problem, question or piece of feedback raised by either side — and how it was settled.

Lifecycle::

    open ──choose solution / report progress──> in_progress
    open, in_progress ──resolve──> resolved ──confirm (raiser's side)──> confirmed
                                      │                                     │
                                      ├──dispute (raiser's side)──> in_progress
                                      └──reopen──> in_progress <──reopen────┘

* While the issue is ``open`` or ``in_progress`` (it is *active*) anyone on the project may
  respond to it, propose solution options, report progress and resolve it; only the client side
  chooses among the proposed options.
* Options can be proposed again — replacing the earlier ones — until one is chosen; the choice is
  final for that round. A disputed resolution keeps the round (the chosen solution is still what
  is being delivered); reopening starts a new round (options and choice are cleared from the
  current state; the history keeps them).
* ``resolved`` accepts only a confirmation or a dispute from the raiser's side, or a reopening;
  ``confirmed`` accepts only a reopening. The state goes back to ``in_progress`` only through
  :class:`Issue.ResolutionDisputed` or :class:`Issue.Reopened`.

"Unanswered" is never stored: a question is unanswered until a member of a side other than the
raiser's has responded (see :attr:`Issue.is_unanswered`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import field_validator

from ledger.domain.envelope import Act, LedgerAggregate
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
)
from ledger.domain.roles import Party
from ledger.domain.topics import pin_topics
from ledger.domain.validation import require_text
from ledger.domain.values import ImmutableModel, Money, Source


class IssueNotFoundError(NotFoundError):
    pass


class IssueKind(StrEnum):
    PROBLEM = "problem"
    QUESTION = "question"
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IssueState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"


_ACTIVE = (IssueState.OPEN, IssueState.IN_PROGRESS)

_OPTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$")

TITLE_MAX_LENGTH = 200


class SolutionOption(ImmutableModel):
    """One way to settle an issue, with what it would cost and how long it would take."""

    id: str
    description: str
    cost: Money | None = None
    time_days: int | None = None

    @field_validator("id")
    @classmethod
    def _short_key(cls, v: str) -> str:
        if not _OPTION_ID.match(v):
            raise ValueError("must be a short key such as A or option-2 (at most 16 characters)")
        return v

    @field_validator("description")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be blank")
        if len(v) > 10_000:
            raise ValueError("must be at most 10000 characters")
        return v

    @field_validator("time_days")
    @classmethod
    def _not_negative(cls, v: int | None) -> int | None:
        if v is not None and v < 0:
            raise ValueError("must not be negative")
        return v


class IssueResponse(ImmutableModel):
    """A response given to an issue (state only, rebuilt from :class:`Issue.ResponseGiven`)."""

    by: str
    party: Party
    response: str


class Issue(LedgerAggregate):
    if TYPE_CHECKING:
        kind: IssueKind
        title: str
        description: str
        expected_resolution: str
        severity: Severity
        raised_by: str
        raiser_party: Party
        source: Source | None
        state: IssueState
        responses: tuple[IssueResponse, ...]
        options: tuple[SolutionOption, ...]
        chosen_option_id: str | None
        percent_complete: int | None
        resolution: str | None

    class Raised(LedgerAggregate.Created):
        """Someone raises a problem, question or feedback. ``raised_by`` is the person whose act
        it is; ``raiser_party`` their side when they raised it.

        By: any member who records (for themself or on behalf of another member)."""

        kind: IssueKind
        title: str
        description: str
        expected_resolution: str
        severity: Severity
        raised_by: str
        raiser_party: Party
        source: Source | None

        def apply(self, aggregate: Issue) -> None:
            super().apply(aggregate)
            aggregate.kind = self.kind
            aggregate.title = self.title
            aggregate.description = self.description
            aggregate.expected_resolution = self.expected_resolution
            aggregate.severity = self.severity
            aggregate.raised_by = self.raised_by
            aggregate.raiser_party = self.raiser_party
            aggregate.source = self.source
            aggregate.state = IssueState.OPEN
            aggregate.responses = ()
            aggregate.options = ()
            aggregate.chosen_option_id = None
            aggregate.percent_complete = None
            aggregate.resolution = None

    class ResponseGiven(LedgerAggregate.Event):
        """A response to the issue. Only a response from a side other than the raiser's
        answers it. By: any member who records, while the issue is active."""

        response: str
        by: str
        party: Party

        def apply(self, aggregate: Issue) -> None:
            aggregate.responses = (
                *aggregate.responses,
                IssueResponse(by=self.by, party=self.party, response=self.response),
            )

    class SolutionOptionsProposed(LedgerAggregate.Event):
        """Ways to settle the issue (each with a unique short id); they replace any earlier
        proposal. By: any member who records, while the issue is active and no option is
        chosen."""

        options: tuple[SolutionOption, ...]

        def apply(self, aggregate: Issue) -> None:
            aggregate.options = self.options

    class SolutionChosen(LedgerAggregate.Event):
        """The client chooses one of the proposed options; work on it is in progress.
        By: a member of the client side, once per round of options."""

        option_id: str
        note: str
        by: str

        def apply(self, aggregate: Issue) -> None:
            aggregate.chosen_option_id = self.option_id
            aggregate.state = IssueState.IN_PROGRESS

    class ProgressReported(LedgerAggregate.Event):
        """How work on the issue is going, optionally as a percentage (0-100).
        By: any member who records, while the issue is active."""

        note: str
        percent_complete: int | None

        def apply(self, aggregate: Issue) -> None:
            aggregate.state = IssueState.IN_PROGRESS
            if self.percent_complete is not None:
                aggregate.percent_complete = self.percent_complete

    class Resolved(LedgerAggregate.Event):
        """The issue is reported settled, saying how. By: any member who records, while the
        issue is active."""

        resolution: str

        def apply(self, aggregate: Issue) -> None:
            aggregate.state = IssueState.RESOLVED
            aggregate.resolution = self.resolution

    class ResolutionConfirmed(LedgerAggregate.Event):
        """The raiser's side confirms the resolution. By: a member of the raiser's side, while
        the issue is resolved."""

        note: str
        by: str

        def apply(self, aggregate: Issue) -> None:
            aggregate.state = IssueState.CONFIRMED

    class ResolutionDisputed(LedgerAggregate.Event):
        """The raiser's side disputes the resolution; the issue is in progress again and the
        chosen solution stands. By: a member of the raiser's side, while the issue is
        resolved."""

        reason: str
        by: str

        def apply(self, aggregate: Issue) -> None:
            aggregate.state = IssueState.IN_PROGRESS
            aggregate.resolution = None

    class Reopened(LedgerAggregate.Event):
        """A resolved or confirmed issue is open again (it came back, or the fix was
        incomplete); a new round of options may be proposed. By: any member who records."""

        reason: str

        def apply(self, aggregate: Issue) -> None:
            aggregate.state = IssueState.IN_PROGRESS
            aggregate.resolution = None
            aggregate.options = ()
            aggregate.chosen_option_id = None

    # ------------------------------------------------------------------------- commands

    @classmethod
    def raise_issue(
        cls,
        act: Act,
        *,
        id: UUID,
        project_id: UUID,
        raiser_party: Party,
        kind: IssueKind,
        title: str,
        description: str,
        severity: Severity = Severity.MEDIUM,
        expected_resolution: str = "",
        source: Source | None = None,
    ) -> Issue:
        """Raise an issue; the raiser is ``act.principal``, whose side is ``raiser_party``."""
        _require_enum(kind, IssueKind, "kind")
        _require_enum(severity, Severity, "severity")
        _require_enum(raiser_party, Party, "raiser_party")
        return cls._open(
            cls.Raised,
            id=id,
            project_id=project_id,
            act=act,
            kind=kind,
            title=require_text(title, "title", max_length=TITLE_MAX_LENGTH),
            description=require_text(description, "description"),
            expected_resolution=require_text(
                expected_resolution, "expected_resolution", empty=True
            ),
            severity=severity,
            raised_by=act.principal,
            raiser_party=raiser_party,
            source=source,
        )

    @property
    def is_active(self) -> bool:
        return self.state in _ACTIVE

    @property
    def is_answered(self) -> bool:
        """Whether someone from a side other than the raiser's has responded."""
        return any(r.party is not self.raiser_party for r in self.responses)

    @property
    def is_unanswered(self) -> bool:
        """A question nobody from another side has responded to yet (never for other kinds)."""
        return self.kind is IssueKind.QUESTION and not self.is_answered

    @property
    def chosen_option(self) -> SolutionOption | None:
        return next((o for o in self.options if o.id == self.chosen_option_id), None)

    def respond(self, act: Act, *, response: str, party: Party) -> None:
        """Respond to the issue; ``party`` is the side of ``act.principal``."""
        _require_enum(party, Party, "party")
        self._require_active("respond to")
        self._record(
            self.ResponseGiven,
            act,
            response=require_text(response, "response"),
            by=act.principal,
            party=party,
        )

    def propose_solution_options(self, act: Act, *, options: tuple[SolutionOption, ...]) -> None:
        self._require_active("propose solution options for")
        if self.chosen_option_id is not None:
            raise InvalidTransitionError(
                f"option {self.chosen_option_id} is already chosen; options can no longer change"
            )
        options = tuple(options)
        if not options:
            raise InvalidInputError("options", "propose at least one option")
        for i, option in enumerate(options):
            if not isinstance(option, SolutionOption):
                raise InvalidInputError(f"options[{i}]", "must be a solution option")
        ids = [o.id for o in options]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise InvalidInputError(
                "options", f"option ids must be unique: {', '.join(duplicates)}"
            )
        self._record(self.SolutionOptionsProposed, act, options=options)

    def choose_solution(self, act: Act, *, option_id: str, party: Party, note: str = "") -> None:
        """The client side chooses one of the proposed options; ``party`` is the side of
        ``act.principal``."""
        if party is not Party.CLIENT:
            raise NotPermittedError("only the client side chooses a solution")
        self._require_active("choose a solution for")
        if self.chosen_option_id is not None:
            raise InvalidTransitionError(f"option {self.chosen_option_id} is already chosen")
        if not self.options:
            raise InvalidTransitionError("no solution options have been proposed")
        if option_id not in {o.id for o in self.options}:
            allowed = ", ".join(o.id for o in self.options)
            raise InvalidInputError("option_id", f"{option_id!r} is not one of: {allowed}")
        self._record(
            self.SolutionChosen,
            act,
            option_id=option_id,
            note=require_text(note, "note", empty=True),
            by=act.principal,
        )

    def report_progress(self, act: Act, *, note: str, percent_complete: int | None = None) -> None:
        self._require_active("report progress on")
        if percent_complete is not None and (
            isinstance(percent_complete, bool)
            or not isinstance(percent_complete, int)
            or not 0 <= percent_complete <= 100
        ):
            raise InvalidInputError("percent_complete", "must be a whole number from 0 to 100")
        self._record(
            self.ProgressReported,
            act,
            note=require_text(note, "note"),
            percent_complete=percent_complete,
        )

    def resolve(self, act: Act, *, resolution: str) -> None:
        self._require_active("resolve")
        self._record(self.Resolved, act, resolution=require_text(resolution, "resolution"))

    def confirm_resolution(self, act: Act, *, party: Party, note: str = "") -> None:
        """The raiser's side confirms; ``party`` is the side of ``act.principal``."""
        self._require_raisers_side(party, "confirms")
        self._require_resolved("confirm")
        self._record(
            self.ResolutionConfirmed,
            act,
            note=require_text(note, "note", empty=True),
            by=act.principal,
        )

    def dispute_resolution(self, act: Act, *, party: Party, reason: str) -> None:
        """The raiser's side disputes; ``party`` is the side of ``act.principal``."""
        self._require_raisers_side(party, "disputes")
        self._require_resolved("dispute")
        self._record(
            self.ResolutionDisputed,
            act,
            reason=require_text(reason, "reason"),
            by=act.principal,
        )

    def reopen(self, act: Act, *, reason: str) -> None:
        if self.is_active:
            raise InvalidTransitionError(f"cannot reopen an issue that is {self.state}")
        self._record(self.Reopened, act, reason=require_text(reason, "reason"))

    # -------------------------------------------------------------------------- checks

    def _require_active(self, step: str) -> None:
        if not self.is_active:
            raise InvalidTransitionError(f"cannot {step} an issue that is {self.state}")

    def _require_resolved(self, step: str) -> None:
        if self.state is not IssueState.RESOLVED:
            raise InvalidTransitionError(
                f"cannot {step} the resolution: the issue is {self.state}, not resolved"
            )

    def _require_raisers_side(self, party: Party, step: str) -> None:
        if party is not self.raiser_party:
            raise NotPermittedError(
                f"only the raiser's side ({self.raiser_party}) {step} the resolution"
            )


def _require_enum(value: object, enum: type[StrEnum], field: str) -> None:
    if not isinstance(value, enum):
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInputError(field, f"must be one of: {allowed}")


pin_topics(Issue)
