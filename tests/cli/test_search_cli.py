"""``accord search`` end to end (SQLite and PostgreSQL): a table of hits, clear errors."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from ledger.service.application import Ledger

PM = "pm@team.test"
runner = CliRunner()


def test_search_prints_a_table_and_explains_bad_queries(database_url: str) -> None:
    ledger = Ledger(database_url)
    try:
        project = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
        ledger.add_member(
            PM, project, email="sue@client.test", name="Sue", party="client", role="client_member"
        )
        ledger.record_interaction(
            PM,
            project,
            channel="phone",
            subject="Call with Sue",
            summary="The staging server is down; 单点登录 blocked.",
            from_address=PM,
            to=["sue@client.test"],
        )
    finally:
        ledger.close()
    base = ["search", "--project", str(project), "--database-url", database_url]
    found = runner.invoke(app, [*base[:1], "单点登录", *base[1:]])
    assert found.exit_code == 0, found.output
    assert "Call" in found.output  # the title (the table wraps to the terminal)
    assert "Interaction" in found.output
    nothing = runner.invoke(app, [*base[:1], "zebra", *base[1:]])
    assert nothing.exit_code == 0
    assert "No match." in nothing.output
    bad = runner.invoke(app, [*base[:1], "NOT staging", *base[1:]])
    assert bad.exit_code == 2
    assert "NOT needs something to exclude from" in bad.output
