"""Project lifecycle: membership, key contacts, communication plan, closing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from ledger.domain.envelope import Act
from ledger.domain.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotPermittedError,
    ProjectClosedError,
)
from ledger.domain.project import Cadence, Channel, MemberNotFoundError, NotAMemberError, Project
from ledger.domain.roles import Party, Role

PM = "pm@acme.test"
SPONSOR = "sponsor@client.test"
AUDITOR = "auditor@pmo.test"


def opened() -> Project:
    project = Project.open(
        Act(PM), id=uuid4(), name="Website", client_org="Client", team_org="Acme"
    )
    project.add_member(Act(PM), email=PM, name="Pat", party=Party.TEAM, role=Role.TEAM_MANAGER)
    project.add_member(
        Act(PM), email=SPONSOR, name="Sue", party=Party.CLIENT, role=Role.CLIENT_APPROVER
    )
    return project


def test_opened_project_names_itself_as_its_own_project() -> None:
    project = opened()
    assert project.project_id == project.id
    assert project.member(SPONSOR).role is Role.CLIENT_APPROVER


def test_member_added_twice_is_refused() -> None:
    with pytest.raises(InvalidTransitionError, match="already a member"):
        opened().add_member(
            Act(PM), email=SPONSOR, name="S", party=Party.CLIENT, role=Role.CLIENT_MEMBER
        )


def test_role_must_fit_the_party() -> None:
    with pytest.raises(InvalidInputError, match="client side"):
        opened().add_member(
            Act(PM), email="x@acme.test", name="X", party=Party.TEAM, role=Role.CLIENT_APPROVER
        )


def test_auditors_may_come_from_any_side_but_only_read() -> None:
    project = opened()
    project.add_member(Act(PM), email=AUDITOR, name="A", party=Party.THIRD_PARTY, role=Role.AUDITOR)
    with pytest.raises(NotPermittedError, match="auditor"):
        project.require_recorder(Act(AUDITOR))


def test_recording_needs_membership_of_actor_and_attributed_person() -> None:
    project = opened()
    assert project.require_recorder(Act(PM, attributed_to=SPONSOR)).email == PM
    with pytest.raises(NotAMemberError, match="actor"):
        project.require_recorder(Act("stranger@else.test"))
    with pytest.raises(NotAMemberError, match="attributed_to"):
        project.require_recorder(Act(PM, attributed_to="stranger@else.test"))


def test_role_change_and_removal() -> None:
    project = opened()
    project.change_member_role(Act(PM), email=SPONSOR, role=Role.CLIENT_MEMBER)
    assert project.member(SPONSOR).role is Role.CLIENT_MEMBER
    with pytest.raises(InvalidTransitionError, match="already has the role"):
        project.change_member_role(Act(PM), email=SPONSOR, role=Role.CLIENT_MEMBER)
    project.designate_key_contact(Act(PM), email=SPONSOR, area="acceptance")
    project.remove_member(Act(PM), email=SPONSOR, reason="left the company")
    assert SPONSOR not in project.members
    assert project.key_contacts == {}
    with pytest.raises(MemberNotFoundError):
        project.remove_member(Act(PM), email=SPONSOR)
    with pytest.raises(NotPermittedError, match="themselves"):
        project.remove_member(Act(PM), email=PM)


def test_communication_plan_needs_member_owners_and_iso_durations() -> None:
    project = opened()
    plan = {
        "channels": (Channel(channel="email", purpose="formal notices"),),
        "cadences": (Cadence(kind="weekly_report", every="P7D", owner=PM),),
    }
    project.set_communication_plan(Act(PM), **plan)
    assert project.cadences[0].every == "P7D"
    with pytest.raises(InvalidInputError, match=r"cadences\[0\].owner"):
        project.set_communication_plan(
            Act(PM),
            channels=(),
            cadences=(Cadence(kind="weekly_report", every="P7D", owner="x@else.test"),),
        )
    with pytest.raises(InvalidInputError, match="only once"):
        project.set_communication_plan(
            Act(PM),
            channels=(),
            cadences=(
                Cadence(kind="weekly_report", every="P7D", owner=PM),
                Cadence(kind="weekly_report", every="P14D", owner=PM),
            ),
        )
    with pytest.raises(InvalidInputError, match="every"):
        Cadence.parse({"kind": "weekly_report", "every": "weekly", "owner": PM}, "cadences[0]")


def test_a_closed_project_refuses_everything() -> None:
    project = opened()
    project.close(Act(PM), summary="Delivered", lessons_learned="Agree cadence early")
    with pytest.raises(ProjectClosedError):
        project.require_recorder(Act(PM))
    with pytest.raises(ProjectClosedError):
        project.add_member(
            Act(PM), email="n@acme.test", name="N", party=Party.TEAM, role=Role.TEAM_MEMBER
        )
    with pytest.raises(ProjectClosedError):
        project.close(Act(PM), summary="again")
