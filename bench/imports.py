"""Email import throughput: ``accord import mbox`` beside a standard-library parse of the same file.

    .venv/bin/python bench/imports.py [--messages N] [--seed S] [--rounds R] [--database-url URL]

Generates (deterministically, from ``--seed``) an mbox of N messages (default 20,000) shaped
like a project mailbox: threads of replies with In-Reply-To and References, a few
encoded-word subjects and ISO-8859-1 bodies, multipart/alternative bodies, and every tenth
message with a base64 attachment (PDF-like bytes, 20-60 KB). Then, in the same run:

* ``stdlib`` — :mod:`mailbox` reads the file, each message is parsed with
  ``email.policy.default`` and the fields the import keeps are read (From, To, Cc, Date,
  Subject, Message-ID, In-Reply-To, References, the text body, the attachments' bytes): what a
  script that only *reads* the mailbox does, storing nothing;
* ``accord`` — :func:`ledger.interchange.importing.import_emails` into a fresh ledger: the same
parse, the
  originals and attachments into the document store, one Interaction per message through
  ``record_interactions``, threads linked.

Prints one JSON object: messages per second of each and their ratio (target >= 0.5), the median
of R rounds (each round: both paths on a fresh database, one after the other).

``--split``: the accord path imports the mailbox in two runs, its odd-numbered messages first,
then the even-numbered ones — about half the replies are recorded before their parent, and linked
when it comes (an ``Interaction.ThreadLinked`` event per reply, in the parent's save). The rate
is all messages over the time of both runs.
"""

from __future__ import annotations

import argparse
import base64
import json
import mailbox
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_binary_file
from email.policy import default as modern_policy
from pathlib import Path
from typing import Any, BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PM = "pm@team.test"
DEV = "dev@team.test"
CLIENT = "sponsor@client.test"
PEOPLE = [PM, DEV, CLIENT, "ops@client.test", "outside@vendor.test"]
WORDS = [
    "wireframes",
    "review",
    "budget",
    "milestone",
    "invoice",
    "scope",
    "change",
    "delivery",
    "acceptance",
    "sprint",
    "deadline",
    "report",
    "meeting",
    "minutes",
    "risk",
    "issue",
    "approval",
    "sign-off",
    "design",
    "build",
    "test",
]


def generate_mbox(path: Path, n: int, seed: int, halves: tuple[Path, Path] | None = None) -> int:
    """Write an mbox of ``n`` messages to ``path``; returns its size in bytes. ``halves``: also
    write its odd-numbered messages to the first path and its even-numbered ones to the second."""
    _generate(path, n, seed, lambda i: True)
    if halves is not None:
        _generate(halves[0], n, seed, lambda i: i % 2 == 1)
        _generate(halves[1], n, seed, lambda i: i % 2 == 0)
    return path.stat().st_size


def _generate(path: Path, n: int, seed: int, keep: Callable[[int], bool]) -> None:
    """Write the messages ``keep`` selects (by number) of the mailbox of ``n`` messages."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    ids: list[tuple[str, str]] = []  # (message id, references so far)
    with path.open("wb") as out:
        for i in range(n):
            when = start + timedelta(minutes=7 * i + rng.randint(0, 5))
            sender, recipient = rng.sample(PEOPLE, 2)
            msg_id = f"<{seed}.{i}.{rng.getrandbits(40):x}@mail.test>"
            headers = [
                f"From: {sender.split('@')[0].title()} <{sender}>",
                f"To: {recipient}",
                f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
                f"Message-ID: {msg_id}",
            ]
            if rng.random() < 0.3:
                headers.append(f"Cc: {rng.choice(PEOPLE)}")
            refs = ""
            if ids and rng.random() < 0.6:
                parent_id, parent_refs = ids[rng.randrange(max(0, len(ids) - 50), len(ids))]
                refs = f"{parent_refs} {parent_id}".strip()
                headers.append(f"In-Reply-To: {parent_id}")
                headers.append(f"References: {refs}")
            topic = " ".join(rng.choices(WORDS, k=4))
            if i % 17 == 0:
                headers.append("Subject: =?utf-8?q?R=C3=A9union_de_suivi?= " + topic)
            else:
                headers.append(f"Subject: {'Re: ' if refs else ''}{topic}")
            ids.append((msg_id, refs))
            text = "\n".join(
                " ".join(rng.choices(WORDS, k=rng.randint(8, 14)))
                for _ in range(rng.randint(3, 12))
            )
            body = _body(i, rng, text, headers)
            if keep(i):
                out.write(f"From {sender} {when.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
                out.write(body)
                out.write(b"\n")


def _body(i: int, rng: random.Random, text: str, headers: list[str]) -> bytes:
    head = "\n".join([*headers, "MIME-Version: 1.0"])
    if i % 10 == 0:
        blob = rng.randbytes(rng.randint(20_000, 60_000))
        encoded = base64.encodebytes(blob).decode()
        return (
            f'{head}\nContent-Type: multipart/mixed; boundary="b{i}"\n\n'
            f"--b{i}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
            f"--b{i}\nContent-Type: application/pdf\n"
            f'Content-Disposition: attachment; filename="report-{i}.pdf"\n'
            f"Content-Transfer-Encoding: base64\n\n{encoded}--b{i}--\n"
        ).encode()
    if i % 3 == 0:
        return (
            f'{head}\nContent-Type: multipart/alternative; boundary="a{i}"\n\n'
            f"--a{i}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
            f"--a{i}\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>"
            f"{text.replace(chr(10), '</p><p>')}</p></body></html>\n--a{i}--\n"
        ).encode()
    if i % 7 == 0:
        latin = text + "\nCordialement, Hélène — café à 10 h"
        return (
            (
                f"{head}\nContent-Type: text/plain; charset=iso-8859-1\n"
                f"Content-Transfer-Encoding: 8bit\n\n"
            ).encode()
            + latin.replace("—", "-").encode("iso-8859-1")
            + b"\n"
        )
    return f"{head}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n".encode()


def stdlib_read(path: Path) -> int:
    """The baseline: read every message with the standard library, keeping what we keep."""

    def factory(file: BinaryIO) -> Any:
        return message_from_binary_file(file, policy=modern_policy)

    n = 0
    for message in mailbox.mbox(path, factory=factory, create=False):
        for name in ("from", "to", "cc"):
            header = message[name]
            if header is not None:
                _ = [a.addr_spec for a in header.addresses]
        for name in ("date", "subject", "message-id", "in-reply-to", "references"):
            _ = message[name]
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            _ = body.get_content()
        for part in message.iter_attachments():
            _ = part.get_content()
        n += 1
    return n


def bench_project(ledger: Any) -> Any:
    """A project with the mailbox's people as members (PM manages it); returns its id."""
    project_id = ledger.open_project(PM, name="Bench", client_org="Client", team_org="Team").id
    ledger.add_member(PM, project_id, email=DEV, name="Dev", party="team", role="team_member")
    for email in (CLIENT, "ops@client.test"):
        ledger.add_member(
            PM, project_id, email=email, name=email, party="client", role="client_member"
        )
    return project_id


def accord_import(database_url: str, *paths: Path) -> tuple[float, dict[str, int]]:
    """Import ``paths``, one run each, into a fresh project of a fresh database; returns
    (seconds, counts summed over the runs)."""
    from ledger.interchange.importing import Mbox, import_emails
    from ledger.service.application import Ledger
    from ledger.storage.documents import DocumentStore

    ledger = Ledger(database_url)
    try:
        project_id = bench_project(ledger)
        counts = dict.fromkeys(
            ("imported", "duplicates", "rejected", "attachments", "replies_linked",
             "replies_unlinked", "replies_relinked"), 0)  # fmt: skip
        start = time.perf_counter()
        for path in paths:
            summary = import_emails(ledger, project_id, PM, Mbox(path))
            for name in counts:
                value = getattr(summary, name)
                counts[name] += len(value) if isinstance(value, list) else value
        seconds = time.perf_counter() - start
        with DocumentStore(ledger.storage) as documents:
            counts["documents_stored"] = documents.count()
    finally:
        ledger.close()
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--split",
        action="store_true",
        help="import in two runs, odd-numbered messages first (half the replies before parents)",
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: a throw-away PostgreSQL server (tests/pgserver.py), a fresh database "
        "per round",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="accord-bench-imports-") as tmp:
        folder = Path(tmp)
        mbox = folder / "bench.mbox"
        halves = (folder / "odd.mbox", folder / "even.mbox") if args.split else None
        size = generate_mbox(mbox, args.messages, args.seed, halves)
        runs = halves or (mbox,)
        stdlib_rates: list[float] = []
        accord_rates: list[float] = []
        counts: dict[str, int] = {}
        with _databases(args.backend, folder) as new_database:
            for round_number in range(args.rounds):
                # Alternate the order so slow drift of the machine hits both alike.
                for path in ("stdlib", "accord") if round_number % 2 == 0 else ("accord", "stdlib"):
                    if path == "stdlib":
                        start = time.perf_counter()
                        read = stdlib_read(mbox)
                        stdlib_rates.append(read / (time.perf_counter() - start))
                    else:
                        seconds, counts = accord_import(new_database(), *runs)
                        accord_rates.append(counts["imported"] / seconds)
        stdlib = statistics.median(stdlib_rates)
        accord = statistics.median(accord_rates)
        print(
            json.dumps(
                {
                    "messages": args.messages,
                    "mbox_bytes": size,
                    "seed": args.seed,
                    "rounds": args.rounds,
                    "backend": args.backend,
                    "split": args.split,
                    "stdlib_messages_per_s": round(stdlib),
                    "accord_messages_per_s": round(accord),
                    "ratio": round(accord / stdlib, 2),
                    "target_ratio": 0.5,
                    "stdlib_rounds": [round(r) for r in stdlib_rates],
                    "accord_rounds": [round(r) for r in accord_rates],
                    "last_import": counts,
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                },
                indent=2,
            )
        )


class _databases:
    """A factory of fresh database URLs for the chosen backend."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self.count = 0
        self._server: Any = None
        self._context: Any = None

    def __enter__(self) -> Any:
        if self.backend == "postgres":
            from tests.pgserver import running_postgres

            self._context = running_postgres()
            self._server = self._context.__enter__()
        return self.new

    def new(self) -> str:
        self.count += 1
        if self._server is not None:
            return str(self._server.url(self._server.create_database()))
        return f"sqlite:///{self.folder / f'round-{self.count}.db'}"

    def __exit__(self, *exc: object) -> None:
        if self._context is not None:
            self._context.__exit__(*exc)


if __name__ == "__main__":
    main()
