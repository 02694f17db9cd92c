"""``accord projections status``: each view's state, the runners' heartbeats and last errors;
exit 1 when a view is stalled (behind, no runner) — something to alert on."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from ledger.service.application import Ledger

runner = CliRunner()


def test_status_says_stalled_until_a_runner_catches_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    ledger = Ledger(url)
    ledger.open_project("pm@acme.test", name="W", client_org="C", team_org="A")
    ledger.close()
    stalled = runner.invoke(app, ["projections", "status", "--database-url", url])
    assert stalled.exit_code == 1, stalled.output
    assert "stalled" in stalled.output
    assert "No projection runner has run" in stalled.output
    ran = runner.invoke(app, ["projections", "run", "--once", "--database-url", url])
    assert ran.exit_code == 0, ran.output
    current = runner.invoke(app, ["projections", "status", "--database-url", url])
    assert current.exit_code == 0, current.output
    assert "current" in current.output
    assert "stalled" not in current.output
