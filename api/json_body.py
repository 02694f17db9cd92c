"""Request bodies the API cannot read, answered with what to do (docs/api.md, "Errors"):

* a body sent without ``Content-Type: application/json`` (or a ``+json`` type) — ``415``
  naming the type expected and the one received (:class:`JsonContentTypeMiddleware`; the
  import routes take ``multipart/form-data`` and are left alone);
* malformed JSON — ``400`` naming the line and column (:func:`malformed_json_detail`);
* bytes that are not UTF-8 — ``400`` naming UTF-8 and the first bad byte
  (:func:`undecodable_detail`).

FastAPI would answer the first with a ``422`` about the body's shape ("Input should be a valid
dictionary"), the second with a ``422`` without a position and the third with "There was an
error parsing the body".
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_bytes

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(value: str) -> bool:
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class JsonContentTypeMiddleware:
    """Answers ``415`` to a ``POST``/``PUT``/``PATCH`` of the JSON API (``/v1/``) whose non-empty
    body is not declared as JSON, before the route reads it (headers only: nothing is buffered).
    The web app's forms (outside ``/v1/``) and the uploads (``except_paths``) are left alone."""

    def __init__(self, app: ASGIApp, *, except_paths: str, api_prefix: str = "/v1/") -> None:
        self.app = app
        self._except = re.compile(except_paths)
        self._prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _WITH_BODY
            and scope["path"].startswith(self._prefix)
            and not self._except.match(scope["path"])
        ):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            has_body = (length is not None and length.strip() not in (b"", b"0")) or (
                b"transfer-encoding" in headers
            )
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if has_body and not is_json_media_type(content_type):
                got = f"got {content_type!r}" if content_type else "got no Content-Type"
                status, body = problem_bytes(
                    "unsupported-media-type",
                    f"send the body as JSON with Content-Type: application/json ({got})",
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"accept-post", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def line_and_column(document: str, position: int) -> tuple[int, int]:
    """1-based line and column of ``position`` in ``document`` (as :mod:`json` counts them)."""
    line = document.count("\n", 0, position) + 1
    column = position - (document.rfind("\n", 0, position) + 1) + 1
    return line, column


def malformed_json_detail(document: object, position: object, message: object) -> str:
    """``the body is not valid JSON: Expecting ',' delimiter at line 3, column 5``."""
    reason = str(message) if message else "cannot be parsed"
    if isinstance(document, str) and isinstance(position, int):
        line, column = line_and_column(document, position)
        return f"the body is not valid JSON: {reason} at line {line}, column {column}"
    return f"the body is not valid JSON: {reason}"


def undecodable_detail(error: UnicodeDecodeError) -> str:
    """``the body is not UTF-8: byte 0xe9 at offset 12 ...``."""
    bad = error.object[error.start : error.start + 1].hex()
    return (
        f"the body is not UTF-8: byte 0x{bad} at offset {error.start} cannot be decoded "
        "(send JSON encoded as UTF-8)"
    )
