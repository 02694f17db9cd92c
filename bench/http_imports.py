"""Email import over HTTP: one multipart upload of an mbox to ``accord serve`` beside the same
import through the library, in the same run.

    .venv/bin/python bench/http_imports.py [--messages N] [--seed S] [--rounds R]

Generates the mbox of ``bench/imports.py`` (N messages, default 5,000; a tenth with
attachments), then in each round, on fresh SQLite databases:

* ``library`` — :func:`ledger.interchange.importing.import_emails` of the file (what ``accord
import mbox``
  does);
* ``http`` — ``POST /v1/projects/{id}/imports/mbox`` of the same file to an ``accord serve``
  process on a free loopback port (no projections, no periodic checkpoints, no access log), timed
  from the first byte sent to the summary received: the upload, the multipart parse, the same
  import, the JSON summary.

Prints one JSON object: messages per second of each (median of R rounds) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The project's root instead of bench/ (whose http.py would hide the standard library's http).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import httpx  # noqa: E402

from bench.imports import PM, accord_import, bench_project, generate_mbox  # noqa: E402

ACCORD = str(Path(sys.executable).with_name("accord"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_import(database_url: str, mbox: Path, log: Path) -> tuple[float, dict[str, int]]:
    """Upload ``mbox`` to a fresh server on ``database_url``; returns (seconds, counts)."""
    from api.bootstrap import create_tables
    from api.tokens import TokenStore
    from ledger.service.application import Ledger
    from ledger.storage.sql import SqlDatabase

    ledger = Ledger(database_url)
    try:
        project_id = bench_project(ledger)
        db = SqlDatabase(ledger.storage)
        try:
            create_tables(db)
            token = TokenStore(db).create(PM).token
        finally:
            db.close()
    finally:
        ledger.close()

    port = free_port()
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_MAX_UPLOAD_BYTES": str(1 << 30),
        "ACCORD_CHECKPOINT_SECONDS": "0",
    }
    with log.open("wb") as out:
        server = subprocess.Popen(
            [ACCORD, "serve", "--port", str(port), "--no-projections", "--no-access-log"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                if server.poll() is not None:
                    raise RuntimeError(log.read_text(errors="replace"))
                try:
                    if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)
            data = mbox.read_bytes()
            start = time.perf_counter()
            response = httpx.post(
                f"{url}/v1/projects/{project_id}/imports/mbox",
                files={"file": ("bench.mbox", data, "application/mbox")},
                headers={"Authorization": f"Bearer {token}"},
                timeout=3600,
            )
            seconds = time.perf_counter() - start
            response.raise_for_status()
            summary = response.json()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return seconds, {k: summary[k] for k in ("imported", "duplicates", "rejected", "attachments")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="accord-bench-http-imports-") as tmp:
        folder = Path(tmp)
        mbox = folder / "bench.mbox"
        size = generate_mbox(mbox, args.messages, args.seed)
        rates: dict[str, list[float]] = {"library": [], "http": []}
        counts: dict[str, dict[str, int]] = {}
        for round_number in range(args.rounds):
            order = ("library", "http") if round_number % 2 == 0 else ("http", "library")
            for path in order:
                database_url = f"sqlite:///{folder / f'{path}-{round_number}.db'}"
                if path == "library":
                    seconds, counts[path] = accord_import(database_url, mbox)
                else:
                    seconds, counts[path] = http_import(database_url, mbox, folder / "serve.log")
                rates[path].append(counts[path]["imported"] / seconds)
        library = statistics.median(rates["library"])
        http = statistics.median(rates["http"])
        print(
            json.dumps(
                {
                    "messages": args.messages,
                    "mbox_bytes": size,
                    "rounds": args.rounds,
                    "library_messages_per_s": round(library),
                    "http_messages_per_s": round(http),
                    "ratio": round(http / library, 2),
                    "library_rounds": [round(r) for r in rates["library"]],
                    "http_rounds": [round(r) for r in rates["http"]],
                    "last_import": counts,
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
