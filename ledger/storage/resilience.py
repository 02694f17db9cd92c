"""Background loops that outlive storage errors, and the state they report.

A server runs a few loops beside its requests: the projection runner, the periodic checkpoints.
A database restart, a full disk or a dropped connection must not end them: each step that
fails is retried after a growing pause (:class:`Backoff`), and the loop resumes from where its
storage says it was (a tracking position, the last checkpoint), never from memory. Meanwhile it
says how it is (:class:`LoopHealth`): ``running``, ``retrying`` (the last step failed, with the
error and since when), ``refused`` (it will not run until an operator acts, e.g. a signing key
that does not match the log) or ``stopped``. ``/health`` and ``accord projections status`` show
these states.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

log = logging.getLogger("accord.loops")


class LoopState:
    STARTING = "starting"
    RUNNING = "running"
    RETRYING = "retrying"
    REFUSED = "refused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LoopReport:
    """One loop's state at one moment (immutable: safe to hand to another thread)."""

    name: str
    state: str = LoopState.STARTING
    #: The last error, as text, and when it happened (UTC); kept after recovery, for operators.
    last_error: str | None = None
    last_error_at: datetime | None = None
    #: Failures in a row (0 once a step succeeds again).
    failures: int = 0
    #: When a step last succeeded.
    last_success_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.state in (LoopState.STARTING, LoopState.RUNNING, LoopState.STOPPED)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "failures": self.failures,
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "last_success_at": _iso(self.last_success_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


@dataclass
class LoopHealth:
    """The state of one background loop, updated by the loop, read by anyone (thread-safe)."""

    name: str
    _report: LoopReport = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._report = LoopReport(self.name)

    @property
    def report(self) -> LoopReport:
        with self._lock:
            return self._report

    def succeeded(self) -> None:
        with self._lock:
            self._report = replace(
                self._report, state=LoopState.RUNNING, failures=0, last_success_at=_now()
            )

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._report = replace(
                self._report,
                state=LoopState.RETRYING,
                failures=self._report.failures + 1,
                last_error=describe(error),
                last_error_at=_now(),
            )

    def refused(self, error: BaseException) -> None:
        with self._lock:
            self._report = replace(
                self._report,
                state=LoopState.REFUSED,
                last_error=describe(error),
                last_error_at=_now(),
            )

    def stopped(self) -> None:
        with self._lock:
            self._report = replace(self._report, state=LoopState.STOPPED)


def describe(error: BaseException) -> str:
    """``ClassName: first line of the message`` — enough to recognise it in a status table."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Backoff:
    """Pauses between retries: ``first``, doubling up to ``longest``, with ±20 % jitter so that
    several nodes do not all knock on a restarting database at the same instant."""

    first: float = 0.2
    longest: float = 5.0
    _next: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._next = self.first

    def next(self) -> float:
        pause = self._next
        self._next = min(self._next * 2, self.longest)
        return pause * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = self.first


def run_resiliently(
    step: Callable[[], float],
    *,
    stop: threading.Event,
    health: LoopHealth,
    backoff: Backoff | None = None,
    refuse: tuple[type[BaseException], ...] = (),
    after_failure: Callable[[], None] | None = None,
) -> None:
    """Call ``step`` until ``stop`` is set; it returns how long to wait before the next call.
    An exception of ``refuse`` ends the loop as ``refused`` (it needs an operator); any other
    is logged, reported (then ``after_failure`` runs, its own errors ignored), and retried
    after a growing pause. The loop never dies of an error."""
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            pause = step()
        except refuse as e:
            health.refused(e)
            log.error("%s refuses to run: %s", health.name, e)
            return
        except Exception as e:
            health.failed(e)
            pause = backoff.next()
            report = health.report
            log.warning(
                "%s: step failed (%s in a row), retrying in %.1f s: %s",
                health.name,
                report.failures,
                pause,
                report.last_error,
            )
            if after_failure is not None:
                try:
                    after_failure()
                except Exception as again:
                    log.debug("%s: could not report the failure: %s", health.name, again)
        else:
            if health.report.failures:
                log.info("%s recovered", health.name)
            health.succeeded()
            backoff.reset()
        if pause > 0:
            stop.wait(pause)
    health.stopped()
