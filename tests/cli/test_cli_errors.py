"""Every command answers a failure in one line with one exit status from one table
(api/cli/errors.py, docs/cli.md): 2 usage, 3 not found, 4 storage unavailable, 5 refused by the
ledger, 6 cannot listen, 70 unexpected (logged with a reference); `accord doctor` by its worst
row; help in words."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli import app
from api.cli.errors import AccordGroup, ExitCode
from ledger.service.application import Ledger

runner = CliRunner()


def accord(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("error: ")
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_an_unreachable_database_is_status_4_in_one_line_at_once() -> None:
    url = f"postgresql://u:secret@127.0.0.1:{free_port()}/db"
    started = time.monotonic()
    code, _, err = accord("token", "create", "--email", "a@b.test", "--database-url", url)
    assert code == ExitCode.STORAGE_UNAVAILABLE == 4
    assert time.monotonic() - started < 5
    line = one_line_error(err)
    assert "connection refused" in line
    assert "secret" not in line
    code, _, err = accord("project", "list", "--database-url", url)
    assert code == 4
    one_line_error(err)


def test_a_missing_sqlite_folder_is_refused_until_init_create(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/folder/accord.db"
    code, _, err = accord("token", "create", "--email", "a@b.test", "--database-url", url)
    assert code == 4
    assert "does not exist" in one_line_error(err)
    assert not (tmp_path / "new").exists()
    code, _, err = accord("init", "--database-url", url)
    assert code == 4
    code, out, err = accord("init", "--create", "--database-url", url)
    assert code == 0, err
    assert "ledger ready" in out
    code, out, _ = accord("token", "create", "--email", "a@b.test", "--database-url", url)
    assert code == 0
    assert out.startswith("acd_")


def test_usage_not_found_and_refused_have_their_own_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    code, project, _ = accord(
        "project", "open", "--name", "P", "--client-org", "C", "--team-org", "T",
        "--as", "pm@team.test", "--database-url", url,
    )  # fmt: skip
    assert code == 0
    project = project.strip()
    code, _, err = accord("project", "show", "--project", "nope", "--database-url", url)
    assert code == ExitCode.USAGE == 2
    assert "not a project id" in one_line_error(err)
    code, _, err = accord("project", "show", "--project", str(uuid.uuid4()), "--database-url", url)
    assert code == ExitCode.NOT_FOUND == 3
    assert "not found" in one_line_error(err)
    code, _, err = accord(
        "member", "add", "--project", project, "--email", "x@client.test",
        "--role", "client_member", "--as", "stranger@else.test", "--database-url", url,
    )  # fmt: skip
    assert code == ExitCode.REFUSED == 5
    assert "stranger@else.test" in one_line_error(err)
    code, _, err = accord(
        "member", "add", "--project", project, "--email", "x@client.test",
        "--role", "boss", "--as", "pm@team.test", "--database-url", url,
    )  # fmt: skip
    assert code == 2
    assert "'boss' is not one of" in err
    assert "client_approver" in err
    code, _, err = accord("export", "--project", project, "--format", "xlsx")
    assert code == 2
    assert "'xlsx' is not one of 'jsonl', 'csv'" in err
    assert "Value error" not in err


@pytest.mark.parametrize("typo", ["x@y)", "x@y.com)", "pm@team.test;", "a(b)@team.test"])
def test_a_mistyped_email_is_usage_and_nothing_is_issued_or_added(
    tmp_path: Path, typo: str
) -> None:
    """Every command that takes a person checks the address with the ledger's one normaliser
    (ledger.domain.validation.normalise_email): exit status 2, the option and the value named."""
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    code, _, err = accord("token", "create", "--email", typo, "--database-url", url)
    assert code == ExitCode.USAGE == 2
    assert f"email: {typo!r} is not an email address" in one_line_error(err)
    code, out, _ = accord("token", "list", "--database-url", url)
    assert code == 0
    assert "@" not in out  # nothing was issued
    code, _, err = accord("token", "list", "--email", typo, "--database-url", url)
    assert code == 2
    assert "is not an email address" in one_line_error(err)
    code, project, err = accord(
        "project", "open", "--name", "P", "--client-org", "C", "--team-org", "T",
        "--as", typo, "--database-url", url,
    )  # fmt: skip
    assert code == 2
    assert f"actor: {typo!r} is not an email address" in one_line_error(err)
    code, project, _ = accord(
        "project", "open", "--name", "P", "--client-org", "C", "--team-org", "T",
        "--as", "pm@team.test", "--database-url", url,
    )  # fmt: skip
    assert code == 0
    project = project.strip()
    code, _, err = accord(
        "member", "add", "--project", project, "--email", typo, "--role", "client_member",
        "--as", "pm@team.test", "--database-url", url,
    )  # fmt: skip
    assert code == 2
    assert f"email: {typo!r} is not an email address" in one_line_error(err)
    code, _, err = accord(
        "token", "calendar", "--project", project, "--person", typo, "--database-url", url
    )
    assert code == 2
    assert f"person: {typo!r}" in one_line_error(err)
    for command in (
        ("search", "anything", "--person", typo),
        ("evidence", "export", "--person", typo, "--output", str(tmp_path / "b.zip")),
    ):
        code, _, err = accord(*command, "--project", project, "--database-url", url)
        assert code == 2, command
        assert f"person: {typo!r} is not an email address" in one_line_error(err), command
    assert not (tmp_path / "b.zip").exists()
    code, out, _ = accord("member", "list", "--project", project, "--database-url", url)
    assert code == 0
    assert [line for line in out.splitlines() if "@" in line] == [
        line for line in out.splitlines() if "pm@team.test" in line
    ]  # the opener alone


def test_serve_on_a_port_in_use_is_status_6_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        code, _, err = accord(
            "serve", "--port", port, "--database-url", f"sqlite:///{tmp_path / 'a.db'}"
        )
    assert code == ExitCode.CANNOT_LISTEN == 6
    assert f"cannot listen on 127.0.0.1:{port}" in one_line_error(err)


def test_an_unexpected_error_is_logged_with_a_reference_to_quote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "errors.log"
    monkeypatch.setenv("ACCORD_ERROR_LOG", str(log))
    broken = typer.Typer(cls=AccordGroup)

    @broken.command()
    def explode() -> None:
        raise RuntimeError("a bug")

    @broken.command()
    def other() -> None:
        pass

    result = runner.invoke(broken, ["explode"])
    assert result.exit_code == ExitCode.INTERNAL == 70
    line = one_line_error(result.stderr)
    assert "unexpected RuntimeError: a bug" in line
    reference = line.split("reference ")[1].split(";")[0]
    assert reference.startswith("E-")
    logged = log.read_text()
    assert reference in logged
    assert "Traceback" in logged
    assert "RuntimeError: a bug" in logged


def _all_commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = getattr(command, "commands", {})
    if not subs:
        return [path]
    found: list[tuple[str, ...]] = []
    for name, sub in subs.items():
        found += _all_commands(sub, (*path, name))
    return found


def test_help_describes_values_in_words_and_lists_choices() -> None:
    root = typer.main.get_command(app)
    commands = _all_commands(root)
    assert ("project", "open") in commands
    assert ("doctor",) in commands
    for command in [(), *commands]:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        for python_type in ("<bool>", "<str>", "<int>", "<list[", "<float>", "<path>", "<Path>"):
            assert python_type not in result.stdout, (command, python_type)
    wide = {"COLUMNS": "250"}
    out = runner.invoke(app, ["export", "--help"], env=wide).stdout
    assert "one of: jsonl, csv" in out
    out = runner.invoke(app, ["member", "add", "--help"], env=wide).stdout
    assert "team_manager, team_member, client_member" in out
    out = runner.invoke(app, ["--help"], env=wide).stdout
    text = " ".join(out.split())
    assert "4 storage unavailable" in text
    assert "3 not found" in text


def test_doctor_exit_status_follows_its_worst_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    key = str(tmp_path / "log.key")
    code, out, _ = accord("doctor", "--database-url", url, "--key-file", key)
    assert code == 0, out
    for row in ("storage", "schema", "read models", "projection lag", "signing key",
                "last checkpoint", "disk space"):  # fmt: skip
        assert row in out
    assert "SQLite 3." in out
    ledger = Ledger(url)
    ledger.open_project("pm@team.test", name="P", client_org="C", team_org="T")
    ledger.close()
    code, out, _ = accord("doctor", "--database-url", url, "--key-file", key)
    assert code == ExitCode.CHECK_FAILED == 1
    assert "warn" in out
    assert "events behind the log" in " ".join(out.split())
    assert accord("projections", "run", "--once", "--database-url", url)[0] == 0
    assert accord("checkpoint", "--database-url", url, "--key-file", key)[0] == 0
    code, out, _ = accord("doctor", "--database-url", url, "--key-file", key)
    assert code == 0, out
    assert "fingerprint" in out
    assert "warn" not in out
    code, out, _ = accord("doctor", "--database-url", f"postgresql://u@127.0.0.1:{free_port()}/d")
    assert code == 4
    assert "fail" in out
    assert "connection refused" in " ".join(out.split())
