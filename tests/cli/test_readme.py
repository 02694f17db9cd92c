"""The README's command-line block runs as written, top to bottom, on a new database: the same
lines a newcomer copies, read from README.md and run in order in a fresh working folder (the
default ``./accord-data/accord.db``). Then the token it printed sees the project it opened,
over HTTP.

The block is plain ``sh`` of three forms only — ``.venv/bin/accord ARGS``,
``NAME=$(.venv/bin/accord ARGS)`` and ``"$NAME"`` / ``"$(.venv/bin/accord ARGS)"`` inside
arguments — so it is interpreted here, in this process (one ``accord`` process per line would
spend most of the test importing Python); a line of any other form fails the test.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ACCORD = ".venv/bin/accord"


def readme_commands() -> list[str]:
    """The lines of the first ``sh`` block of the README's "The command line" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The command line") :]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None, "README: no sh block under 'The command line'"
    return [line for line in match.group(1).splitlines() if line.strip()]


class Shell:
    """Just enough of ``sh`` for the README block (see the module docstring)."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.runner = CliRunner()
        self.transcript: list[str] = []

    def run_line(self, line: str) -> str:
        assignment = re.fullmatch(r"(\w+)=\$\(([^()]*)\)\s*(#.*)?", line.strip())
        if assignment:
            value = self.accord(assignment.group(2)).strip()
            self.variables[assignment.group(1)] = value
            return value
        return self.accord(line)

    def accord(self, command: str) -> str:
        # "$(accord ...)" inside an argument: run it first, substitute its output.
        command = re.sub(
            r"\"\$\(([^()]*)\)\"", lambda m: shlex.quote(self.accord(m.group(1)).strip()), command
        )
        command = re.sub(
            r"\"?\$(\w+)\"?", lambda m: shlex.quote(self.variables[m.group(1)]), command
        )
        argv = shlex.split(command, comments=True)
        assert argv[0] == ACCORD, f"not an accord command: {command}"
        result = self.runner.invoke(app, argv[1:])
        self.transcript.append(f"$ {command}\n{result.stdout}{result.stderr}")
        assert result.exit_code == 0, (
            f"README line failed (exit {result.exit_code}): {command}\n"
            f"{result.stdout}\n{result.stderr}\n{result.exception!r}"
        )
        return result.stdout


def test_the_readme_block_names_every_command_it_promises() -> None:
    block = "\n".join(readme_commands()).replace(f"{ACCORD} ", "accord ")
    for command in (
        "accord init",
        "accord project open",
        "accord project list",
        "accord project show",
        "accord member add",
        "accord member remove",
        "accord member list",
        "accord token create",
        "accord import mbox",
        "accord doctor",
    ):
        assert command in block, command


def test_the_readme_block_runs_line_by_line_on_a_new_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh clone's working folder: docs/ is there (the example mailbox), no database yet.
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    monkeypatch.chdir(tmp_path)
    for name in ("ACCORD_DATABASE_URL", "ACCORD_KEY_FILE", "ACCORD_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    shell = Shell()
    outputs = [shell.run_line(line) for line in readme_commands()]

    assert (tmp_path / "accord-data" / "accord.db").is_file()
    assert (tmp_path / "dispute.zip").is_file()
    assert any("VERIFIED" in out for out in outputs)
    project, token = shell.variables["PROJECT"], shell.variables["TOKEN"]
    assert "Website relaunch" in "\n".join(shell.transcript)

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'accord-data' / 'accord.db'}",
        run_projections=False,
        checkpoint_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        listed = client.get("/v1/projects", headers=headers)
        assert listed.status_code == 200, listed.text
        assert project in [p["id"] for p in listed.json()["items"]]
