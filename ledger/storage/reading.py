"""Reading one project's records straight from the event log, without a projection.

For the few read paths of the ledger layer itself (exports, the calendar feed) that must work
before — and independently of — the read models. A scan reads the notifications of the event
types asked for (eventsourcing's ``topics`` filter), skips without decoding those whose stored
bytes cannot belong to the project (its id's hex is not in them), and decodes the rest. The
projections answer the same questions faster once they are running.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from ledger.domain.envelope import LedgerAggregate

if TYPE_CHECKING:
    from eventsourcing.application import Application

A = TypeVar("A", bound=LedgerAggregate)

#: Notifications read per query.
PAGE = 1_000


def project_events(
    ledger: Application[UUID],
    project_id: UUID,
    event_classes: Sequence[type[LedgerAggregate.Event]] = (),
) -> Iterator[tuple[Notification, LedgerAggregate.Event]]:
    """The project's events (of ``event_classes``, or all), in position order, with their
    notifications (``notification.id`` is the position)."""
    topics = [get_topic(cls) for cls in event_classes]
    marker = project_id.hex.encode()
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start, PAGE, topics=topics)
        for notification in page:
            if marker not in notification.state:
                continue
            event = ledger.mapper.to_domain_event(notification)
            if getattr(event, "project_id", None) == project_id:
                assert isinstance(event, LedgerAggregate.Event)
                yield notification, event
        if len(page) < PAGE:
            return
        start = page[-1].id + 1


@dataclass(frozen=True)
class Item(Generic[A]):
    """An item of a project as it stands now, with the event that created it."""

    created: LedgerAggregate.Created
    position: int
    aggregate: A


def project_items(
    ledger: Application[UUID],
    project_id: UUID,
    cls: type[A],
    created: type[LedgerAggregate.Created] | tuple[type[LedgerAggregate.Created], ...],
) -> list[Item[A]]:
    """Every ``cls`` item of the project (created by ``created`` events: one class or several),
    in the order they were created, each as it stands now."""
    items: list[Item[A]] = []
    kinds = list(created) if isinstance(created, tuple) else [created]
    for notification, event in project_events(ledger, project_id, kinds):
        aggregate: object = ledger.repository.get(event.originator_id)
        if isinstance(aggregate, cls) and isinstance(event, LedgerAggregate.Created):
            items.append(Item(event, notification.id, aggregate))
    return items


def opened_projects(ledger: Application[UUID], opened: type[LedgerAggregate.Created]) -> list[UUID]:
    """The ids of every project ever opened (their ``opened`` events), oldest first."""
    ids: list[UUID] = []
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start, PAGE, topics=[get_topic(opened)])
        ids += [n.originator_id for n in page]  # type: ignore[misc]
        if len(page) < PAGE:
            return ids
        start = page[-1].id + 1


__all__ = ["Item", "opened_projects", "project_events", "project_items"]
