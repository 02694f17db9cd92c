"""Decision lifecycle: recording, and superseding once by another current decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.domain.decision import Decision, DecisionState
from ledger.domain.envelope import Act
from ledger.domain.errors import InvalidInputError, InvalidTransitionError
from ledger.domain.values import Source, SourceKind

PM = "pm@acme.test"
CLIENT = "sponsor@client.test"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PROJECT = uuid4()


def act(who: str = PM, *, for_: str | None = None) -> Act:
    return Act(who, occurred_at=NOW, attributed_to=for_)


def recorded(project_id: UUID = PROJECT, **overrides: Any) -> Decision:
    fields: dict[str, Any] = {
        "statement": "Use PostgreSQL in production",
        "decided_by": (PM, CLIENT),
        "options_considered": ("PostgreSQL", "MySQL"),
        "rationale": "The team knows it",
        "source": None,
    }
    fields.update(overrides)
    return Decision.record(act(), id=uuid4(), project_id=project_id, **fields)


def test_a_recorded_decision_is_current_with_its_terms() -> None:
    source = Source(kind=SourceKind.MEETING, id=uuid4())
    d = recorded(source=source)
    assert d.state is DecisionState.CURRENT
    assert d.is_current
    assert d.decided_by == (PM, CLIENT)
    assert d.options_considered == ("PostgreSQL", "MySQL")
    assert d.source == source
    assert d.superseded_by is None
    (event,) = d.collect_events()
    assert isinstance(event, Decision.Recorded)
    assert (event.actor, event.project_id, event.occurred_at) == (PM, PROJECT, NOW)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"statement": " "}, "statement"),
        ({"decided_by": ()}, "decided_by"),
        ({"decided_by": (PM, PM)}, "decided_by"),
        ({"options_considered": ("A", "A")}, "options_considered"),
        ({"options_considered": ("A", "")}, r"options_considered\[1\]"),
    ],
)
def test_malformed_decisions_are_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        recorded(**fields)


def test_options_and_rationale_are_optional() -> None:
    d = recorded(options_considered=(), rationale="")
    assert (d.options_considered, d.rationale) == ((), "")


def test_a_decision_is_superseded_once_by_another_current_one() -> None:
    old, new, newer = recorded(), recorded(), recorded()
    old.supersede(act(CLIENT), by=new, reason="Managed service chosen")
    assert old.state is DecisionState.SUPERSEDED
    assert old.superseded_by == new.id
    event = old.collect_events()[-1]
    assert isinstance(event, Decision.Superseded)
    assert (event.by_decision_id, event.reason) == (new.id, "Managed service chosen")
    with pytest.raises(InvalidTransitionError, match="already superseded"):
        old.supersede(act(), by=newer, reason="again")


def test_a_decision_does_not_supersede_itself() -> None:
    d = recorded()
    with pytest.raises(InvalidInputError, match="itself"):
        d.supersede(act(), by=d, reason="x")


def test_the_superseding_decision_must_be_of_the_same_project() -> None:
    with pytest.raises(InvalidInputError, match="another project"):
        recorded().supersede(act(), by=recorded(uuid4()), reason="x")


def test_a_superseded_decision_cannot_supersede_another_so_there_are_no_loops() -> None:
    a, b, c = recorded(), recorded(), recorded()
    a.supersede(act(), by=b, reason="b replaces a")
    with pytest.raises(InvalidTransitionError, match="itself superseded"):
        b.supersede(act(), by=a, reason="loop")
    with pytest.raises(InvalidTransitionError, match="itself superseded"):
        c.supersede(act(), by=a, reason="stale")


def test_superseding_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        recorded().supersede(act(), by=recorded(), reason="")
