"""Commands on commitments: make, acknowledge, renegotiate, fulfil, accept or dispute,
withdraw, release."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.domain.commitment import Commitment, CommitmentNotFoundError
from ledger.domain.validation import normalise_email
from ledger.domain.values import Source
from ledger.service.base import LedgerService, Recorded


class CommitmentCommands(LedgerService):
    def make_commitment(
        self,
        actor: str,
        project_id: UUID,
        *,
        promisor: str,
        promisee: str,
        statement: str,
        due_at: datetime | date | None = None,
        source: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> Recorded:
        project, act = self.act_in(
            project_id, actor, occurred_at=occurred_at, attributed_to=attributed_to
        )
        promisor = normalise_email(promisor, "promisor")
        promisee = normalise_email(promisee, "promisee")
        self.require_members(project, promisor=promisor, promisee=promisee)
        parsed_source = Source.parse(source, "source") if source is not None else None
        due_time = self.due_in(project, due_at)
        commitment_id = self.new_id("commitment", project_id, idempotency_key)
        return self.create_once(
            commitment_id,
            lambda: [
                Commitment.make(
                    act,
                    id=commitment_id,
                    project_id=project_id,
                    promisor=promisor,
                    promisee=promisee,
                    statement=statement,
                    due_at=due_time,
                    source=parsed_source,
                )
            ],
        )

    def get_commitment(self, project_id: UUID, commitment_id: UUID) -> Commitment:
        return self.get_item(Commitment, project_id, commitment_id, CommitmentNotFoundError)

    def acknowledge_commitment(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment, actor, project_id, commitment_id, occurred_at, None, expected_version
        )
        commitment.acknowledge(act)
        return self.save_changes(commitment)

    def propose_commitment_renegotiation(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        reason: str,
        due_at: datetime | date | None = None,
        statement: str | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        project = self.get_project(project_id)
        if act.attributed_to is not None and project.party_of(act.actor) is not project.party_of(
            act.attributed_to
        ):
            # Proposing terms is agreeing to them: the other side's proposal is theirs to make
            # (else the promisor could "agree" to terms the promisee never proposed).
            project.require_consent(act, "proposing new terms of a commitment")
        due_time = self.due_in(project, due_at)
        commitment.propose_renegotiation(act, reason=reason, due_at=due_time, statement=statement)
        return self.save_changes(commitment)

    def agree_commitment_renegotiation(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        self.require_consent(project_id, act, "agreeing new terms of a commitment")
        commitment.agree_renegotiation(act)
        return self.save_changes(commitment)

    def decline_commitment_renegotiation(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        self.require_consent(project_id, act, "declining new terms of a commitment")
        commitment.decline_renegotiation(act, reason=reason)
        return self.save_changes(commitment)

    def fulfil_commitment(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        note: str = "",
        evidence: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        parsed = Source.parse(evidence, "evidence") if evidence is not None else None
        commitment.fulfil(act, note=note, evidence=parsed)
        return self.save_changes(commitment)

    def accept_fulfilment(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        self.require_consent(project_id, act, "accepting a fulfilment")
        commitment.accept_fulfilment(act)
        return self.save_changes(commitment)

    def dispute_fulfilment(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        self.require_consent(project_id, act, "disputing a fulfilment")
        commitment.dispute_fulfilment(act, reason=reason)
        return self.save_changes(commitment)

    def withdraw_commitment(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        commitment.withdraw(act, reason=reason)
        return self.save_changes(commitment)

    def release_commitment(
        self,
        actor: str,
        project_id: UUID,
        commitment_id: UUID,
        *,
        reason: str,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        _, act, commitment = self.step_in(
            Commitment,
            actor,
            project_id,
            commitment_id,
            occurred_at,
            attributed_to,
            expected_version,
        )
        commitment.release(act, reason=reason)
        return self.save_changes(commitment)
