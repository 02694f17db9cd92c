"""The HTTP API: one composition root, :func:`create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from api.settings import Settings
from ledger.application import Ledger


class Health(BaseModel):
    status: str
    storage: str
    position: int


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> FastAPI:
    """Build the app for ``settings``; pass ``ledger`` to share an application (tests)."""
    settings = settings or Settings()
    owned = ledger is None
    app_ledger = ledger or Ledger(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                app_ledger.close()

    app = FastAPI(
        title="Accord",
        summary="Event-sourced communication ledger for project teams and their clients",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.ledger = app_ledger
    app.state.settings = settings

    @app.get("/health", tags=["health"])
    def health(ledger: Annotated[Ledger, Depends(get_ledger)]) -> Health:
        """Liveness and storage check: the backend in use and the latest event position."""
        return Health(
            status="ok",
            storage=ledger.storage.backend,
            position=ledger.recorder.max_notification_id() or 0,
        )

    return app


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger
