"""Server time of the web app's pages beside the JSON routes answering the same questions.

    .venv/bin/python bench/web.py [--events 1000000] [--projects 1000] [--big-project 10000]
                                  [--requests 200] [--seed 7] [--database-url URL]

Generates the ledger of bench/projections.py (same generator, same seed), builds the views, then
asks, in-process through the ASGI app (no network, so the time is the server's), for random
projects and for the big one, alternating page and JSON:

* the project home ``/projects/{id}`` beside ``/v1/projects/{id}/open-items`` +
  ``/metrics`` + ``/audit/commitments`` (the three queries the page shows);
* the timeline ``/projects/{id}/timeline`` beside ``/v1/projects/{id}/audit`` (first page);
* replay ``/projects/{id}/replay?at=...`` beside ``/expectations/baseline?as_of=...&basis=occurred``
  + ``/open-items?as_of=...&basis=occurred``.

Prints JSON: p50/p99 ms of each page and of its JSON twin(s) summed per request, their ratio,
and the page weight (HTML + the stylesheet + the script, bytes). Targets (issue 14): p99 < 100 ms a
page, within 2x of the JSON, page weight < 200 KB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
# bench/ itself must not be on the path: bench/http.py would shadow the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from ledger.service.application import Ledger  # noqa: E402


def _generator() -> Any:
    """bench/projections.py, loaded by path (its name is the projections package's)."""
    spec = importlib.util.spec_from_file_location(
        "bench_projections", ROOT / "bench/projections.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Web pages beside their JSON routes")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--big-project", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    bench = _generator()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='accord-bench-web-')}/w.db"
    ledger = Ledger(url)
    per_project = max(20, (args.events - args.big_project) // args.projects)
    t0 = time.perf_counter()
    bench.generate(ledger, args.projects, per_project, args.seed, args.big_project)
    generation_s = time.perf_counter() - t0
    settings = Settings(database_url=url, checkpoint_seconds=0, run_projections=False)
    app = create_app(settings, ledger=ledger)
    services = app.state.services
    t0 = time.perf_counter()
    services.runner.catch_up()
    catch_up_s = time.perf_counter() - t0
    head = ledger.recorder.max_notification_id() or 0

    indexes = list(range(args.projects)) + ([args.projects] if args.big_project else [])
    project_ids = {}
    for row in services.db.query(
        "SELECT DISTINCT project_id FROM "
        + services.runner.view("audit").tables["audit_events"].physical(1)
    ):
        project = ledger.get_project(UUID(row[0]))
        match = re.match(r"Project (\d+)$", project.name)
        if match:
            project_ids[int(match.group(1))] = project.id
    tokens: dict[int, str] = {}

    def token(index: int) -> str:
        if index not in tokens:
            tokens[index] = services.tokens.create(f"pm@team-p{index}.example").token
        return tokens[index]

    rnd = random.Random(args.seed)
    at = (bench.START + timedelta(days=100)).date().isoformat()
    as_of = f"{at}T23:59:59.999999Z"
    times: dict[str, list[float]] = {
        k: [] for k in ("home", "home_json", "timeline", "timeline_json", "replay", "replay_json")
    }
    weight: dict[str, int] = {}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        sessions: dict[int, str] = {}

        def signed_in(index: int) -> dict[str, str]:
            if index not in sessions:
                page = client.get("/sign-in")
                key = re.search(r'name="form_key" value="([^"]+)"', page.text)
                assert key is not None
                answer = client.post(
                    "/sign-in",
                    data={"token": token(index), "form_key": key.group(1), "next": "/projects"},
                    follow_redirects=False,
                )
                sessions[index] = answer.cookies["accord_session"]
                client.cookies.clear()  # each request names its session itself
            return {"Cookie": f"accord_session={sessions[index]}"}

        def timed(path: str, headers: dict[str, str]) -> tuple[float, int]:
            start = time.perf_counter()
            answer = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            return elapsed, len(answer.content)

        css = len(client.get("/static/accord.css").content)
        js = len(client.get("/static/accord.js").content)
        for n in range(args.requests):
            index = args.projects if (n % 10 == 0 and args.big_project) else rnd.choice(indexes)
            pid = project_ids[index]
            cookie = signed_in(index)
            bearer = {"Authorization": f"Bearer {token(index)}"}
            base = f"/v1/projects/{pid}"
            for page, path, twins in (
                (
                    "home",
                    f"/projects/{pid}",
                    [f"{base}/open-items", f"{base}/metrics", f"{base}/audit/commitments"],
                ),
                ("timeline", f"/projects/{pid}/timeline", [f"{base}/audit"]),
                (
                    "replay",
                    f"/projects/{pid}/replay?at={at}",
                    [
                        f"{base}/expectations/baseline?as_of={as_of}&basis=occurred",
                        f"{base}/open-items?as_of={as_of}&basis=occurred",
                    ],
                ),
            ):
                elapsed, size = timed(path, cookie)
                times[page].append(elapsed)
                weight[page] = max(weight.get(page, 0), size + css + js)
                times[f"{page}_json"].append(sum(timed(t, bearer)[0] for t in twins))

    def summary(name: str) -> dict[str, float]:
        return {
            "p50": round(percentile(times[name], 50), 2),
            "p99": round(percentile(times[name], 99), 2),
        }

    report = {
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "storage": services.db.dialect,
        "events": head,
        "projects": len(project_ids),
        "generation_seconds": round(generation_s, 1),
        "catch_up_seconds": round(catch_up_s, 1),
        "requests_per_page": args.requests,
        "pages_ms": {
            page: {
                "page": summary(page),
                "json": summary(f"{page}_json"),
                "p99_ratio": round(
                    percentile(times[page], 99) / max(percentile(times[f"{page}_json"], 99), 1e-9),
                    2,
                ),
                "max_weight_bytes": weight[page],
            }
            for page in ("home", "timeline", "replay")
        },
        "targets": {"p99_ms": 100, "ratio": 2.0, "weight_bytes": 200_000},
    }
    ledger.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
