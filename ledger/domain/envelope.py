"""The envelope every event carries, and the aggregate base.

* :class:`Act` — who recorded an event, on whose behalf, and when it happened in the world.
  It is built by the application from the credential, never from a request body.
* :class:`LedgerAggregate` and its ``Event``/``Created`` bases — every event carries
  ``project_id``, ``actor``, ``attributed_to`` and ``occurred_at`` besides eventsourcing's own
  ``originator_id``, ``originator_version`` and ``timestamp`` (the recorded time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.domain.errors import InvalidInputError
from ledger.domain.time import require_plausible_occurred_at
from ledger.domain.validation import normalise_email, refuse_nul, require_aware

#: How far in the future an ``occurred_at`` may lie, to allow for clocks that disagree.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------- act


class Act:
    """Who recorded something, on whose behalf, and when it happened.

    ``actor`` is the authenticated principal; ``attributed_to`` the person whose act the event
    describes when that is someone else (``None`` when it is the actor themself).
    """

    __slots__ = ("actor", "attributed_to", "occurred_at")

    actor: str
    attributed_to: str | None
    occurred_at: datetime

    def __init__(
        self,
        actor: str,
        *,
        occurred_at: datetime | None = None,
        attributed_to: str | None = None,
        now: datetime | None = None,
    ) -> None:
        now = now or utcnow()
        actor = normalise_email(actor, "actor")
        if attributed_to is not None:
            attributed_to = normalise_email(attributed_to, "attributed_to")
            if attributed_to == actor:
                attributed_to = None
        if occurred_at is None:
            occurred_at = now
        require_aware(occurred_at, "occurred_at")
        require_plausible_occurred_at(occurred_at)
        if occurred_at > now + MAX_CLOCK_SKEW:
            raise InvalidInputError(
                "occurred_at",
                f"{occurred_at.isoformat()} is in the future (the ledger records what happened)",
            )
        object.__setattr__(self, "actor", actor)
        object.__setattr__(self, "attributed_to", attributed_to)
        object.__setattr__(self, "occurred_at", occurred_at)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Act is immutable")

    @property
    def principal(self) -> str:
        """The person whose act this is: the attributed person, or else the actor."""
        return self.attributed_to or self.actor

    def stamp(self) -> dict[str, Any]:
        """The envelope fields every event carries (besides ``project_id``)."""
        return {
            "actor": self.actor,
            "attributed_to": self.attributed_to,
            "occurred_at": self.occurred_at,
        }

    def __repr__(self) -> str:
        return (
            f"Act(actor={self.actor!r}, attributed_to={self.attributed_to!r}, "
            f"occurred_at={self.occurred_at.isoformat()!r})"
        )


# ----------------------------------------------------------------------------- aggregates


class LedgerAggregate(Aggregate):
    """Base of every aggregate: one stream per item, each event tagged with its project."""

    if TYPE_CHECKING:  # set by the Created event's apply(); not dataclass fields
        project_id: UUID

    class Event(Aggregate.Event):
        project_id: UUID
        actor: str
        attributed_to: str | None
        occurred_at: datetime

        @property
        def recorded_at(self) -> datetime:
            """When the ledger stored the event (the server's clock)."""
            return self.timestamp

    class Created(Event, Aggregate.Created):
        def apply(self, aggregate: Any) -> None:
            aggregate.project_id = self.project_id

    def _record(self, event_class: type[LedgerAggregate.Event], act: Act, **payload: Any) -> None:
        """Trigger ``event_class`` with the envelope of ``act``."""
        _refuse_nul_in(payload)
        self.trigger_event(event_class, project_id=self.project_id, **act.stamp(), **payload)

    @classmethod
    def _open(
        cls,
        event_class: type[LedgerAggregate.Created],
        *,
        id: UUID,
        project_id: UUID,
        act: Act,
        **payload: Any,
    ) -> Self:
        """Create the aggregate with its first event."""
        _refuse_nul_in(payload)
        return cls._create(event_class, id=id, project_id=project_id, **act.stamp(), **payload)


def _refuse_nul_in(payload: dict[str, Any]) -> None:
    """The last word on NUL: whatever path a command took, no new event stores it (the
    command's own checks usually refused it first, naming its input field)."""
    for name, value in payload.items():
        refuse_nul(value, name)
