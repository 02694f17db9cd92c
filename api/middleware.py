"""ASGI middleware: the body size limit, and Idempotency-Key handling for POSTs.

Both sit outside FastAPI and answer with problem documents themselves. The limit counts the body
as it streams by; the Idempotency-Key handling reads a keyed request's body whole (to fingerprint
it) and hands it on.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from urllib.parse import parse_qsl

from anyio import to_thread
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.idempotency import (
    Claim,
    IdempotencyStore,
    Outcome,
    StoredAnswer,
    fingerprint,
    valid_key,
)
from api.problems import PROBLEM_MEDIA_TYPE, problem_bytes
from api.storage_faults import OUTCOME_HEADER, RETRY_AFTER_SECONDS, UNAVAILABLE
from api.tokens import Principal
from ledger.storage import outcome
from ledger.storage.outcome import PendingWrites

#: Where the middleware leaves the authenticated principal for the dependencies.
PRINCIPAL_STATE_KEY = "accord_principal"
#: Response headers kept with an idempotent answer and sent again on replay.
_REPLAYED_HEADERS = frozenset({"content-type", "etag", "location", "accord-position"})


async def _send_problem(
    send: Send, slug: str, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    status, body = problem_bytes(slug, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _without_boundary(body: bytes, content_type: str) -> bytes:
    """A multipart body with its boundary replaced by a fixed one: a client that retries an
    upload encodes it again with a new random boundary, and it is still the same request."""
    if not content_type.lower().startswith("multipart/"):
        return body
    match = _BOUNDARY.search(content_type)
    if match is None:
        return body
    boundary = (match.group(1) or match.group(2)).encode("latin-1")
    return body.replace(b"--" + boundary, b"--accord-boundary")


_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``limit`` bytes with 413, whether or not they say
    their length up front; paths matching ``upload_paths`` may send up to ``upload_limit``.

    The body is not held here: it is counted as it streams to the app (an upload goes on to
    the multipart parser, which spools it to disk). When the count passes the limit, reading on
    raises :class:`PayloadTooLargeError`, an HTTP 413 that the app answers as a problem; if
    nothing has been answered yet when it reaches this middleware, it answers it here."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        upload_limit: int | None = None,
        upload_paths: str | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit if upload_limit is not None else limit
        self.upload_paths = re.compile(upload_paths) if upload_paths else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if self.upload_paths is not None and self.upload_paths.match(scope["path"]):
            limit = self.upload_limit
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                await _send_problem(send, "bad-request", "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _send_problem(send, "payload-too-large", _too_large(limit))
                return
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise PayloadTooLargeError(limit)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except PayloadTooLargeError:
            if started:
                raise
            await _send_problem(send, "payload-too-large", _too_large(limit))


#: Answers a refused address as a page for the paths it claims (the web app's): given the
#: request's scope and the part of the address at fault (``path`` or a query parameter's name),
#: the ASGI app that answers, or ``None`` for a path that is not a page (the JSON API).
PageRefusal = Callable[[Scope, str], ASGIApp | None]


class NulGuardMiddleware:
    """Refuse a NUL character in the path or a query parameter, naming it: no text of the
    ledger holds one, and PostgreSQL cannot even compare against one (a query with it would
    fail as an error of the server's). Nothing with NUL reaches a handler: the JSON API answers
    422 problem+json; a path of the web app, with ``page``, its own error page (400)."""

    def __init__(self, app: ASGIApp, *, page: PageRefusal | None = None) -> None:
        self.app = app
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = _nul_field(scope)
            if field is not None:
                answer = self.page(scope, field) if self.page is not None else None
                if answer is not None:
                    await answer(scope, receive, send)
                else:
                    await _send_problem(send, "validation", f"{field}: must not contain NUL (%00)")
                return
        await self.app(scope, receive, send)


def _nul_field(scope: Scope) -> str | None:
    """``path``, or the name of the first query parameter holding NUL, or ``None``."""
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", "") or "query"  # a name of NUL alone
    return None


#: Deepest JSON nesting a request body may have: the ledger's inputs need a few levels; a
#: deeper body is refused (400) before any parser or encoder meets its recursion limit.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def json_depth(body: bytes) -> int:
    """How deeply ``body`` (JSON text, valid or not) nests arrays and objects."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: not worth a scan
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    depth = deepest = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class JsonDepthMiddleware:
    """Refuse a JSON request body nested deeper than :data:`MAX_JSON_DEPTH` with 400, on every
    route, with or without an Idempotency-Key (outermost but for the body limit)."""

    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "").lower()
        if "json" not in content_type:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)  # its size is bounded by BodyLimitMiddleware
        if json_depth(body) > self.max_depth:
            await _send_problem(
                send,
                "bad-request",
                f"body: the JSON is nested more than {self.max_depth} levels deep",
            )
            return
        await self.app(scope, _replay(body), send)


class PayloadTooLargeError(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


class IdempotencyMiddleware:
    """Claim, replay or refuse POSTs that carry an ``Idempotency-Key`` (see
    :mod:`api.idempotency`). Requests without a valid bearer token pass through untouched
    (the endpoint answers 401)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: IdempotencyStore,
        authenticate: Callable[[str], Principal | None],
    ) -> None:
        self.app = app
        self.store = store
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not valid_key(key):
            await _send_problem(
                send,
                "validation",
                "Idempotency-Key: use 1 to 255 printable ASCII characters",
            )
            return
        body = await _read_body(receive)  # its size is bounded by BodyLimitMiddleware
        request_fingerprint = fingerprint(
            "POST",
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            _without_boundary(body, headers.get("content-type", "")),
        )
        authorization = headers.get("authorization", "")
        # One trip to a worker thread: who is asking, and their claim on the key.
        try:
            principal, claim = await to_thread.run_sync(
                self._authenticate_and_claim, authorization, key, request_fingerprint
            )
        except UNAVAILABLE:  # outside the app's handlers: answer as they would
            await _send_problem(
                send,
                "storage-unavailable",
                "the database is not answering; retry in a moment with the same Idempotency-Key",
                [(b"retry-after", RETRY_AFTER_SECONDS.encode())],
            )
            return
        if principal is None or claim is None:
            await self.app(scope, _replay(body), send)
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
        if claim.outcome == Outcome.REPLAY:
            assert claim.answer is not None
            await _send_answer(send, claim.answer)
        elif claim.outcome == Outcome.MISMATCH:
            await _send_problem(
                send,
                "idempotency-key-reused",
                "this Idempotency-Key was already used for a different request; "
                "use a new key for a new request",
            )
        elif claim.outcome == Outcome.IN_PROGRESS:
            await _send_problem(
                send,
                "idempotency-key-in-use",
                "a request with this Idempotency-Key is still running; retry in a moment",
            )
        else:
            await self._run(scope, body, send, principal.email, key, claim.doubt)

    def _authenticate_and_claim(
        self, authorization: str, key: str, request_fingerprint: str
    ) -> tuple[Principal | None, Claim | None]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, None
        principal = self.authenticate(token.strip())
        if principal is None:
            return None, None
        return principal, self.store.claim(principal.email, key, request_fingerprint)

    async def _run(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        email: str,
        key: str,
        doubt: PendingWrites | None = None,
    ) -> None:
        """Run the request; keep a 2xx answer, release the key otherwise — unless the write's
        outcome is unknown (kept, with its events in doubt, see :mod:`api.idempotency`).
        ``doubt``: this request retries such a write; it runs against the items as they were
        before it (:func:`ledger.storage.outcome.resolving`)."""
        status = 0
        unknown = False
        kept: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, unknown
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    text = name.decode("latin-1").lower()
                    if text in _REPLAYED_HEADERS:
                        kept.append((text, value.decode("latin-1")))
                    elif text == OUTCOME_HEADER.lower():
                        unknown = True
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        with outcome.collecting() as pending:
            try:
                if doubt is not None:
                    with outcome.resolving(doubt):
                        await self.app(scope, _replay(body), capture)
                else:
                    await self.app(scope, _replay(body), capture)
            except BaseException:
                await to_thread.run_sync(self._release_quietly, email, key)
                raise
        if unknown or (doubt is not None and status >= 500):
            # Stored or not, nobody knows yet: the key stays taken by this request.
            in_doubt = pending if pending.events else doubt or PendingWrites()
            await to_thread.run_sync(self.store.keep_in_doubt, email, key, in_doubt)
            return
        if 200 <= status < 300:
            answer = StoredAnswer(status, kept, b"".join(chunks))
            await to_thread.run_sync(self._complete, email, key, answer, pending, doubt)
        else:
            if doubt is not None:
                await to_thread.run_sync(self.store.settle, email, key)
            await to_thread.run_sync(self._release_quietly, email, key)

    def _complete(
        self,
        email: str,
        key: str,
        answer: StoredAnswer,
        pending: PendingWrites,
        doubt: PendingWrites | None,
    ) -> None:
        """Keep the answer. If the database fails just then, the write is stored but its
        answer is not: the key is kept in doubt, so that a retry answers from the write."""
        try:
            if doubt is not None:
                self.store.settle(email, key)
            self.store.complete(email, key, answer)
        except UNAVAILABLE:
            self.store.keep_in_doubt(email, key, pending if pending.events else doubt or pending)

    def _release_quietly(self, email: str, key: str) -> None:
        """Release the claim of a request that stored nothing; if the database is away, the
        claim simply goes stale (``stale_seconds``) and is taken over then."""
        with contextlib.suppress(*UNAVAILABLE):
            self.store.release(email, key)


async def _send_answer(send: Send, answer: StoredAnswer) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
