"""The HTTP API: one composition root, :func:`create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from api.bootstrap import Services, background_loops, bootstrap
from api.json_body import JsonContentTypeMiddleware
from api.metrics import install_metrics
from api.middleware import (
    BodyLimitMiddleware,
    IdempotencyMiddleware,
    JsonDepthMiddleware,
    NulGuardMiddleware,
)
from api.prefer import PreferMiddleware
from api.problems import install_problem_handlers, problem_media_types
from api.routers import ROUTERS
from api.routers.imports import UPLOAD_PATHS
from api.settings import Settings
from api.storage_faults import install_storage_fault_handlers
from api.web import UPLOAD_PATHS as WEB_UPLOAD_PATHS
from api.web import install_web
from api.web import refusal_page as web_refusal
from ledger.service.application import Ledger

DESCRIPTION = """\
Every client interaction, commitment, change request, decision and acknowledgement of a
project, recorded as immutable events. See `docs/api.md` for a worked example.

* **Authentication**: `Authorization: Bearer <token>` (`accord token create --email ...`).
* **Authorisation**: by your role in each project; a project you are not a member of is 404.
* **Retries**: send an `Idempotency-Key` with any POST.
* **Concurrency**: item reads return an `ETag`; send it as `If-Match` with a step.
* **Errors**: `application/problem+json` (RFC 9457).
* **Lists**: cursor pagination (`cursor`, `limit`; `next_cursor` in each page).
"""


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> FastAPI:
    """Build the app for ``settings``; pass ``ledger`` to share an application (tests)."""
    settings = settings or Settings()
    services = bootstrap(settings, ledger)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        with background_loops(services):
            yield

    app = _routes(lifespan)
    app.state.services = services
    app.state.settings = settings
    app.state.ledger = services.ledger
    install_web(app, services)  # the pages for people at /, beside the JSON API (docs/web.md)
    # Added last = outermost: the body limit applies before an Idempotency-Key is claimed.
    app.add_middleware(
        IdempotencyMiddleware,
        store=services.idempotency,
        authenticate=services.tokens.authenticate,
    )
    app.add_middleware(PreferMiddleware)  # Prefer: return=minimal (RFC 7240) for commands
    app.add_middleware(NulGuardMiddleware, page=web_refusal)  # a page's own error page
    app.add_middleware(JsonDepthMiddleware)
    app.add_middleware(JsonContentTypeMiddleware, except_paths=UPLOAD_PATHS)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_paths=f"{UPLOAD_PATHS}|{WEB_UPLOAD_PATHS}",
    )
    install_metrics(app, services)  # GET /metrics; its middleware outermost (docs/operations.md)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document, without opening any storage."""
    return _routes(None).openapi()


def _routes(lifespan: Any) -> FastAPI:
    # FastAPIOffline: FastAPI with /docs and /redoc served from the assets its package ships
    # (Swagger UI, ReDoc), under /docs-assets — no CDN, so the pages work offline.
    app = FastAPIOffline(
        static_url="/docs-assets",
        title="Accord",
        summary="Event-sourced communication ledger for project teams and their clients",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    install_storage_fault_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    _document(app)
    return app


def _document(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=TAGS,
            )
            app.openapi_schema = problem_media_types(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


TAGS = [
    {"name": "health", "description": "Liveness and readiness."},
    {"name": "tokens", "description": "Who you are; issuing and revoking bearer tokens."},
    {"name": "projects", "description": "Projects, their members and roles, and their plan."},
    {"name": "interactions", "description": "Emails, calls, chats: communication acts."},
    {"name": "meetings", "description": "Meetings and their minutes."},
    {"name": "commitments", "description": "Who promised what to whom, by when."},
    {"name": "expectations", "description": "The agreed baseline: scope, dates, budget..."},
    {"name": "change requests", "description": "Changes to the baseline, assessed and decided."},
    {
        "name": "acknowledgement requests",
        "description": "One person asked to confirm one version of something.",
    },
    {"name": "issues", "description": "Problems, questions and feedback, until resolved."},
    {"name": "decisions", "description": "Decisions taken, and what superseded them."},
    {"name": "risks", "description": "Risks, their assessment, response and outcome."},
    {"name": "status reports", "description": "Periodic reports to the project's people."},
    {"name": "events", "description": "The event feed: JSON pages and Server-Sent Events."},
    {"name": "imports", "description": "Email (mbox, .eml) and minutes, uploaded."},
    {"name": "exports", "description": "A project's records as JSON Lines or CSV."},
    {"name": "documents", "description": "The originals the ledger holds, by SHA-256."},
    {"name": "calendar", "description": "Due dates as an iCalendar feed; calendar tokens."},
]

__all__ = ["Services", "create_app"]
