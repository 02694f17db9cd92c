"""Every error as an RFC 9457 ``application/problem+json`` document.

The ledger's domain errors, request validation errors, HTTP errors of the framework and anything
unexpected all end here, so a client always gets ``type``, ``title``, ``status`` and ``detail``
(and ``field`` naming the offending input of a 422) — never a stack trace.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ledger.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    NotPermittedError,
    ProjectClosedError,
)
from ledger.domain.project import NotAMemberError
from ledger.service.base import VersionMismatchError

log = logging.getLogger("accord.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://accord.dev/problems/"


class FieldError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="The offending input, e.g. `due_at` or `items[2].channel`.")
    message: str = Field(description="What is wrong with it.")
    line: int | None = Field(
        default=None, description="For an uploaded file: the line (from 1) the error is on."
    )


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="A URI naming the kind of problem (see docs/api.md).")
    title: str = Field(description="A short human summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this case, for a human.")
    field: str | None = Field(
        default=None, description="For validation errors: the first offending input."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="For request validation errors: every offending input."
    )


#: slug → (status, title)
KINDS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "The request could not be read"),
    "unauthenticated": (401, "A valid bearer token is required"),
    "forbidden": (403, "Not permitted"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "invalid-transition": (409, "Not possible in the item's current state"),
    "project-closed": (409, "The project is closed"),
    "conflict": (409, "Changed by someone else at the same time"),
    "idempotency-key-in-use": (409, "A request with this Idempotency-Key is still running"),
    "precondition-failed": (412, "The item has changed since you read it"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Send the request body as application/json"),
    "validation": (422, "The request is not valid"),
    "invalid-input": (422, "An input is not valid"),
    "idempotency-key-reused": (422, "The Idempotency-Key was used for a different request"),
    "internal": (500, "Internal error"),
    "views-behind": (503, "The read models have not caught up yet"),
    "outcome-unknown": (503, "Whether the write was stored is not known yet"),
    "storage-unavailable": (503, "The database is not answering"),
    "signing-key-unusable": (503, "The server cannot sign checkpoints"),
}


class ApiProblem(Exception):
    """Raise to answer with a problem of kind ``slug``."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None


def problem_response(
    slug: str,
    detail: str,
    *,
    field: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    status, title = KINDS[slug]
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    if errors is not None:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def problem_bytes(slug: str, detail: str) -> tuple[int, bytes]:
    """Status and body of a problem, for the ASGI middleware that answers without a Response."""
    status, title = KINDS[slug]
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    return status, orjson.dumps(body)


# ------------------------------------------------------------------------------ mapping


def domain_problem(error: DomainError) -> Response:
    """The answer to a domain error of the ledger."""
    if isinstance(error, InvalidInputError):
        return problem_response("invalid-input", str(error), field=error.field)
    if isinstance(error, NotAMemberError):
        # "promisor: x@y is not a member": an input that names someone outside the project.
        field, _, _ = str(error).partition(":")
        return problem_response("invalid-input", str(error), field=field.strip() or None)
    if isinstance(error, NotPermittedError):
        return problem_response("forbidden", str(error), field=error.field)
    if isinstance(error, NotFoundError):
        return problem_response("not-found", str(error))
    if isinstance(error, VersionMismatchError):
        return problem_response("precondition-failed", str(error))
    if isinstance(error, ConflictError):
        return problem_response("conflict", str(error))
    if isinstance(error, ProjectClosedError):
        return problem_response("project-closed", str(error))
    if isinstance(error, InvalidTransitionError):
        return problem_response("invalid-transition", str(error))
    return problem_response("bad-request", str(error))


def _field_of(loc: Sequence[int | str]) -> str:
    """``("body", "items", 2, "channel")`` → ``items[2].channel``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def validation_problem(errors: Sequence[Any]) -> Response:
    field_errors = [
        FieldError(
            field="body" if e.get("type") == "json_invalid" else _field_of(e.get("loc", ())),
            message=str(e.get("msg", "is not valid")),
        )
        for e in errors
    ]
    first = field_errors[0] if field_errors else FieldError(field="body", message="is not valid")
    return problem_response(
        "validation",
        f"{first.field}: {first.message}",
        field=first.field,
        errors=field_errors,
    )


_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation",
}


def install_problem_handlers(app: FastAPI) -> None:
    async def on_api_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return problem_response(
            exc.slug, exc.detail, field=exc.field, headers=exc.headers, errors=exc.errors
        )

    async def on_domain_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return domain_problem(exc)

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if errors and errors[0].get("type") == "json_invalid":
            from api.json_body import malformed_json_detail

            loc = errors[0].get("loc", ())
            detail = malformed_json_detail(
                exc.body, loc[1] if len(loc) > 1 else None, errors[0].get("ctx", {}).get("error")
            )
            return problem_response("bad-request", detail, field="body")
        return validation_problem(errors)

    async def on_http(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc.__cause__, UnicodeDecodeError):
            from api.json_body import undecodable_detail

            return problem_response("bad-request", undecodable_detail(exc.__cause__), field="body")
        slug = _HTTP_SLUGS.get(exc.status_code)
        if slug is None:
            return problem_response("bad-request", str(exc.detail))
        detail = exc.detail if isinstance(exc.detail, str) else KINDS[slug][1]
        if slug == "not-found" and detail == "Not Found":
            detail = "no such resource"
        return problem_response(slug, detail, headers=exc.headers)

    async def on_anything(_: Request, exc: Exception) -> Response:
        reference = f"E-{secrets.token_hex(4)}"
        log.error("unexpected error %s", reference, exc_info=exc)
        return problem_response(
            "internal",
            f"an unexpected error occurred; it has been logged as {reference} "
            "(quote it when you report this)",
        )

    app.add_exception_handler(ApiProblem, on_api_problem)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_anything)


@contextmanager
def referenced(field: str, *errors: type[Exception]) -> Iterator[None]:
    """Within the block, an item named in the request *body* that is not found is an invalid
    input (422 naming ``field``), not a missing resource (404 is for the path)."""
    try:
        yield
    except errors as e:
        raise InvalidInputError(field, str(e)) from None


# ------------------------------------------------------------------------------ OpenAPI


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid bearer token."),
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: _problem("No such item, or a project you are not a member of."),
    422: _problem("A path or query parameter is not valid."),
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    400: _problem("The body could not be read: malformed JSON (line and column), not UTF-8."),
    403: _problem("Your role or part in the item does not allow this step."),
    409: _problem(
        "Not possible in the item's current state, the project is closed, someone else "
        "changed it at the same time, or the same Idempotency-Key is still running."
    ),
    413: _problem("The body is larger than the server accepts."),
    415: _problem("The body is not declared as JSON (`Content-Type: application/json`)."),
    422: _problem("The body or a parameter is not valid; `field` names the input."),
}
STEP_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    412: _problem("`If-Match` names a version the item is no longer at."),
}


def problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every error response of the OpenAPI document the problem+json media type."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if status[:1] in "45" and content and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema
