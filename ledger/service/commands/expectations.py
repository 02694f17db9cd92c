"""Commands on expectations (the agreed baseline): set, revise or withdraw by agreement,
and — for milestones and deliverables — submit, accept or reject a delivery.

Consent belongs to its owner: ``agreed_by`` names who agrees, and only the proposer's own
agreement comes with the command. Everyone else named agrees with their own credential (or a
delegate they named) through :meth:`ExpectationCommands.agree_expectation`; the last agreement
applies the set, revision or withdrawal.

Revisions and withdrawals caused by a change request are made by ``approve_change``
(:mod:`ledger.service.commands.change_requests`), in the same save as the approval.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain.errors import InvalidInputError
from ledger.domain.expectation import (
    Expectation,
    ExpectationKind,
    ExpectationNotFoundError,
    ExpectationValue,
)
from ledger.domain.project import Project
from ledger.domain.roles import Party
from ledger.domain.validation import normalise_email
from ledger.domain.values import Source
from ledger.service.base import LedgerService, Recorded


def parse_kind(value: str, field: str = "kind") -> ExpectationKind:
    try:
        return ExpectationKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ExpectationKind)
        raise InvalidInputError(field, f"{value!r} is not one of: {allowed}") from None


def member_list(project: Project, emails: Iterable[str], field: str) -> tuple[str, ...]:
    """Normalised, de-duplicated (order kept) emails of current members of ``project``."""
    if isinstance(emails, (str, bytes, dict)):
        raise InvalidInputError(field, "must be a list of email addresses")
    found: list[str] = []
    for i, email in enumerate(emails):
        address = normalise_email(email, f"{field}[{i}]")
        LedgerService.require_members(project, **{f"{field}[{i}]": address})
        if address not in found:
            found.append(address)
    return tuple(found)


def require_both_sides(project: Project, agreed_by: tuple[str, ...], step: str) -> None:
    """An agreement between the sides names at least one client-side and one team-side member."""
    parties = {project.party_of(email) for email in agreed_by}
    if Party.CLIENT not in parties or Party.TEAM not in parties:
        raise InvalidInputError(
            "agreed_by",
            f"{step} by agreement needs at least one client-side and one team-side member",
        )


class ExpectationCommands(LedgerService):
    def set_expectation(
        self,
        actor: str,
        project_id: UUID,
        *,
        kind: str,
        title: str,
        value: dict[str, Any],
        agreed_by: Iterable[str] = (),
        source: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        """Add an item to the agreed baseline; ``value``'s fields depend on ``kind`` (see
        :class:`~ledger.domain.expectation.ExpectationValue`). When ``agreed_by`` names anyone
        but the person it is recorded for, the item is proposed and joins the baseline once
        each of them agreed in person (:meth:`agree_expectation`)."""
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        project.require_consent(act, "agreeing an expectation")
        parsed_kind = parse_kind(kind)
        parsed_value = ExpectationValue.parse(value, "value").check_for(parsed_kind)
        agreed = member_list(project, agreed_by, "agreed_by")
        parsed_source = Source.parse(source, "source") if source is not None else None
        expectation_id = self.new_id("expectation", project_id, idempotency_key)
        if set(agreed) - {act.principal}:
            return self.create_once(
                expectation_id,
                lambda: [
                    Expectation.propose(
                        act,
                        id=expectation_id,
                        project_id=project_id,
                        kind=parsed_kind,
                        title=title,
                        value=parsed_value,
                        agreed_by=agreed,
                        proposed_by=act.principal,
                        source=parsed_source,
                    )
                ],
            )
        return self.create_once(
            expectation_id,
            lambda: [
                Expectation.establish(
                    act,
                    id=expectation_id,
                    project_id=project_id,
                    kind=parsed_kind,
                    title=title,
                    value=parsed_value,
                    agreed_by=agreed,
                    source=parsed_source,
                )
            ],
        )

    def get_expectation(self, project_id: UUID, expectation_id: UUID) -> Expectation:
        return self.get_item(Expectation, project_id, expectation_id, ExpectationNotFoundError)

    def revise_expectation(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        value: dict[str, Any],
        agreed_by: Iterable[str],
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Propose a revision by agreement between the sides (``agreed_by`` names at least one
        client-side and one team-side member; the proposer agrees by proposing). It applies when
        everyone named agreed (:meth:`agree_expectation`). Revisions by change request happen
        on its approval."""
        return self._propose_change(
            actor,
            project_id,
            expectation_id,
            value=value,
            agreed_by=agreed_by,
            reason=reason,
            step=("a revision", "agreeing to revise an expectation"),
            when=(occurred_at, attributed_to, expected_version),
        )

    def withdraw_expectation(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        agreed_by: Iterable[str],
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Propose a withdrawal by agreement between the sides (as for a revision)."""
        return self._propose_change(
            actor,
            project_id,
            expectation_id,
            value=None,
            agreed_by=agreed_by,
            reason=reason,
            step=("a withdrawal", "agreeing to withdraw an expectation"),
            when=(occurred_at, attributed_to, expected_version),
        )

    def _propose_change(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        value: dict[str, Any] | None,
        agreed_by: Iterable[str],
        reason: str,
        step: tuple[str, str],
        when: tuple[datetime | None, str | None, int | None],
    ) -> Recorded:
        """Record a proposal to revise (``value``) or withdraw (``None``) the expectation, the
        proposer agreeing; ``step`` names it in the refusals (both sides; consent)."""
        occurred_at, attributed_to, expected_version = when
        project, act, expectation = self.step_in(
            Expectation,
            actor,
            project_id,
            expectation_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        agreed = member_list(project, agreed_by, "agreed_by")
        require_both_sides(project, (act.principal, *agreed), step[0])
        project.require_consent(act, step[1])
        expectation.propose_change(
            act,
            value=None if value is None else ExpectationValue.parse(value, "value"),
            agreed_by=agreed,
            proposed_by=act.principal,
            reason=reason,
        )
        return self.save_changes(expectation)

    def agree_expectation(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        proposal_version: int,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The principal (the actor, or the member who named the actor their delegate and is
        ``attributed_to``) agrees to the proposal of ``proposal_version`` awaiting them."""
        project, act, expectation = self.step_in(
            Expectation,
            actor,
            project_id,
            expectation_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project.require_consent(act, "agreeing an expectation")
        expectation.agree(act, by=act.principal, proposal_version=proposal_version)
        return self.save_changes(expectation)

    def decline_expectation(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        proposal_version: int,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """The principal, named in the proposal of ``proposal_version``, declines it."""
        project, act, expectation = self.step_in(
            Expectation,
            actor,
            project_id,
            expectation_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project.require_consent(act, "declining an expectation's proposal")
        expectation.decline(act, by=act.principal, proposal_version=proposal_version, reason=reason)
        return self.save_changes(expectation)

    def submit_delivery(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        note: str = "",
        evidence: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, expectation = self.step_in(
            Expectation,
            actor,
            project_id,
            expectation_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        parsed = Source.parse(evidence, "evidence") if evidence is not None else None
        expectation.submit_delivery(
            act, party=project.party_of(act.principal), note=note, evidence=parsed
        )
        return self.save_changes(expectation)

    def accept_delivery(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        note: str = "",
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, expectation = self.step_in(
            Expectation,
            actor,
            project_id,
            expectation_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project.require_consent(act, "accepting a delivery")
        expectation.accept_delivery(act, party=project.party_of(act.principal), note=note)
        return self.save_changes(expectation)

    def reject_delivery(
        self,
        actor: str,
        project_id: UUID,
        expectation_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        project, act, expectation = self.step_in(
            Expectation,
            actor,
            project_id,
            expectation_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project.require_consent(act, "rejecting a delivery")
        expectation.reject_delivery(act, party=project.party_of(act.principal), reason=reason)
        return self.save_changes(expectation)
