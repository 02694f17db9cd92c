"""Liveness (the process answers) and readiness (its storage answers, its background loops
work, and how current the read models are)."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from api.routing import ResourceRouter
from ledger.storage.resilience import LoopState, describe

router = ResourceRouter(tags=["health"])


class ViewState(BaseModel):
    name: str = Field(description="The read model.")
    position: int = Field(description="The log position it has applied.")
    lag: int = Field(description="Events recorded that it has not applied yet.")
    state: str = Field(
        description="`current`, `catching_up`, `erroring` (its runners fail: see "
        "`last_error`) or `stalled` (behind, and no runner heard of for 30 s)."
    )
    last_error: str | None = Field(default=None, description="Why it is erroring.")


class LoopStatus(BaseModel):
    name: str = Field(
        description="`projections`, `checkpoints` or `mail` (this process's background loops)."
    )
    state: str = Field(
        description="`starting`, `running`, `retrying` (its last step failed), `refused` "
        "(it will not run until an operator acts) or `stopped`."
    )
    failures: int = Field(description="Failed steps in a row.")
    last_error: str | None = Field(description="The last failure (kept after recovery).")
    last_error_at: str | None = Field(description="When it happened (UTC).")
    last_success_at: str | None = Field(description="When a step last succeeded (UTC).")


class Health(BaseModel):
    status: str = Field(
        description="`ok`; `degraded` (serving, but a view is behind and not moving, or a loop "
        "refuses to run: see `views` and `loops`); `unavailable` (503: the storage does not "
        "answer, or this process's read models fail)."
    )
    storage: str = Field(description="The backend in use: `sqlite` or `postgresql`.")
    position: int = Field(description="Position of the latest event in the ledger.")
    error: str | None = Field(default=None, description="Why the storage did not answer.")
    views: list[ViewState] = Field(default_factory=list, description="Every read model.")
    loops: list[LoopStatus] = Field(default_factory=list, description="Background loops.")


class Liveness(BaseModel):
    status: str = Field(description="Always `ok`: the process answers.")


@router.get(
    "/health",
    responses={503: {"model": Health, "description": "Not ready: see `error`, `views`, `loops`."}},
)
def health(services: ServicesDep, response: Response) -> Health:
    """Readiness: the backend in use, the latest event position, every read model's state and
    the state of this process's background loops. 503 when the storage does not answer or the
    read models of this process keep failing; `degraded` (200) when a view is stalled or a loop
    refuses to run (a signing key that does not match the log)."""
    runner = services.runner
    loops = [runner.report, services.checkpoint_health.report]
    if services.mail_health is not None:
        loops.append(services.mail_health.report)
    loop_states = [LoopStatus.model_validate(r.as_dict()) for r in loops]
    backend = services.ledger.storage.backend
    try:
        position = services.ledger.event_log.head()
        views = [
            ViewState(
                name=v.name, position=v.position, lag=v.lag, state=v.state, last_error=v.last_error
            )
            for v in runner.view_health()
        ]
    except Exception as e:
        response.status_code = 503
        response.headers["Retry-After"] = "2"
        return Health(
            status="unavailable", storage=backend, position=0, error=describe(e), loops=loop_states
        )
    status = "ok"
    if any(v.state in ("stalled", "erroring") for v in views) or any(
        r.state == LoopState.REFUSED for r in loops
    ):
        status = "degraded"
    if runner.report.state == LoopState.RETRYING:
        status = "unavailable"
        response.status_code = 503
        response.headers["Retry-After"] = "2"
    return Health(status=status, storage=backend, position=position, views=views, loops=loop_states)


@router.get("/health/live")
def live() -> Liveness:
    """Liveness: answers without touching storage (also the benchmark's baseline)."""
    return Liveness(status="ok")
