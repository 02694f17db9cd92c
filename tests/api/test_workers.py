"""``accord serve --workers 2`` (SQLite and PostgreSQL): two worker processes answer, they run no
projection runner and no checkpoints of their own (the parent runs one of each), and what one
worker records the views show through either (the parent's runner applied it)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from tests.api.conftest import TEAM, TM
from tests.api.test_processes import ACCORD, free_port, setup  # noqa: F401 (fixture)

MINIMAL = {"Prefer": "return=minimal"}


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {**os.environ, "ACCORD_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    env.pop("ACCORD_RUN_PROJECTIONS", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [ACCORD, "serve", "--port", str(port), "--workers", "2", "--no-access-log"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text(errors="replace")
                try:
                    if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text(errors="replace")
                time.sleep(0.2)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_workers_serve_and_one_runner_applies_their_writes(
    setup: tuple[UUID, UUID, dict[str, str]],  # noqa: F811
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = served
    project, _, tokens = setup
    workers = [
        pid
        for pid in children(process.pid)
        if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(workers) == 2
    for pid in workers:
        env = environ(pid)
        assert env["ACCORD_RUN_PROJECTIONS"] == "0"
        assert env["ACCORD_CHECKPOINT_SECONDS"] == "0"
    assert environ(process.pid).get("ACCORD_RUN_PROJECTIONS") != "0"

    auth = {"Authorization": f"Bearer {tokens[TM]}"}
    positions = []
    with httpx.Client(base_url=url, headers=auth, timeout=10) as client:
        for n in range(8):  # new connections: spread over the workers by the kernel
            answer = httpx.post(
                f"{url}/v1/projects/{project}/commitments",
                json={"promisor": TEAM, "promisee": TM, "statement": f"S{n}"},
                headers={**auth, **MINIMAL},
                timeout=10,
            )
            assert answer.status_code == 201, answer.text
            positions.append(answer.json()["position"])
        items = client.get(
            f"/v1/projects/{project}/open-items", params={"wait_for": max(positions)}
        )
        assert items.status_code == 200, items.text
        statements = {i.get("statement") or i.get("title") for i in items.json()["items"]}
        assert {f"S{n}" for n in range(8)} <= statements
        health = client.get("/health").json()
        loops = {loop["name"]: loop["state"] for loop in health["loops"]}
        assert loops["projections"] != "running"  # a worker's own runner never starts
