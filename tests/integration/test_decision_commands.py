"""Decision commands against real storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from uuid import UUID

import pytest

from ledger.domain.decision import Decision, DecisionNotFoundError, DecisionState
from ledger.domain.errors import InvalidInputError, InvalidTransitionError
from ledger.domain.project import NotAMemberError
from ledger.domain.values import SourceKind
from ledger.service.application import Ledger, VersionMismatchError
from tests import builders
from tests.builders import DEV, PM, SPONSOR, positions


def project_with_members(ledger: Ledger) -> UUID:
    return builders.project_with_members(ledger, auditor=False)


def decide(
    ledger: Ledger, project_id: UUID, statement: str = "Use PostgreSQL", **kw: object
) -> UUID:
    return ledger.record_decision(
        PM,
        project_id,
        statement=statement,
        decided_by=[SPONSOR, PM],
        **kw,  # type: ignore[arg-type]
    ).id


def test_a_decision_is_stored_and_read_back(ledger: Ledger, database_url: str) -> None:
    project_id = project_with_members(ledger)
    recorded = ledger.record_decision(
        DEV,
        project_id,
        statement="Host in Frankfurt",
        decided_by=[SPONSOR, "PM@acme.test", SPONSOR],
        options_considered=["Frankfurt", "Dublin"],
        rationale="Data must stay in Germany",
        source={"kind": "meeting", "id": str(project_id)},
        attributed_to=PM,
    )
    fresh = Ledger(database_url)
    try:
        d = fresh.get_decision(project_id, recorded.id)
        assert d.statement == "Host in Frankfurt"
        assert d.decided_by == (SPONSOR, PM)
        assert d.options_considered == ("Frankfurt", "Dublin")
        assert d.rationale == "Data must stay in Germany"
        assert d.source is not None
        assert d.source.kind is SourceKind.MEETING
        assert d.state is DecisionState.CURRENT
        (event,) = fresh.events.get(recorded.id)
        assert isinstance(event, Decision.Recorded)
        assert (event.actor, event.attributed_to) == (DEV, PM)
    finally:
        fresh.close()


def test_malformed_decisions_are_refused_and_nothing_stored(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    stored = positions(ledger)
    with pytest.raises(NotAMemberError, match=r"decided_by\[0\]"):
        ledger.record_decision(PM, project_id, statement="s", decided_by=["ceo@else.test"])
    with pytest.raises(InvalidInputError, match="decided_by"):
        ledger.record_decision(PM, project_id, statement="s", decided_by=[])
    with pytest.raises(InvalidInputError, match="options_considered"):
        ledger.record_decision(
            PM, project_id, statement="s", decided_by=[PM], options_considered="A or B"
        )
    assert positions(ledger) == stored


def test_recording_with_the_same_idempotency_key_stores_nothing_twice(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    first = decide(ledger, project_id, idempotency_key="minutes-3/1")
    stored = positions(ledger)
    again = ledger.record_decision(
        PM, project_id, statement="Use PostgreSQL", decided_by=[PM], idempotency_key="minutes-3/1"
    )
    assert (again.id, again.position) == (first, 0)
    assert positions(ledger) == stored


def test_supersede_once_by_a_current_decision_of_the_same_project(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    old = decide(ledger, project_id)
    new = decide(ledger, project_id, "Use a managed PostgreSQL")
    newer = decide(ledger, project_id, "Use SQLite")
    done = ledger.supersede_decision(
        SPONSOR, project_id, old, by_decision_id=new, reason="Ops cost", expected_version=1
    )
    assert done.version == 2
    d = ledger.get_decision(project_id, old)
    assert (d.state, d.superseded_by) == (DecisionState.SUPERSEDED, new)
    stored = positions(ledger)
    with pytest.raises(InvalidTransitionError, match="already superseded"):
        ledger.supersede_decision(PM, project_id, old, by_decision_id=newer, reason="again")
    with pytest.raises(InvalidTransitionError, match="itself superseded"):
        ledger.supersede_decision(PM, project_id, newer, by_decision_id=old, reason="stale")
    with pytest.raises(InvalidInputError, match="itself"):
        ledger.supersede_decision(PM, project_id, new, by_decision_id=new, reason="loop")
    assert positions(ledger) == stored


def test_decisions_of_another_project_are_not_found(ledger: Ledger) -> None:
    first = project_with_members(ledger)
    second = project_with_members(ledger)
    here = decide(ledger, first)
    there = decide(ledger, second)
    with pytest.raises(DecisionNotFoundError):
        ledger.get_decision(second, here)
    with pytest.raises(DecisionNotFoundError):
        ledger.supersede_decision(PM, first, here, by_decision_id=there, reason="x")
    with pytest.raises(DecisionNotFoundError):
        ledger.supersede_decision(PM, second, here, by_decision_id=there, reason="x")
    assert ledger.get_decision(first, here).is_current


def test_a_stale_expected_version_is_refused(ledger: Ledger) -> None:
    project_id = project_with_members(ledger)
    old = decide(ledger, project_id)
    new = decide(ledger, project_id, "Other")
    with pytest.raises(VersionMismatchError):
        ledger.supersede_decision(
            PM, project_id, old, by_decision_id=new, reason="r", expected_version=2
        )
    assert ledger.get_decision(project_id, old).is_current
