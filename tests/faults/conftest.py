"""Faults on real servers: a PostgreSQL of the tests' own that they restart, stop and start;
``accord serve`` processes they kill. The whole folder runs in well under two minutes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.pgserver import PostgresServer, running_postgres

ACCORD = str(Path(sys.executable).with_name("accord"))


@pytest.fixture(scope="module")
def restartable_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this module alone (restarting the session's would cut the
    other tests' connections)."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def pg_url(restartable_postgres: PostgresServer) -> Iterator[str]:
    dbname = restartable_postgres.create_database()
    try:
        yield restartable_postgres.url(dbname)
    finally:
        restartable_postgres.drop_database(dbname)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """One ``accord serve`` process on a loopback port."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [ACCORD, "serve", "--port", str(self.port), *args],
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"the server did not start:\n{self.log()}"
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    """``serve(env, *args)`` starts an ``accord serve`` (stopped at the end of the test)."""
    started: list[Server] = []

    def start(env: dict[str, str], *args: str) -> Server:
        server = Server(env, tmp_path / f"serve-{len(started)}.log", *args)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()
