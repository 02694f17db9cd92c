"""The ``open-items`` and ``audit`` export views (``accord export --view ...``), answered by the
projections. Importing this module registers them with :mod:`ledger.exports`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.exports import ExportView, register_view
from projections import queries as q
from projections.asof import LiveViews
from projections.runner import ProjectionRunner


def _from_views(
    ledger: Ledger, answer: Callable[[LiveViews], Iterator[dict[str, Any]]]
) -> Iterator[dict[str, Any]]:
    runner = ProjectionRunner(ledger)
    try:
        runner.catch_up()  # an export reflects everything recorded so far
        yield from answer(LiveViews(runner))
    finally:
        runner.close()


def open_item_rows(ledger: Ledger, project_id: UUID) -> Iterator[dict[str, Any]]:
    def answer(views: LiveViews) -> Iterator[dict[str, Any]]:
        for item in q.open_items(views, str(project_id), datetime.now(UTC)):
            ball = item.pop("ball_in_court")
            yield {**item, "ball_party": ball["party"], "ball_person": ball["person"]}

    return _from_views(ledger, answer)


def audit_rows(ledger: Ledger, project_id: UUID) -> Iterator[dict[str, Any]]:
    def answer(views: LiveViews) -> Iterator[dict[str, Any]]:
        after: int | None = 0
        while after is not None:
            page, after = q.audit(views, str(project_id), after=after, limit=q.MAX_PAGE)
            yield from page

    return _from_views(ledger, answer)


register_view(
    ExportView(
        name="open-items",
        description="What is open, its age, whether it is overdue now, and whose move it is",
        columns=(
            "id",
            "kind",
            "title",
            "state",
            "opened_at",
            "age_days",
            "due_at",
            "overdue",
            "ball_party",
            "ball_person",
            "last_event_at",
            "position",
        ),
        rows=open_item_rows,
    )
)
register_view(
    ExportView(
        name="audit",
        description="Every event of the project: who recorded what, for whom, when",
        columns=(
            "position",
            "occurred_at",
            "recorded_at",
            "backdated",
            "type",
            "subject_type",
            "subject_id",
            "actor",
            "attributed_to",
            "version",
            "narrative",
        ),
        rows=audit_rows,
    )
)
