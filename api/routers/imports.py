"""The imports of ``accord import``, over HTTP for people without a shell: an mbox file (also
gzip, bzip2 or xz compressed), message files (``.eml``, Outlook ``.msg``, zip files of them,
recognised by content), or Markdown minutes, uploaded as ``multipart/form-data``.

Each import is recorded by the caller (the credential's person; auditors may not import) and
works exactly as on the command line (see docs/importing.md): originals kept byte for byte and
hashed, threads rebuilt, each message stored atomically, duplicates recognised. Sending the same
upload again records nothing new, so a client whose request timed out simply sends it again.

Uploads may be larger than other bodies (``ACCORD_MAX_UPLOAD_BYTES``, 64 MiB by default); a
larger mailbox is imported with ``accord import mbox`` on the server, or in parts. The import
runs while the request waits: about 600 messages a second on SQLite (docs/performance.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.deps import ProjectAccess, ProjectRecorder, ServicesDep
from api.problems import WRITE_RESPONSES, ApiProblem, FieldError, Problem
from api.routers.common import IDEMPOTENT, item_url
from api.routing import ResourceRouter
from api.schemas.imports import (
    EmailImportPublic,
    ImportNote,
    MessageOutcome,
    MinutesImportPublic,
)
from ledger.interchange.importing import (
    EmailImportSummary,
    Files,
    Mbox,
    MessageSource,
    SourceError,
    import_emails,
)
from ledger.interchange.importing.minutes import MinutesParseError, import_minutes

router = ResourceRouter(prefix="/v1/projects/{project_id}/imports", tags=["imports"])

#: Paths whose bodies may be as large as ``Settings.max_upload_bytes``.
UPLOAD_PATHS = r"^/v1/projects/[^/]+/imports/"
#: How many .eml files one request may carry.
MAX_FILES = 1_000

EMAIL_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "The import ran; what became of each message."},
    **WRITE_RESPONSES,
    413: {
        "model": Problem,
        "description": "The upload is larger than the server accepts (`ACCORD_MAX_UPLOAD_BYTES`).",
    },
}
MINUTES_RESPONSES: dict[int | str, dict[str, object]] = {
    201: {
        "description": "The meeting, its minutes, decisions and commitments were recorded.",
        "headers": {
            "Location": {"description": "The meeting's URL.", "schema": {"type": "string"}}
        },
    },
    200: {"description": "The same file was imported before: nothing new was recorded."},
    **WRITE_RESPONSES,
    413: EMAIL_RESPONSES[413],
    422: {
        "model": Problem,
        "description": "The minutes are not in the documented form: `errors` name each line.",
    },
}


@router.post("/mbox", responses=EMAIL_RESPONSES, dependencies=[IDEMPOTENT])
async def import_mbox(
    access: ProjectRecorder,
    services: ServicesDep,
    file: Annotated[
        UploadFile,
        File(description="The mbox file (one mailbox, `From ` lines), or it gzip, bzip2 or xz."),
    ],
) -> EmailImportPublic:
    """Import every message of an mbox file as an email interaction, its original kept."""
    data = await file.read()
    try:
        source: MessageSource = Mbox(data, name=file.filename or "upload.mbox")
        source.count()  # is it an mbox at all?
    except SourceError as e:
        raise ApiProblem("invalid-input", str(e), field="file") from None
    return await _import_emails(access, services, source)


@router.post("/eml", responses=EMAIL_RESPONSES, dependencies=[IDEMPOTENT])
async def import_eml(
    access: ProjectRecorder,
    services: ServicesDep,
    files: Annotated[
        list[UploadFile],
        File(
            description=f"One or more files (at most {MAX_FILES}): messages (`.eml` or any "
            "name), Outlook `.msg` files, mbox files or zip files of them, recognised by "
            "content."
        ),
    ],
) -> EmailImportPublic:
    """Import message files as email interactions, their originals kept; replies among them
    are linked whatever order they come in."""
    if not files:
        raise ApiProblem("invalid-input", "send at least one .eml file", field="files")
    if len(files) > MAX_FILES:
        raise ApiProblem(
            "invalid-input", f"send at most {MAX_FILES} files a request", field="files"
        )
    messages = []
    for number, upload in enumerate(files, start=1):
        messages.append((upload.filename or f"message {number}", await upload.read()))
    return await _import_emails(access, services, Files.from_uploads(messages))


async def _import_emails(
    access: ProjectAccess, services: ServicesDep, source: MessageSource
) -> EmailImportPublic:
    try:
        summary: EmailImportSummary = await run_in_threadpool(
            import_emails,
            services.ledger,
            access.project_id,
            access.email,
            source,
            documents=services.documents,
        )
    except SourceError as e:
        raise ApiProblem("invalid-input", str(e), field="file") from None
    return EmailImportPublic(
        messages=summary.messages,
        imported=summary.imported,
        duplicates=summary.duplicates,
        variants=summary.variants,
        rejected=len(summary.rejected),
        delivery_failures=summary.delivery_failures,
        attachments=summary.attachments,
        replies_linked=summary.replies_linked,
        replies_unlinked=summary.replies_unlinked,
        replies_relinked=summary.replies_relinked,
        members=sorted(summary.members),
        external_addresses=sorted(summary.external_addresses),
        results=[
            MessageOutcome(
                where=r.where,
                outcome=r.outcome.value,
                interaction_id=r.interaction_id,
                reason=r.reason,
            )
            for r in summary.results
        ],
        notes=[ImportNote(where=where, note=note) for where, note in summary.notes],
        skipped=[ImportNote(where=where, note=note) for where, note in summary.skipped],
    )


@router.post(
    "/minutes",
    responses=MINUTES_RESPONSES,
    dependencies=[IDEMPOTENT],
    response_model=MinutesImportPublic,
    status_code=201,
)
async def import_minutes_file(
    access: ProjectRecorder,
    services: ServicesDep,
    file: Annotated[
        UploadFile, File(description="The minutes, in the Markdown form of docs/importing.md.")
    ],
) -> Response:
    """Import Markdown minutes as a meeting with its minutes, decisions and commitments (one
    for each action item), the file kept as the minutes' source."""
    try:
        result = await run_in_threadpool(
            import_minutes,
            services.ledger,
            access.project_id,
            access.email,
            await file.read(),
            filename=file.filename,
            documents=services.documents,
        )
    except MinutesParseError as e:
        errors = [FieldError(field="file", line=x.line, message=x.message) for x in e.errors]
        raise ApiProblem(
            "invalid-input",
            f"the minutes have {len(errors)} error(s): {e}",
            field="file",
            errors=errors,
        ) from None
    public = MinutesImportPublic.model_validate(result, from_attributes=True)
    if public.already_imported:
        return Response(public.model_dump_json(), media_type="application/json")
    location = item_url(access, "meetings", public.meeting_id)
    return Response(
        public.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": location},
    )
