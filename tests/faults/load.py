"""Clients that keep writing while the servers are hurt, as a careful integrator would: every
POST carries an Idempotency-Key, and a request that failed for the server's sake (a 503, a
connection refused or cut) is sent again with the same key — to the other node if the first is
gone. What each request finally got is kept, with when it was sent."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import httpx

from api.bootstrap import create_tables
from api.tokens import TokenStore
from ledger.service.application import Ledger
from ledger.storage.sql import SqlDatabase
from tests.api.conftest import CLIENT, MEMBERS, TEAM, TM


def prepare(database_url: str) -> tuple[UUID, dict[str, str]]:
    """A project with its people, and a token for each writer."""
    ledger = Ledger(database_url)
    db = SqlDatabase(ledger.storage)
    try:
        project = ledger.open_project(TM, name="Load", client_org="C", team_org="T").id
        for email, party, role in MEMBERS:
            ledger.add_member(TM, project, email=email, name=email, party=party, role=role)
        create_tables(db)
        store = TokenStore(db)
        return project, {email: store.create(email).token for email in (TM, TEAM)}
    finally:
        db.close()
        ledger.close()


@dataclass
class Outcome:
    node: str
    sent_at: float  # time.monotonic() of the attempt
    status: int | None  # None: no answer (the connection failed)


@dataclass
class Load:
    nodes: list[str]
    project: UUID
    tokens: dict[str, str]
    #: How long one request keeps being retried (server errors, lost connections).
    patience: float = 30.0
    stop: threading.Event = field(default_factory=threading.Event)
    #: Every answer every attempt got (status None: no answer), with when it was sent.
    attempts: list[Outcome] = field(default_factory=list)
    #: Commitments whose creation was acknowledged (201), and those also fulfilled (200).
    made: list[str] = field(default_factory=list)
    fulfilled: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    #: Final 409 answers other than "this key is still running": there must be none.
    conflicts: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)

    def start(self, writers_per_node: int = 2) -> None:
        for i in range(writers_per_node * len(self.nodes)):
            who = (TM, TEAM)[i % 2]
            first = i % len(self.nodes)
            thread = threading.Thread(target=self._writer, args=(who, first), daemon=True)
            thread.start()
            self._threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=self.patience + 10)

    def statuses(self) -> Counter[int | None]:
        with self._lock:
            return Counter(o.status for o in self.attempts)

    def _writer(self, who: str, first: int) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        base = f"/v1/projects/{self.project}/commitments"
        try:
            while not self.stop.is_set():
                made = self._send(
                    who,
                    first,
                    headers,
                    base,
                    {"promisor": who, "promisee": CLIENT, "statement": f"{who} {uuid4()}"},
                )
                if made is None or made.status_code != 201:
                    continue
                item = made.json()["id"]
                with self._lock:
                    self.made.append(item)
                done = self._send(who, first, headers, f"{base}/{item}/fulfil", {"note": "done"})
                if done is not None and done.status_code == 200:
                    with self._lock:
                        self.fulfilled.append(item)
        except BaseException as e:  # reported by the test
            self.errors.append(e)

    def _send(
        self, who: str, first: int, headers: dict[str, str], path: str, body: dict[str, str]
    ) -> httpx.Response | None:
        """POST until a final answer (anything but a server error or a lost connection, and
        409 "still running" of our own key), with one Idempotency-Key."""
        key = {"Idempotency-Key": str(uuid4())}
        deadline = time.monotonic() + self.patience
        node = first
        while time.monotonic() < deadline:
            url = self.nodes[node % len(self.nodes)]
            if url in self.dead:
                node += 1
                continue
            sent = time.monotonic()
            try:
                response = httpx.post(url + path, json=body, headers={**headers, **key}, timeout=30)
            except httpx.HTTPError:
                with self._lock:
                    self.attempts.append(Outcome(url, sent, None))
                if self.stop.is_set():
                    return None  # the test is over (its node may be dead for good)
                node += 1  # try the other node
                time.sleep(0.1)
                continue
            with self._lock:
                self.attempts.append(Outcome(url, sent, response.status_code))
            in_use = response.status_code == 409 and response.json().get("type", "").endswith(
                "/idempotency-key-in-use"
            )
            if response.status_code >= 500 or in_use:
                time.sleep(0.2)
                continue
            if response.status_code == 409:
                with self._lock:
                    self.conflicts.append(f"{path}: {response.text}")
            return response
        return None
