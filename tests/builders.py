"""The set-up most tests share: the usual people and a project with them as members.

``project_with_members(ledger)`` opens "Website" as :data:`PM` and adds :data:`DEV` (team
member), :data:`SPONSOR` (client approver), any ``others`` given, then :data:`AUDITOR` (unless
``auditor=False``) — in that order, so versions and positions are the same in every test that
builds it.
"""

from __future__ import annotations

from uuid import UUID

from ledger.service.application import Ledger

PM = "pm@acme.test"
DEV = "dev@acme.test"
SPONSOR = "sponsor@client.test"
AUDITOR = "auditor@pmo.test"

#: ``(email, name, party, role)`` of a further member.
MemberSpec = tuple[str, str, str, str]


def project_with_members(ledger: Ledger, *others: MemberSpec, auditor: bool = True) -> UUID:
    project_id = ledger.open_project(PM, name="Website", client_org="Client", team_org="Acme").id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    ledger.add_member(
        PM, project_id, email=SPONSOR, name="Sue", party="client", role="client_approver"
    )
    for email, name, party, role in others:
        ledger.add_member(PM, project_id, email=email, name=name, party=party, role=role)
    if auditor:
        ledger.add_member(
            PM, project_id, email=AUDITOR, name="Al", party="third_party", role="auditor"
        )
    return project_id


def positions(ledger: Ledger) -> int:
    """The position of the latest event (how many events are stored)."""
    return ledger.event_log.head()


def agree_to_expectation(ledger: Ledger, project_id: UUID, expectation_id: UUID) -> None:
    """Everyone the expectation's pending proposal awaits agrees to it, each with their own
    credential (consent belongs to its owner); the last agreement applies it."""
    proposal = ledger.get_expectation(project_id, expectation_id).pending_proposal
    assert proposal is not None, "nothing awaits agreement"
    for person in proposal.awaiting:
        ledger.agree_expectation(
            person, project_id, expectation_id, proposal_version=proposal.version
        )
