"""Writes whose outcome is unknown: found out, never guessed.

When the connection to PostgreSQL fails while a save is in flight (the server restarts, the
network drops), the COMMIT may or may not have gone through. Retrying the insert blindly is
wrong both ways: if it was stored, the retry collides with its own rows and the caller is told
"conflict" although the write is there; if the caller then retries, the step is stored twice.

So the recorder (:mod:`ledger.storage.postgres_recorder`) looks: it reconnects and reads the
rows at the saved events' ``(originator_id, originator_version)``. Its own bytes there: stored
(the save succeeds). Nothing there: not stored (the insert is sent again). Someone else's
events there: a genuine conflict. Database still away after :data:`RESOLVE_SECONDS`: the
outcome is unknown and :class:`OutcomeUnknownError` is raised — the API answers 503 "retry with
the same Idempotency-Key" and keeps the key.

For that retry, the events of the save in doubt are remembered (:func:`collecting`,
:class:`PendingWrites`: originator id, version and the SHA-256 of each event's stored bytes).
The retry runs the command again against the item *as it was before* (:func:`resolving`: the
service layer reads the pinned versions), so it makes the same step at the same versions; if
those versions hold the remembered bytes, the first attempt was stored and the retry answers
with it instead of storing the step a second time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError

#: How long a save in doubt keeps trying to find out whether it was stored (seconds).
RESOLVE_SECONDS = 15.0
RESOLVE_SECONDS_VARIABLE = "ACCORD_WRITE_RESOLVE_SECONDS"


def resolve_seconds() -> float:
    """:data:`RESOLVE_SECONDS`, or ``ACCORD_WRITE_RESOLVE_SECONDS`` when set."""
    return float(os.environ.get(RESOLVE_SECONDS_VARIABLE) or RESOLVE_SECONDS)


class OutcomeUnknownError(PersistenceError):
    """The database went away during a save and did not come back in time to tell whether the
    events were stored."""


@dataclass(frozen=True)
class PendingEvent:
    originator_id: str
    originator_version: int
    sha256: str

    def as_list(self) -> list[Any]:
        return [self.originator_id, self.originator_version, self.sha256]


@dataclass
class PendingWrites:
    """The events of the last save attempted in this context (one HTTP request)."""

    events: list[PendingEvent] = field(default_factory=list)
    #: Set once the retry's own save has settled the doubt: reads are current again.
    settled: bool = False

    def note(self, stored_events: Sequence[Any]) -> None:
        self.events = [
            PendingEvent(str(e.originator_id), int(e.originator_version), digest(e.state))
            for e in stored_events
        ]

    def pins(self) -> dict[UUID, int]:
        """For each item of the save: the version it was at before (what the retry reads)."""
        pins: dict[UUID, int] = {}
        for e in self.events:
            key = UUID(e.originator_id)
            pins[key] = min(pins.get(key, e.originator_version), e.originator_version)
        # An item the save created (version 1) has no earlier version to read.
        return {k: v - 1 for k, v in pins.items() if v > 1}

    @classmethod
    def parse(cls, rows: Sequence[Sequence[Any]]) -> PendingWrites:
        return cls([PendingEvent(str(r[0]), int(r[1]), str(r[2])) for r in rows])


def digest(state: bytes) -> str:
    return hashlib.sha256(bytes(state)).hexdigest()


_COLLECTING: ContextVar[PendingWrites | None] = ContextVar("accord_pending_writes", default=None)
_RESOLVING: ContextVar[PendingWrites | None] = ContextVar("accord_resolving_writes", default=None)


@contextmanager
def collecting() -> Iterator[PendingWrites]:
    """Remember, in this context, the events of the saves attempted within the block."""
    pending = PendingWrites()
    token = _COLLECTING.set(pending)
    try:
        yield pending
    finally:
        _COLLECTING.reset(token)


def note_attempt(stored_events: Sequence[Any]) -> None:
    """Called by the recorder before it sends a save."""
    pending = _COLLECTING.get()
    if pending is not None:
        pending.note(stored_events)


@contextmanager
def resolving(pending: PendingWrites) -> Iterator[None]:
    """Within the block, commands read the items of ``pending`` at their versions before that
    save, and a save that collides with exactly ``pending``'s bytes counts as done."""
    token = _RESOLVING.set(pending)
    try:
        yield
    finally:
        _RESOLVING.reset(token)


def in_doubt() -> PendingWrites | None:
    """The save in doubt that the current command is a retry of, if any (and not settled)."""
    doubt = _RESOLVING.get()
    return doubt if doubt is not None and not doubt.settled else None
