"""Forms for the everyday steps that create something: record a call or a message, make a
commitment, raise a change request, upload minutes or a mailbox. (Steps on an existing item —
fulfil, withdraw, assess, approve, reject, circulate — are on the item's own page.)

Each form posts to the same command of the service layer as its JSON route; the actor is the
signed-in person. Auditors, who only read, are not offered the forms and are refused them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import ProjectAccess
from api.routing import ResourceRouter
from api.web.core import Web, WebError, redirect, web_of
from api.web.routers.history import moment
from api.web.routers.projects import names
from api.web.routers.subjects import attempt
from ledger.domain.interaction import InteractionChannel
from ledger.interchange.importing import Mbox, SourceError, import_emails
from ledger.interchange.importing.minutes import MinutesParseError, import_minutes

router = ResourceRouter(include_in_schema=False)

FORMS = ("interaction", "commitment", "change-request", "minutes", "mailbox")
#: The web forms that carry a file: the body limit lets them be as large as the API's imports.
UPLOAD_PATHS = r"^/projects/[^/]+/record/(minutes|mailbox)$"


def _recorder(web: Web, project_id: UUID) -> ProjectAccess:
    access = web.project(project_id)
    if not access.role.may_record:
        raise WebError(403, web.gettext("Auditors read; they do not record."))
    return access


def _render(
    web: Web,
    access: ProjectAccess,
    form: str,
    values: dict[str, Any],
    error: str | None,
    status: int = 200,
) -> Response:
    expectations = []
    if form == "change-request":
        for row in web.services.index.items(access.project_id, "expectation", after=0, limit=200):
            expectations.append(web.services.ledger.get_expectation(access.project_id, row.item_id))
    return web.render(
        "record.html",
        status=status,
        access=access,
        project=access.project,
        name=names(web, access.project),
        form=form,
        forms=FORMS,
        values=values,
        error=error,
        channels=[c.value for c in InteractionChannel],
        members=sorted(access.project.members.values(), key=lambda m: m.name or m.email),
        expectations=[e for e in expectations if str(e.state) == "active"],
    )


@router.get("/projects/{project_id}/record/{form}")
def record_page(request: Request, project_id: UUID, form: str) -> Response:
    web = web_of(request)
    access = _recorder(web, project_id)
    if form not in FORMS:
        raise WebError(404, web.gettext("There is no such page."))
    return _render(web, access, form, {}, None)


@router.post("/projects/{project_id}/record/{form}")
async def record(request: Request, project_id: UUID, form: str) -> Response:
    data = await request.form()
    uploads: dict[str, tuple[str, bytes]] = {}
    for key in ("file",):
        upload = data.get(key)
        if upload is not None and hasattr(upload, "read"):
            uploads[key] = (getattr(upload, "filename", None) or "upload", await upload.read())

    def run() -> Response:
        web = web_of(request)
        access = _recorder(web, project_id)
        web.check_csrf(data)
        if form not in FORMS:
            raise WebError(404, web.gettext("There is no such page."))
        values = {k: str(v) for k, v in data.items() if isinstance(v, str) and k != "csrf"}
        done: dict[str, str] = {}
        outcome = attempt(web, lambda: done.update(_record(web, access, form, data, uploads)))
        if outcome is not None:
            return _render(web, access, form, values, outcome[1], outcome[0])
        return redirect(done.get("next", f"/projects/{project_id}"))

    return await run_in_threadpool(run)


def _record(
    web: Web, access: ProjectAccess, form: str, data: Any, uploads: dict[str, tuple[str, bytes]]
) -> dict[str, str]:
    ledger = web.services.ledger
    me, pid = access.email, access.project_id

    def text(name: str) -> str:
        return str(data.get(name, "") or "").strip()

    def people(name: str) -> list[str]:
        return [str(v).strip().lower() for v in data.getlist(name) if str(v).strip()]

    base = f"/projects/{pid}/items"
    if form == "interaction":
        result = ledger.record_interaction(
            me,
            pid,
            channel=text("channel") or "phone",
            subject=text("subject"),
            summary=text("summary"),
            from_address=text("from") or me,
            to=people("to"),
            occurred_at=moment(web, text("occurred_at"), "occurred_at"),
        )
        return {"next": f"{base}/interactions/{result.id}"}
    if form == "commitment":
        result = ledger.make_commitment(
            me,
            pid,
            promisor=text("promisor") or me,
            promisee=text("promisee"),
            statement=text("statement"),
            due_at=moment(web, text("due_at"), "due_at", end_of_day=True),
            attributed_to=(text("promisor") if text("promisor") not in ("", me) else None),
        )
        return {"next": f"{base}/commitments/{result.id}"}
    if form == "change-request":
        result = ledger.request_change(
            me,
            pid,
            title=text("title"),
            description=text("description"),
            rationale=text("rationale"),
            affected_expectations=[UUID(v) for v in people("affected")],
        )
        return {"next": f"{base}/change-requests/{result.id}"}
    if form == "minutes":
        if "file" not in uploads:
            raise ValueError(web.gettext("%(field)s: choose a file.", field="file"))
        filename, content = uploads["file"]
        try:
            imported = import_minutes(
                ledger, pid, me, content, filename=filename, documents=web.services.documents
            )
        except MinutesParseError as e:
            lines = "; ".join(f"line {x.line}: {x.message}" for x in e.errors)
            raise ValueError(lines or str(e)) from None
        return {"next": f"{base}/meetings/{imported.meeting_id}"}
    if form == "mailbox":
        if "file" not in uploads:
            raise ValueError(web.gettext("%(field)s: choose a file.", field="file"))
        filename, content = uploads["file"]
        try:
            source = Mbox(content, name=filename)
            source.count()
            import_emails(ledger, pid, me, source, documents=web.services.documents)
        except SourceError as e:
            raise ValueError(str(e)) from None
        return {"next": f"/projects/{pid}/timeline?kind=interactions"}
    raise WebError(404, web.gettext("There is no such page."))
