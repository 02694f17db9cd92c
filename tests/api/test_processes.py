"""Two ``accord serve`` processes on loopback ports against one database, written to at once:
no event is lost or stored twice, races end in 409 and never in a lost write, a retry sent to
the other process gets the first answer, and both processes read the same feed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest

from api.bootstrap import create_tables
from api.tokens import TokenStore
from ledger.service.application import Ledger
from ledger.storage.sql import SqlDatabase
from tests.api.conftest import CLIENT, MEMBERS, TEAM, TM

ACCORD = str(Path(sys.executable).with_name("accord"))
THREADS_PER_SERVER = 3
ROUNDS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    ports = [free_port(), free_port()]
    env = {**os.environ, "ACCORD_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    processes = []
    logs = []
    try:
        for port in ports:
            log = (tmp_path / f"serve-{port}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [ACCORD, "serve", "--port", str(port), "--no-projections"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 30
        for url, process, log in zip(urls, processes, logs, strict=True):
            while True:
                assert process.poll() is None, Path(log.name).read_text(errors="replace")
                try:
                    if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


@pytest.fixture
def setup(database_url: str) -> Iterator[tuple[UUID, UUID, dict[str, str]]]:
    """A project with its people, an issue everyone reports progress on, and tokens."""
    ledger = Ledger(database_url)
    db = SqlDatabase(ledger.storage)
    try:
        project = ledger.open_project(TM, name="P", client_org="C", team_org="T").id
        for email, party, role in MEMBERS:
            ledger.add_member(TM, project, email=email, name=email, party=party, role=role)
        issue = ledger.raise_issue(CLIENT, project, kind="problem", title="T", description="D").id
        create_tables(db)
        store = TokenStore(db)
        tokens = {email: store.create(email).token for email in (TM, TEAM, CLIENT)}
        yield project, issue, tokens
    finally:
        db.close()
        ledger.close()


def test_two_servers_write_concurrently_without_losing_or_duplicating(
    servers: list[str], setup: tuple[UUID, UUID, dict[str, str]], database_url: str
) -> None:
    project, issue, tokens = setup
    outcomes: Counter[tuple[str, int]] = Counter()
    made: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client_loop(base: str, who: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                for i in range(ROUNDS):
                    created = http.post(
                        f"/v1/projects/{project}/commitments",
                        json={"promisor": TEAM, "promisee": CLIENT, "statement": f"{who} {i}"},
                        headers={"Idempotency-Key": str(uuid4())},
                    )
                    progress = http.post(
                        f"/v1/projects/{project}/issues/{issue}/progress",
                        json={"note": f"{base} {who} {i}"},
                    )
                    with lock:
                        outcomes["create", created.status_code] += 1
                        outcomes["progress", progress.status_code] += 1
                        if created.status_code == 201:
                            made.append(created.json()["id"])
        except BaseException as e:  # reported below, with the outcomes so far
            errors.append(e)

    threads = [
        threading.Thread(target=client_loop, args=(base, who))
        for base in servers
        for who in (TM, TEAM, CLIENT)[:THREADS_PER_SERVER]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    total = len(threads) * ROUNDS
    assert outcomes["create", 201] == total  # creations never race: each has its own item
    assert outcomes["progress", 200] + outcomes["progress", 409] == total
    assert outcomes["progress", 200] >= 1
    print(dict(outcomes))  # shown with -s: how many races were lost (409)

    ledger = Ledger(database_url)
    try:
        # Every 201 is stored once; every 200 is exactly one stored event; the 409s stored none.
        assert len(set(made)) == total
        for commitment in made:
            assert [type(e).__name__ for e in ledger.events.get(UUID(commitment))] == ["Made"]
        reported = [e for e in ledger.events.get(issue) if type(e).__name__ == "ProgressReported"]
        assert len(reported) == outcomes["progress", 200]
        versions = [e.originator_version for e in ledger.events.get(issue)]
        assert versions == list(range(1, len(versions) + 1))
        stored = len(ledger.recorder.select_notifications(1, 100_000))
    finally:
        ledger.close()

    # Both processes serve the same feed, every event once, in position order.
    feeds = []
    for base in servers:
        positions: list[int] = []
        after = 0
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[TM]}"}) as h:
            while True:
                page = h.get("/v1/events", params={"after": after, "limit": 1000}).json()
                positions += [e["position"] for e in page["events"]]
                after = page["next_after"]
                if page["at_end"]:
                    break
        feeds.append(positions)
    assert feeds[0] == feeds[1]
    assert feeds[0] == sorted(set(feeds[0]))
    assert len(feeds[0]) == stored


def test_a_retry_sent_to_the_other_server_gets_the_first_answer(
    servers: list[str], setup: tuple[UUID, UUID, dict[str, str]], database_url: str
) -> None:
    project, _, tokens = setup
    headers = {"Authorization": f"Bearer {tokens[TM]}", "Idempotency-Key": "once"}
    body = {"promisor": TEAM, "promisee": CLIENT, "statement": "Once"}
    first = httpx.post(
        f"{servers[0]}/v1/projects/{project}/commitments", json=body, headers=headers
    )
    again = httpx.post(
        f"{servers[1]}/v1/projects/{project}/commitments", json=body, headers=headers
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    listed = httpx.get(f"{servers[1]}/v1/projects/{project}/commitments", headers=headers).json()[
        "items"
    ]
    assert [c["statement"] for c in listed] == ["Once"]


def test_calendar_tokens_stay_out_of_the_access_log(servers: list[str], tmp_path: Path) -> None:
    """A calendar URL carries its key: the server's access log must not keep it."""
    secret = "acal_" + uuid4().hex
    response = httpx.get(f"{servers[0]}/v1/projects/{uuid4()}/calendar.ics?token={secret}")
    assert response.status_code == 401
    log = tmp_path / f"serve-{servers[0].rsplit(':', 1)[1]}.log"
    deadline = time.monotonic() + 10
    while "calendar.ics" not in (text := log.read_text(errors="replace")):
        assert time.monotonic() < deadline, text
        time.sleep(0.05)
    assert secret not in text
    assert "calendar.ics?token=[redacted]" in text
