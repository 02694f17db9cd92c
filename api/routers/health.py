"""Liveness (the process answers) and readiness (its storage answers)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import LedgerDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(description="`ok` when the storage answered.")
    storage: str = Field(description="The backend in use: `sqlite` or `postgresql`.")
    position: int = Field(description="Position of the latest event in the ledger.")


class Liveness(BaseModel):
    status: str = Field(description="Always `ok`: the process answers.")


@router.get("/health")
def health(ledger: LedgerDep) -> Health:
    """Readiness: the backend in use and the latest event position (one storage query)."""
    return Health(
        status="ok",
        storage=ledger.storage.backend,
        position=ledger.event_log.head(),
    )


@router.get("/health/live")
def live() -> Liveness:
    """Liveness: answers without touching storage (also the benchmark's baseline)."""
    return Liveness(status="ok")
