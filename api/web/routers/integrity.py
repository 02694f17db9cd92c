"""The integrity page: the latest signed checkpoint, the key's fingerprint, and "verify this
subject" — each of its events' inclusion proof checked against the signed checkpoint's root.

JSON twins: ``/v1/log/checkpoint``, ``/v1/log/key``, ``/v1/log/proofs/inclusion``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request
from fastapi.responses import Response

from api.routing import ResourceRouter
from api.web.core import WebError, web_of
from api.web.links import subject_url
from api.web.routers.projects import names
from ledger.integrity.merkle import ProofError, verify_inclusion
from ledger.integrity.signing import open_note
from projections import queries as q
from projections.asof import LiveViews

router = ResourceRouter(include_in_schema=False)


@router.get("/projects/{project_id}/integrity")
def integrity(
    request: Request,
    project_id: UUID,
    subject: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    web = web_of(request)
    access = web.project(project_id)
    service = web.services.integrity
    checkpoint = service.latest_checkpoint()
    verifier = service.verifier
    signature_ok = False
    if checkpoint is not None:
        try:
            open_note(checkpoint.note, [verifier])
            signature_ok = True
        except Exception:
            signature_ok = False
    results: list[dict[str, Any]] | None = None
    subject_id = None
    if subject:
        try:
            subject_id = UUID(subject.strip())
        except ValueError:
            raise WebError(
                400, web.gettext("%(field)s: give an item's id.", field="subject")
            ) from None
        rows, _ = q.audit(
            LiveViews(web.services.runner),
            str(project_id),
            q.AuditFilter(subject=str(subject_id)),
            None,
            q.MAX_PAGE,
        )
        narrated = {row["position"]: row for row in rows}
        results = []
        # The leaf of each event is computed here from the event as stored, then its proof
        # must lead to the signed root: an edited event or a forged proof fails.
        for record in service.events.of_originators([subject_id]):
            row = narrated.get(record.position)
            if row is None:
                continue  # not an event of this project (the audit view is by project)
            result: dict[str, Any] = {"row": row, "ok": False, "reason": ""}
            if checkpoint is None or record.position > checkpoint.size:
                result["reason"] = web.gettext("Not yet in a signed checkpoint.")
            else:
                try:
                    proof = service.inclusion_proof(record.position, checkpoint.size)
                    verify_inclusion(
                        record.leaf_hash(),
                        proof.leaf_index,
                        proof.tree_size,
                        proof.path,
                        checkpoint.root,
                    )
                    result.update(ok=True, leaf_index=proof.leaf_index, path=len(proof.path))
                except (ProofError, LookupError, ValueError) as e:
                    result["reason"] = str(e)
            results.append(result)
    return web.render(
        "integrity.html",
        access=access,
        project=access.project,
        name=names(web, access.project),
        checkpoint=checkpoint,
        signature_ok=signature_ok,
        fingerprint=verifier.fingerprint,
        vkey=verifier.vkey,
        subject=subject or "",
        subject_id=subject_id,
        results=results,
        subject_url=lambda t, i: subject_url(project_id, t, i),
    )
