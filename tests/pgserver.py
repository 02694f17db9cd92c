"""A throw-away PostgreSQL 15 server for the tests: a temporary cluster started as the
``postgres`` user (PostgreSQL refuses to run as root) on a free loopback port, stopped at exit.

It never skips: when the server cannot start, the tests that need it fail and say why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg


class PostgresUnavailableError(RuntimeError):
    pass


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    #: Where the cluster lives and its binaries (for the fault tests, which restart it).
    data: Path | None = None
    bindir: Path | None = None
    options: str = ""

    def restart(self, mode: str = "fast") -> None:
        """``pg_ctl restart -m <mode>``: every connection is cut, the server is back when this
        returns."""
        assert self.data is not None
        assert self.bindir is not None
        _run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                mode,
                "-l",  # else the server keeps our output pipe open
                str(self.data.parent / "server.log"),
                "-w",
                "restart",
            ],
            "restart",
        )

    def stop(self, mode: str = "fast") -> None:
        assert self.data is not None
        assert self.bindir is not None
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], "stop")

    def start(self) -> None:
        assert self.data is not None
        assert self.bindir is not None
        _run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                self.options,
                "-l",
                str(self.data.parent / "server.log"),
                "-w",
                "start",
            ],
            "start",
        )

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def admin_conninfo(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname=postgres"

    def create_database(self) -> str:
        name = f"accord_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    candidates = []
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgresUnavailableError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str], what: str) -> None:
    proc = subprocess.run(_as_postgres(args), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PostgresUnavailableError(
            f"{what} failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}"
        )


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = _bindir()
    workdir = Path(tempfile.mkdtemp(prefix="accord-pg-"))
    data = workdir / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(workdir, "postgres", "postgres")
        workdir.chmod(0o700)
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            "initdb",
        )
        port = _free_port()
        options = (
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(workdir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            "pg_ctl start",
        )
        try:
            yield PostgresServer(
                host="127.0.0.1",
                port=port,
                user="postgres",
                data=data,
                bindir=bindir,
                options=options,
            )
        finally:
            _run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], "pg_ctl stop"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
