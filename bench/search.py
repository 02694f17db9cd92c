"""Full-text search: index build rate and query latency on the generated ledger of
bench/projections.py, beside a LIKE scan of the same rows in the same run.

    .venv/bin/python bench/search.py [--events 1000000] [--projects 1000] [--seed 7]
                                     [--queries 200] [--backend sqlite|postgres]

The ledger is bench/projections.py's generator, with the interactions' text drawn from a
vocabulary of 5,000 English words (Zipf-distributed: a few words are in most messages, most
words in few), a sentence of Chinese in one message in five, and a rare word (``zq<n>``) in one
message in a hundred. Prints JSON with:

* ``build`` — the search view built from zero (events/s and rows), beside the catch-up of every
  other view from zero, in the same run;
* ``queries_ms`` — p50/p99 of searches in random projects for a common word, a rare word, a
  phrase, a Chinese run and a common word with newest-first order (target p99 < 50 ms), and of
  ``LIKE '%word%'`` over the same rows of the search table (the scan the index replaces).

``--backend postgres`` starts a throw-away PostgreSQL server the way the tests do.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.projections import ProjectGenerator, percentile, timed_ms
from ledger.domain.interaction import Interaction
from ledger.service.application import Ledger
from projections.asof import LiveViews
from projections.runner import ALL_PROJECTIONS, ProjectionRunner
from projections.search import SEARCH_DOCS, SearchProjection, search

CHINESE = (
    "客户要求在下周完成单点登录系统的测试",
    "预发布服务器又宕机了部署失败",
    "数据迁移进度落后于计划",
    "请确认合同第四条的付款条款",
    "验收测试安排在月底",
)


class TextGenerator(ProjectGenerator):
    """bench/projections.py's projects, with interactions that say varied things."""

    vocabulary: list[str] = []
    weights: list[float] = []

    def interaction(self, pid: UUID) -> None:
        rnd = self.rnd
        who = rnd.choice((self.pm, self.sponsor, self.client))
        words = rnd.choices(self.vocabulary, self.weights, k=rnd.randint(8, 40))
        if rnd.random() < 0.01:
            words.insert(rnd.randrange(len(words)), f"zq{rnd.randrange(100_000)}")
        text = " ".join(words).capitalize() + "."
        if rnd.random() < 0.2:
            text += " " + rnd.choice(CHINESE) + "。"
        self.keep(
            Interaction.record(
                self.act(self.pm),
                id=uuid4(),
                project_id=pid,
                channel="email",
                subject=" ".join(rnd.choices(self.vocabulary, self.weights, k=4)),
                summary=text,
                from_address=who,
                to=(self.pm if who != self.pm else self.sponsor,),
            )
        )


def vocabulary(rnd: random.Random, size: int = 5000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(rnd.choice(letters) for _ in range(rnd.randint(3, 9)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words, [1 / (rank + 1) for rank in range(size)]


def generate(ledger: Ledger, projects: int, per_project: int, seed: int) -> int:
    rnd = random.Random(seed)
    TextGenerator.vocabulary, TextGenerator.weights = vocabulary(rnd)
    total = 0
    started = time.perf_counter()
    for index in range(projects):
        aggregates = TextGenerator(rnd, index).build(per_project)
        for start in range(0, len(aggregates), 300):
            ledger.save(*aggregates[start : start + 300])
        total += sum(a.version for a in aggregates)
        if index % 50 == 0:
            rate = total / (time.perf_counter() - started)
            print(f"generated {total:,} events ({rate:,.0f}/s)", file=sys.stderr)
    return total


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tempfile.mkdtemp(prefix='accord-bench-')}/s.db"
        return
    from tests.pgserver import running_postgres

    with running_postgres() as server:
        yield server.url(server.create_database())


def stats(values: list[float]) -> dict[str, Any]:
    return {
        "p50": round(percentile(values, 50), 2),
        "p99": round(percentile(values, 99), 2),
        "runs": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Search index build rate and query latency")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--queries-after",
        type=Path,
        default=None,
        help="build, then wait until this file exists before the queries (a quiet moment)",
    )
    args = parser.parse_args()

    with database(args.backend) as url:
        ledger = Ledger(url)
        per_project = max(20, args.events // args.projects)
        t0 = time.perf_counter()
        generate(ledger, args.projects, per_project, args.seed)
        generation_s = time.perf_counter() - t0
        head = ledger.recorder.max_notification_id() or 0

        others = [p for p in ALL_PROJECTIONS if p is not SearchProjection]
        runner = ProjectionRunner(ledger, projections=others)
        t0 = time.perf_counter()
        runner.catch_up()
        others_rate = head / (time.perf_counter() - t0)
        runner.close()

        runner = ProjectionRunner(ledger, projections=[SearchProjection])
        t0 = time.perf_counter()
        runner.catch_up()
        search_s = time.perf_counter() - t0
        views = LiveViews(runner)
        docs = SEARCH_DOCS.physical(runner.active_generation("search"))
        rows = int(runner.db.query(f"SELECT COUNT(*) FROM {docs}")[0][0])
        projects = sorted(
            {str(r[0]) for r in runner.db.query(f"SELECT DISTINCT project_id FROM {docs}")}
        )

        if args.queries_after is not None:
            # Build on a busy machine, query on a quiet one: wait until the file exists.
            print(f"built; waiting for {args.queries_after} to query", file=sys.stderr)
            while not args.queries_after.exists():
                time.sleep(1)
        rnd = random.Random(args.seed)
        common = TextGenerator.vocabulary[:3]
        rare_words = [
            str(r[0])
            for r in runner.db.query(
                f"SELECT body FROM {docs} WHERE body LIKE ? LIMIT 200", ("%zq%",)
            )
        ]
        rare = sorted({w for body in rare_words for w in body.split() if w.startswith("zq")})
        cases: dict[str, list[float]] = {
            "common_word": [],
            "common_word_newest": [],
            "rare_word": [],
            "phrase": [],
            "chinese": [],
            "like_scan_common_word": [],
            "like_scan_rare_word": [],
        }
        hits: dict[str, int] = dict.fromkeys(cases, 0)

        def run(name: str, project: str, query: str, **kw: Any) -> None:
            found: list[Any] = []

            def once() -> None:
                found.append(search(views, project, query, **kw))

            cases[name].append(timed_ms(once))
            hits[name] += len(found[0].hits)

        def scan(name: str, project: str, word: str) -> None:
            # Every match (a ranking needs them all), as the search does.
            sql = f"SELECT position FROM {docs} WHERE project_id = ? AND body LIKE ?"
            cases[name].append(timed_ms(lambda: runner.db.query(sql, (project, f"%{word}%"))))

        for _ in range(args.queries):
            project = rnd.choice(projects)
            word = rnd.choice(common)
            run("common_word", project, word)
            run("common_word_newest", project, word, order="newest")
            run("rare_word", project, rnd.choice(rare) if rare else "zq1")
            run("phrase", project, f'"{common[0]} {common[1]}"')
            run("chinese", project, rnd.choice(CHINESE)[2:6])
            scan("like_scan_common_word", project, word)
            scan("like_scan_rare_word", project, rnd.choice(rare) if rare else "zq1")

        report = {
            "machine": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}",
            "storage": runner.db.dialect,
            "events": head,
            "projects": len(projects),
            "generation_seconds": round(generation_s, 1),
            "build": {
                "search_view_events_per_s": round(head / search_s),
                "search_rows": rows,
                "other_views_catch_up_events_per_s": round(others_rate),
                "other_views": [p.name for p in others],
            },
            "queries_ms": {name: stats(v) for name, v in cases.items()},
            "mean_hits_per_query": {
                name: round(n / args.queries, 1) for name, n in hits.items() if n
            },
            "target_p99_ms": 50,
        }
        runner.close()
        ledger.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
