"""The ``open-items`` and ``audit`` export views (``accord export --view ...``), answered by the
projections. Importing this module registers them with :mod:`ledger.interchange.exports`.

The registered views catch up a projection runner of their own before answering (the command
line has no server running one). A server passes :func:`export_views` of its own runner, whose
views it has already brought up to date, to :func:`ledger.interchange.exports.export`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ledger.interchange.exports import VIEWS, ExportView, register_view
from ledger.service.application import Ledger
from projections import queries as q
from projections.asof import LiveViews
from projections.runner import ProjectionRunner

Answer = Callable[[LiveViews, UUID], Iterator[dict[str, Any]]]

OPEN_ITEM_COLUMNS = (
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
)
AUDIT_COLUMNS = (
    "position",
    "occurred_at",
    "recorded_at",
    "late_entry",
    "imported",
    "before_opening",
    "type",
    "subject_type",
    "subject_id",
    "actor",
    "attributed_to",
    "version",
    "narrative",
)


def _open_items(views: LiveViews, project_id: UUID) -> Iterator[dict[str, Any]]:
    for item in q.open_items(views, str(project_id), datetime.now(UTC)):
        ball = item.pop("ball_in_court")
        yield {**item, "ball_party": ball["party"], "ball_person": ball["person"]}


def _audit(views: LiveViews, project_id: UUID) -> Iterator[dict[str, Any]]:
    page, after = q.audit(views, str(project_id), limit=q.MAX_PAGE)
    yield from page
    while after is not None:
        page, after = q.audit(views, str(project_id), after=after, limit=q.MAX_PAGE)
        yield from page


def _catching_up(answer: Answer) -> Callable[[Ledger, UUID], Iterator[dict[str, Any]]]:
    """Rows from a runner of their own, caught up first: everything recorded so far."""

    def rows(ledger: Ledger, project_id: UUID) -> Iterator[dict[str, Any]]:
        runner = ProjectionRunner(ledger)
        try:
            runner.catch_up()
            yield from answer(LiveViews(runner), project_id)
        finally:
            runner.close()

    return rows


def _bound(answer: Answer, runner: ProjectionRunner) -> Callable[[Ledger, UUID], Any]:
    def rows(ledger: Ledger, project_id: UUID) -> Iterator[dict[str, Any]]:
        return answer(LiveViews(runner), project_id)

    return rows


def _views(rows_of: Callable[[Answer], Callable[[Ledger, UUID], Any]]) -> list[ExportView]:
    return [
        ExportView(
            name="open-items",
            description="What is open, its age, whether it is overdue now, and whose move it is",
            columns=OPEN_ITEM_COLUMNS,
            rows=rows_of(_open_items),
        ),
        ExportView(
            name="audit",
            description="Every event of the project: who recorded what, for whom, when",
            columns=AUDIT_COLUMNS,
            rows=rows_of(_audit),
        ),
    ]


def export_views(runner: ProjectionRunner) -> Mapping[str, ExportView]:
    """Every export view, the projections' answered by ``runner`` as its views stand (bring
    them up to date first, e.g. with ``runner.wait_for``)."""
    return {**VIEWS, **{v.name: v for v in _views(lambda answer: _bound(answer, runner))}}


for _view in _views(_catching_up):
    register_view(_view)
