"""``accord import ...``, ``accord export`` and ``accord calendar`` end to end through the
command line (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from uuid import UUID

from icalendar import Calendar
from typer.testing import CliRunner

from api.cli import app
from ledger.interchange.exports import read_csv
from ledger.service.application import Ledger

DATA = Path(__file__).resolve().parent.parent / "data"
PM = "pm@team.test"
runner = CliRunner()


def project(database_url: str) -> UUID:
    ledger = Ledger(database_url)
    try:
        project_id = ledger.open_project(PM, name="P", client_org="C", team_org="T").id
        ledger.add_member(
            PM, project_id, email="dev@team.test", name="D", party="team", role="team_member"
        )
        ledger.add_member(
            PM,
            project_id,
            email="sponsor@client.test",
            name="S",
            party="client",
            role="client_approver",
        )
        return project_id
    finally:
        ledger.close()


def accord(database_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", database_url])
    return result.exit_code, result.stdout, result.stderr


def test_import_a_reply_then_its_parent(database_url: str) -> None:
    project_id = str(project(database_url))
    eml = DATA / "email" / "eml"
    for name, relinked in (("12a-reply-before-parent.eml", 0), ("12b-parent-after-reply.eml", 1)):
        code, out, _ = accord(
            database_url, "import", "eml", str(eml / name), "--project", project_id, "--as", PM
        )
        assert code == 0
        assert re.search(rf"earlier replies linked to this import\W+{relinked}\b", out)


def test_import_eml_then_again(database_url: str) -> None:
    project_id = str(project(database_url))
    args = ("import", "eml", str(DATA / "email" / "eml"), "--project", project_id, "--as", PM)
    code, out, _ = accord(database_url, *args)
    assert code == 1  # finished, but four messages were rejected (listed)
    assert re.search(r"imported\W+15\b", out)
    assert "10-no-date.eml: no Date header" in out
    code, out, _ = accord(database_url, *args)
    assert code == 1
    assert re.search(r"duplicates \(already in the ledger\)\W+16\b", out)
    assert re.search(r"imported\W+0\b", out)


def test_import_mbox_and_export(database_url: str, tmp_path: Path) -> None:
    project_id = str(project(database_url))
    mbox = str(DATA / "email" / "project.mbox")
    code, out, _ = accord(database_url, "import", "mbox", mbox, "--project", project_id, "--as", PM)
    assert code == 0, out
    assert "dated by the mbox line" in out

    target = tmp_path / "events.csv"
    code, _, err = accord(
        database_url, "export", "--project", project_id, "--format", "csv", "-o", str(target)
    )
    assert code == 0
    rows = read_csv(target.read_bytes())
    assert sum(r["event_type"] == "Interaction.Recorded" for r in rows) == 4
    assert "row(s) written" in err

    code, out, _ = accord(
        database_url, "export", "--project", project_id, "--format", "jsonl", "--view", "events"
    )
    assert code == 0
    assert len([json.loads(line) for line in out.splitlines()]) == len(rows)


def test_import_minutes_with_errors_naming_lines(database_url: str, tmp_path: Path) -> None:
    project_id = str(project(database_url))
    minutes = DATA / "minutes" / "weekly-review.md"
    args = ("import", "minutes", str(minutes), "--project", project_id, "--as", PM)
    code, out, _ = accord(database_url, *args)
    assert code == 0, out
    assert "3 commitment(s), 1 decision(s)" in out
    code, out, _ = accord(database_url, *args)
    assert (code, "already imported" in out) == (0, True)

    broken = DATA / "minutes" / "broken.md"
    code, _, err = accord(
        database_url, "import", "minutes", str(broken), "--project", project_id, "--as", PM
    )
    assert code == 1
    assert f"{broken}:3: " in err
    assert f"{broken}:19: unknown section 'Risks'" in err

    code, out, _ = accord(
        database_url, "export", "--project", project_id, "--format", "csv", "--view", "commitments"
    )
    assert code == 0
    assert out.count("Deliver the revised wireframes") == 1

    code, out, _ = accord(database_url, "calendar", "--project", project_id, "--person", PM)
    assert code == 0
    assert len(Calendar.from_ical(out).walk("VEVENT")) == 2  # due to PM, and PM's own


def test_errors_exit_with_the_documented_status_and_a_message(database_url: str) -> None:
    """docs/cli.md: 2 usage, 3 not found, 5 refused by the ledger."""
    project_id = str(project(database_url))
    eml = str(DATA / "email" / "eml")
    code, _, err = accord(database_url, "import", "eml", eml, "--project", "x", "--as", PM)
    assert code == 2
    assert "not a project id" in err
    code, _, err = accord(
        database_url, "import", "eml", eml, "--project", project_id, "--as", "who@else.test"
    )
    assert code == 5
    assert "not a member" in err
    code, _, err = accord(
        database_url, "import", "mbox", "missing.mbox", "--project", project_id, "--as", PM
    )
    assert code == 3
    assert "no such file" in err
    code, _, err = accord(
        database_url, "export", "--project", project_id, "--format", "csv", "--view", "x"
    )
    assert code == 2
    assert "--view" in err


def test_calendar_tokens_from_the_command_line(database_url: str) -> None:
    from urllib.parse import urlsplit

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    project_id = str(project(database_url))
    code, out, err = accord(
        database_url,
        "token",
        "calendar",
        "--project",
        project_id,
        "--person",
        "Sponsor@Client.test",
    )
    assert code == 0, err
    url = out.strip()
    assert url.startswith(f"http://127.0.0.1:8000/v1/projects/{project_id}/calendar.ics?token=")
    token_id = re.search(r"calendar token (cal_\w+) for sponsor@client.test", err)
    assert token_id is not None
    parts = urlsplit(url)
    settings = Settings(database_url=database_url, run_projections=False, checkpoint_seconds=0)
    with TestClient(create_app(settings)) as client:
        feed = client.get(f"{parts.path}?{parts.query}")
        assert feed.status_code == 200
        assert Calendar.from_ical(feed.content).get("x-wr-calname") == "P (Accord)"
        code, out, _ = accord(database_url, "token", "calendar-list", "--project", project_id)
        assert code == 0
        assert token_id.group(1) in out
        code, out, _ = accord(
            database_url, "token", "calendar-revoke", token_id.group(1), "--project", project_id
        )
        assert code == 0
        assert client.get(f"{parts.path}?{parts.query}").status_code == 401
    code, _, err = accord(
        database_url, "token", "calendar", "--project", project_id, "--person", "who@else.test"
    )
    assert code == 5  # refused by the ledger: not a member
    assert "who@else.test" in err
