"""A project's records as a file: JSON Lines or CSV (UTF-8 with BOM), as ``accord export`` writes
them (see :mod:`ledger.interchange.exports`), for any member of the project.

The ``open-items`` and ``audit`` views are answered by the server's projections: the route
waits (a few seconds at most) until they have applied every event recorded before the request,
so an export never misses what was just recorded; 503 if they have not.

The file is written whole to a temporary file first (in memory up to a few MiB, then on disk)
and then streamed: a failure is an error answer, never half a file.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Annotated, Literal

from fastapi import Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.bootstrap import Services
from api.deps import ProjectAccess, ProjectMember, ServicesDep
from api.problems import READ_RESPONSES, Problem
from api.routers.queries import live_views
from api.routing import ResourceRouter
from ledger.interchange.exports import ExportFormat, export
from projections.exports import export_views

router = ResourceRouter(prefix="/v1/projects/{project_id}", tags=["exports"])

ViewName = Literal["events", "commitments", "open-items", "audit"]
#: The views answered by the projections (the others are read from the ledger itself).
PROJECTED = frozenset({"open-items", "audit"})
MEDIA_TYPES = {
    ExportFormat.JSONL: "application/jsonl; charset=utf-8",
    ExportFormat.CSV: "text/csv; charset=utf-8; header=present",
}
#: Kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 8 << 20
CHUNK = 256 << 10

RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {
            "application/jsonl": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
        "description": "The file (as an attachment).",
        "headers": {
            "Accord-Export-Rows": {
                "description": "How many rows the file has (header line not counted).",
                "schema": {"type": "integer"},
            }
        },
    },
    **READ_RESPONSES,
    503: {"model": Problem, "description": "The read models have not caught up yet; retry."},
}


@router.get("/export", responses=RESPONSES, response_class=StreamingResponse)
async def export_project(
    access: ProjectMember,
    services: ServicesDep,
    view: Annotated[
        ViewName,
        Query(
            description="`events` (every event), `commitments` (each as it stands), "
            "`open-items` (what is open and whose move it is), `audit` (who recorded what)."
        ),
    ] = "events",
    format: Annotated[
        ExportFormat,
        Query(description="`jsonl` (one JSON object a line) or `csv` (UTF-8 with BOM)."),
    ] = ExportFormat.JSONL,
) -> StreamingResponse:
    """Download one view of the project as JSON Lines or CSV: ISO 8601 times, exact amounts;
    CSV opens cleanly in a spreadsheet (formula-like cells are quoted with `'`)."""
    out, rows = await run_in_threadpool(_write, services, access, view, format)
    today = datetime.now(UTC).date().isoformat()
    name = f"{_slug(access.project.name)}-{view}-{today}.{format.value}"
    return StreamingResponse(
        _chunks(out),
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Accord-Export-Rows": str(rows),
        },
    )


def _write(
    services: Services, access: ProjectAccess, view: str, format: ExportFormat
) -> tuple[IO[bytes], int]:
    if view in PROJECTED:
        live_views(services, services.runner.head())  # 503 if they do not get there in time
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (streamed, closed)
    try:
        rows = export(
            services.ledger,
            access.project_id,
            out,
            view=view,
            format=format,
            views=export_views(services.runner),
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, rows


def _chunks(out: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := out.read(CHUNK):
            yield chunk
    finally:
        out.close()


def _slug(name: str) -> str:
    """A file-name-safe, ASCII form of a project's name."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "project"
