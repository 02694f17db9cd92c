"""The originals the ledger holds — imported emails, their attachments, minutes — by digest.

A member may download a document that an item of their project references (the index of
:mod:`api.item_index` knows which). The bytes are exactly those stored, checked against the
digest on the way out, and always sent as an attachment, never rendered: an imported email's
HTML was written by a stranger.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Path, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import ProjectMember, ServicesDep
from api.problems import READ_RESPONSES, ApiProblem
from api.routing import ResourceRouter
from ledger.storage.documents import StoredDocument

router = ResourceRouter(prefix="/v1/projects/{project_id}", tags=["documents"])

Digest = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{64}$",
        description="The document's SHA-256, 64 lower-case hex digits (as events reference it).",
    ),
]


@router.get(
    "/documents/{sha256}",
    responses={
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            "description": "The original bytes, with their media type when known.",
        },
        **READ_RESPONSES,
    },
    response_class=Response,
)
async def get_document(access: ProjectMember, services: ServicesDep, sha256: Digest) -> Response:
    """An original (email, attachment, minutes) referenced by an item of the project, byte for
    byte: its SHA-256 is its name."""

    def load() -> StoredDocument | None:
        if services.index.document_item(access.project_id, sha256) is None:
            return None
        return services.documents.load(sha256)

    found = await run_in_threadpool(load)
    if found is None:
        raise ApiProblem("not-found", f"no document {sha256} held for this project")
    return Response(
        found.data,
        media_type=found.media_type or "application/octet-stream",
        headers={
            "Content-Disposition": attachment(found.filename or sha256[:16]),
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` for ``filename``: an ASCII fallback, and the name itself in
    RFC 8187 form for clients that read it."""
    name = filename[:150]
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
