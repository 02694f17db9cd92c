"""HTTP throughput and latency of the API, beside a trivial endpoint of the same app.

    .venv/bin/python bench/http.py [--clients 16] [--seconds 10] [--database-url URL]

Starts ``accord serve --no-projections --no-access-log`` (one uvicorn worker) on a free loopback
port, on a fresh SQLite file by default, with a project, its people, tokens and
500 commitments. Then N client threads (each its own keep-alive connection) drive it for a
bounded time per phase, one phase after the other:

* ``trivial`` — ``GET /health/live``: routing, middleware and JSON, no storage (the ceiling of
  the framework and of this load generator on this machine);
* ``commands`` — alternately ``POST .../commitments`` (make one) and ``POST .../acknowledge``
  (a lifecycle step on one made before): authentication, membership, validation, the domain,
  one atomic save, the item read back;
* ``commands+key`` — the same, each with a fresh ``Idempotency-Key`` (claim and store);
* ``queries`` — alternately ``GET .../commitments/{id}`` (a random one) and
  ``GET /v1/events?after=<random>&limit=50`` (a page of the feed).

Prints one JSON object: per phase the requests per second, p50 and p99 latency (ms), the error
count, and the ratio of each rate to the trivial one. Targets (issue 4, SQLite, 16 clients):
commands >= 0.3 of trivial, query p99 < 50 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py (as the issue asks): its folder must not shadow the standard
# library's ``http`` package, which httpx imports.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402
from uuid import UUID, uuid4  # noqa: E402

import httpx  # noqa: E402

from api.bootstrap import create_tables  # noqa: E402
from api.tokens import TokenStore  # noqa: E402
from ledger.service.application import Ledger  # noqa: E402
from ledger.storage.sql import SqlDatabase  # noqa: E402

PM = "pm@acme.test"
DEV = "dev@acme.test"
CLIENT = "client@client.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare(database_url: str, commitments: int) -> tuple[UUID, list[UUID], dict[str, str]]:
    ledger = Ledger(database_url)
    db = SqlDatabase(ledger.storage)
    try:
        project = ledger.open_project(PM, name="Bench", client_org="C", team_org="T").id
        ledger.add_member(PM, project, email=DEV, name="Dev", party="team", role="team_member")
        ledger.add_member(
            PM, project, email=CLIENT, name="Client", party="client", role="client_member"
        )
        ids = [
            ledger.make_commitment(
                PM, project, promisor=DEV, promisee=CLIENT, statement=f"item {i}"
            ).id
            for i in range(commitments)
        ]
        create_tables(db)
        store = TokenStore(db)
        tokens = {email: store.create(email).token for email in (PM, DEV, CLIENT)}
        return project, ids, tokens
    finally:
        db.close()
        ledger.close()


class Connection:
    """A minimal HTTP/1.1 keep-alive client on one socket: the load generator must cost far
    less than the server it measures (httpx costs about as much CPU per request as the trivial
    endpoint itself, on the same two cores)."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = dict(headers)
        self.buffer = b""

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        lines = "".join(f"{k}: {v}\r\n" for k, v in {**self.headers, **(headers or {})}.items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + payload)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        header, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._read()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, content

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class Phase:
    def __init__(self, name: str) -> None:
        self.name = name
        self.latencies: list[float] = []
        self.errors = 0
        self.lock = threading.Lock()

    def record(self, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1


def run_phase(
    name: str,
    port: int,
    clients: int,
    seconds: float,
    request: Callable[[Connection, random.Random, int], bool],
    headers: dict[str, str],
) -> tuple[Phase, float]:
    phase = Phase(name)
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def worker(n: int) -> None:
        rng = random.Random(n)
        http = Connection(port, headers)
        try:
            http.request("GET", "/health/live")  # connected before the clock starts
            start.wait()
            i = 0
            while time.perf_counter() < stop_at[0]:
                t0 = time.perf_counter()
                ok = request(http, rng, n * 1_000_000 + i)
                phase.record(time.perf_counter() - t0, ok)
                i += 1
        finally:
            http.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    stop_at.append(time.perf_counter() + seconds + 0.05)
    began = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return phase, time.perf_counter() - began


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server process and its children (``--workers``), from
    ``/proc``: what the requests cost the server, whatever else the machine was doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # fields[0] is the state; ppid is fields[1], utime fields[11], stime fields[12]
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def summary(phase: Phase, elapsed: float) -> dict[str, Any]:
    ordered = sorted(phase.latencies)
    count = len(ordered)
    return {
        "requests": count,
        "per_second": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2) if ordered else None,
        "p99_ms": round(ordered[min(count - 1, int(count * 0.99))] * 1000, 2) if ordered else None,
        "errors": phase.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--commitments", type=int, default=500)
    parser.add_argument(
        "--database-url",
        default=None,
        help="an existing database (postgresql://... or sqlite:///...)",
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: start a throw-away PostgreSQL 15 server the way the tests do",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="accord serve --workers (PostgreSQL for > 1)"
    )
    parser.add_argument(
        "--loop", default="auto", help="accord serve --loop (auto: uvloop when installed)"
    )
    parser.add_argument(
        "--http", default="auto", help="accord serve --http (auto: httptools when installed)"
    )
    parser.add_argument(
        "--minimal", action="store_true", help="send Prefer: return=minimal with the commands"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if args.database_url is None and args.backend == "postgres":
            from tests.pgserver import running_postgres

            server_pg = stack.enter_context(running_postgres())
            database_url = server_pg.url(server_pg.create_database())
        project, ids, tokens = prepare(database_url, args.commitments)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        accord = str(Path(sys.executable).with_name("accord"))
        server = subprocess.Popen(
            [
                *(accord, "serve", "--port", str(port), "--no-projections", "--no-access-log"),
                *("--workers", str(args.workers)),
                *("--loop", args.loop, "--http", args.http),
            ],
            env={**os.environ, "ACCORD_DATABASE_URL": database_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
            results = measure(args, port, project, ids, tokens, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)

    trivial = results["trivial"]["per_second"]
    for figures in results.values():
        figures["ratio_to_trivial"] = round(figures["per_second"] / trivial, 3)
    report = {
        "command": " ".join(["bench/http.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "backend": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "workers": args.workers,
        "prefer_return_minimal": args.minimal,
        "loop": args.loop,
        "http": args.http,
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "phases": results,
        "targets": {
            "commands_ratio_min": 0.3,
            "commands_ratio": results["commands"]["ratio_to_trivial"],
            "query_p99_ms_max": 50,
            "query_p99_ms": results["queries"]["p99_ms"],
        },
    }
    print(json.dumps(report, indent=2))


def measure(
    args: argparse.Namespace,
    port: int,
    project: UUID,
    ids: list[UUID],
    tokens: dict[str, str],
    server_pid: int,
) -> dict[str, dict[str, Any]]:
    pm = {"Authorization": f"Bearer {tokens[PM]}"}
    dev = {"Authorization": f"Bearer {tokens[DEV]}"}
    made: list[str] = []
    made_lock = threading.Lock()
    commitments = f"/v1/projects/{project}/commitments"
    body = {"promisor": DEV, "promisee": CLIENT, "statement": "Benchmark promise"}

    def command(keyed: bool) -> Callable[[Connection, random.Random, int], bool]:
        def step(http: Connection, rng: random.Random, i: int) -> bool:
            extra = {"Idempotency-Key": str(uuid4())} if keyed else {}
            if args.minimal:
                extra["Prefer"] = "return=minimal"
            if i % 2 == 0:
                status, content = http.request("POST", commitments, body, extra)
                if status == 201:
                    with made_lock:
                        made.append(json.loads(content)["id"])
                return status == 201
            with made_lock:
                target = made.pop() if made else None
            if target is None:
                return True
            # The promisor acknowledges, in person: the step runs as the developer.
            status, _ = http.request(
                "POST", f"{commitments}/{target}/acknowledge", None, {**extra, **dev}
            )
            return status == 200

        return step

    def trivial(http: Connection, rng: random.Random, i: int) -> bool:
        return http.request("GET", "/health/live")[0] == 200

    top = len(ids) + 4

    def query(http: Connection, rng: random.Random, i: int) -> bool:
        if i % 2 == 0:
            status, _ = http.request("GET", f"{commitments}/{rng.choice(ids)}")
        else:
            status, _ = http.request("GET", f"/v1/events?after={rng.randrange(top)}&limit=50")
        return status == 200

    # Warm up every route once (FastAPI builds a route's effective context on its first request,
    # ~5 ms each), so that no phase pays a one-time cost.
    warm = Connection(port, pm)
    try:
        rng = random.Random(0)
        for i in range(4):
            trivial(warm, rng, i)
            command(False)(warm, rng, i)
            command(True)(warm, rng, i)
            query(warm, rng, i)
    finally:
        warm.close()
    results = {}
    for name, request in (
        ("trivial", trivial),
        ("commands", command(False)),
        ("commands+key", command(True)),
        ("queries", query),
    ):
        cpu_before = server_cpu_seconds(server_pid)
        phase, elapsed = run_phase(name, port, args.clients, args.seconds, request, pm)
        cpu = server_cpu_seconds(server_pid) - cpu_before
        results[name] = summary(phase, elapsed)
        if phase.latencies:
            results[name]["server_cpu_ms_per_request"] = round(cpu * 1000 / len(phase.latencies), 3)
        print(f"{name}: {results[name]}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
