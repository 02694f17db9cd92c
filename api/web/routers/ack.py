"""Acknowledge by link: the page a recipient opens from their personal link, without an
account. It shows what they are asked to confirm and offers "I acknowledge" / "I dispute" with a
comment; the event's actor is the link's person (the link is their credential)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.routers.documents import attachment
from api.routing import ResourceRouter
from api.web.core import Web, WebError, web_of
from api.web.links import kind_of_type
from api.web.routers.projects import names
from api.web.routers.subjects import _ACK_KINDS, attempt, digests, load, title_of
from ledger.domain.acknowledgement import AcknowledgementState

router = ResourceRouter(include_in_schema=False)


def _open(web: Web, token: str) -> tuple[Any, Any, Any]:
    link = web.ack_links.open(token)
    if link is None:
        raise WebError(
            404, web.gettext("This link is not valid: it may have expired or been revoked.")
        )
    ledger = web.services.ledger
    project = ledger.get_project(link.project_id)
    if link.email not in project.members:
        raise WebError(
            404, web.gettext("This link is not valid: it may have expired or been revoked.")
        )
    request = ledger.get_acknowledgement_request(link.project_id, link.request_id)
    return link, project, request


def _render(web: Web, token: str, error: str | None = None, status: int = 200) -> Response:
    link, project, request = _open(web, token)
    kind = kind_of_type(_ACK_KINDS.get(str(request.subject_kind), "")) or ""
    subject: dict[str, Any] = {}
    title = str(request.subject_id)
    if kind:
        _, public = load(web.services.ledger, kind, link.project_id, request.subject_id)
        subject = public.model_dump(mode="json")
        title = title_of(kind, subject)
    return web.render(
        "ack.html",
        status=status,
        project=project,
        name=names(web, project),
        link=link,
        token=token,
        request=request,
        kind=kind,
        subject=subject,
        title=title,
        documents=sorted(digests(subject)),
        answered=request.state is not AcknowledgementState.REQUESTED,
        form_key=web.ack_links.form_key(link),
        error=error,
    )


@router.get("/ack/{token}")
def ack_page(request: Request, token: str) -> Response:
    return _render(web_of(request), token)


@router.get("/ack/{token}/documents/{sha256}")
def ack_document(request: Request, token: str, sha256: str) -> Response:
    """An original document of the subject the link is about (its minutes file, an email),
    for the link's person: never another document of the project."""
    web = web_of(request)
    link, _, ack = _open(web, token)
    kind = kind_of_type(_ACK_KINDS.get(str(ack.subject_kind), "")) or ""
    wanted: set[str] = set()
    if kind:
        _, public = load(web.services.ledger, kind, link.project_id, ack.subject_id)
        wanted = digests(public.model_dump(mode="json"))
    found = web.services.documents.load(sha256) if sha256 in wanted else None
    if found is None:
        raise WebError(404, web.gettext("There is no such page."))
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": attachment(found.filename or sha256[:16]),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.post("/ack/{token}")
async def ack_answer(request: Request, token: str) -> Response:
    form = await request.form()

    def run() -> Response:
        web = web_of(request)
        link, _, ack = _open(web, token)
        if not hmac.compare_digest(str(form.get("form_key", "")), web.ack_links.form_key(link)):
            raise WebError(403, web.gettext("This form has expired. Go back, reload and retry."))
        answer = str(form.get("answer", ""))
        comment = str(form.get("comment", "")).strip()
        ledger = web.services.ledger
        if answer == "acknowledge":
            outcome = attempt(
                web,
                lambda: ledger.acknowledge(link.email, link.project_id, ack.id, comment=comment),
            )
        elif answer == "dispute":
            if not comment:
                return _render(web, token, web.gettext("Say why you dispute it."), 400)
            outcome = attempt(
                web,
                lambda: ledger.dispute_acknowledgement(
                    link.email, link.project_id, ack.id, reason=comment
                ),
            )
        else:
            outcome = (400, web.gettext("Choose to acknowledge or to dispute."))
        if outcome is not None:
            return _render(web, token, outcome[1], outcome[0])
        return _render(web, token)

    return await run_in_threadpool(run)
