"""One router per resource; :data:`ROUTERS` is every one of them, in the order of the docs.

The projection queries (open items, the baseline as of a time and its diff, audit, who
promised what, timeline, metrics, history) have their own router, ``api/routers/queries.py``,
guarded by ``deps.ProjectMember`` like every read here."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    acknowledgements,
    calendar,
    change_requests,
    commitments,
    decisions,
    documents,
    events,
    expectations,
    exports,
    health,
    imports,
    integrity,
    interactions,
    issues,
    meetings,
    projects,
    queries,
    risks,
    search,
    status_reports,
    tokens,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    tokens.router,
    projects.router,
    # Before the resources: /expectations/diff and /expectations/baseline must not be taken for
    # /expectations/{expectation_id}.
    queries.router,
    search.router,
    interactions.router,
    meetings.router,
    commitments.router,
    expectations.router,
    change_requests.router,
    acknowledgements.router,
    issues.router,
    decisions.router,
    risks.router,
    status_reports.router,
    events.router,
    integrity.router,
    imports.router,
    exports.router,
    documents.router,
    calendar.router,
)
