"""The opening of a project names its opener as every other line names people: by the name
they gave (recorded in the same save, just after the opening), on SQLite and PostgreSQL, in a
live view and in a replay, whichever batch each event falls in."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews, replay
from projections.runner import ProjectionRunner

PM = "pat.morgan@acme.test"


def test_the_opening_line_names_the_opener(
    ledger: Ledger, runner: ProjectionRunner, live: LiveViews
) -> None:
    named = ledger.open_project(
        PM, name="Portal", client_org="Northwind", team_org="Acme", actor_name="Pat Morgan"
    ).id
    unnamed = ledger.open_project(PM, name="Intranet", client_org="Contoso", team_org="Acme").id
    for _ in range(3):  # the next opening falls across the batches of 7 differently
        ledger.open_project(PM, name="Filler", client_org="F", team_org="Acme", actor_name="Pat")
    late = ledger.open_project(
        PM, name="Late", client_org="Fabrikam", team_org="Acme", actor_name="Pat Morgan"
    ).id
    runner.catch_up()

    for project in (named, late):
        lines = [r["narrative"] for r in q.timeline(live, str(project))[0]]
        assert lines[0].startswith("Pat Morgan opened the project “")
        assert lines[1].startswith("Pat Morgan added Pat Morgan (pat.morgan@acme.test)")
        audit, _ = q.audit(live, str(project), q.AuditFilter(person=PM), None, 10)
        assert audit[0]["narrative"] == lines[0]
        assert audit[0]["actor"] == PM  # the address stays where it is data
        replayed = replay(runner, str(project), datetime.now(UTC), views=["audit"])
        assert q.timeline(replayed, str(project))[0][0]["narrative"] == lines[0]
    # Without a name, the address is all there is.
    first = q.timeline(live, str(unnamed))[0][0]["narrative"]
    assert first.startswith(f"{PM} opened the project “Intranet”")
