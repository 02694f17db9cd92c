"""The web app: server-rendered pages for people, at ``/`` beside the JSON API at ``/v1``.

Another face of the same services: every page answers from the same query function or item as
its JSON route, and links to it. Templates (Jinja2, one base layout, macros) are in
``templates/``, the stylesheet and the one small script in ``static/``, the catalogues in
``locales/``. See docs/web.md.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bootstrap import Services
from api.web import ack_links, sessions
from api.web.ack_links import AckLinkStore
from api.web.core import SignInRequired, WebError, web_of
from api.web.i18n import N_
from api.web.routers import account, ack, forms, history, integrity, projects, search, subjects
from api.web.sessions import SessionStore
from ledger.domain.errors import DomainError

STATIC = Path(__file__).parent / "static"
SCHEMA = (*sessions.SCHEMA, *ack_links.SCHEMA)
UPLOAD_PATHS = forms.UPLOAD_PATHS

#: No inline script or style, nothing from another origin, never inside a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Paths that are not the web app's (the JSON API and its documentation keep their headers).
_NOT_WEB = ("/v1/", "/docs", "/redoc", "/openapi.json", "/health")


def install_web(app: FastAPI, services: Services) -> None:
    """Add the web app's routes, stores and headers to ``app``."""
    services.db.ensure_schema(SCHEMA)
    app.state.web_sessions = SessionStore(services.db)
    app.state.web_ack_links = AckLinkStore(services.db)
    include_routes(app)
    app.add_middleware(SecurityHeaders)


def include_routes(app: FastAPI) -> None:
    """The routes alone (also for the OpenAPI document, which leaves them out)."""
    for module in (account, projects, history, search, subjects, forms, integrity, ack):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(WebError, _web_error)  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, _sign_in_required)  # type: ignore[arg-type]
    # The API's handlers answer problem+json; on a page the same errors are an HTML page.
    for kind in (DomainError, RequestValidationError, StarletteHTTPException, Exception):
        previous = app.exception_handlers.get(kind)
        if previous is not None:
            app.add_exception_handler(kind, _as_page(previous))


_MESSAGES = {
    400: N_("This request is not valid."),
    403: N_("You may not do this."),
    404: N_("There is no such page."),
    409: N_("This could not be done: the item has changed or does not allow it."),
    413: N_("This is larger than the server accepts."),
    422: N_("This request is not valid."),
}


def _as_page(previous: Any) -> Any:
    """``previous`` (the API's handler) for the API; its status as an HTML page for the web."""

    async def handle(request: Request, error: Exception) -> Response:
        response = previous(request, error)
        if inspect.isawaitable(response):
            response = await response
        if request.url.path.startswith(_NOT_WEB):
            return response  # type: ignore[no-any-return]
        status = response.status_code
        if status == 422 and isinstance(error, RequestValidationError):
            status = 404 if any(e.get("loc", ("",))[0] == "path" for e in error.errors()) else 400
        web = await run_in_threadpool(web_of, request)
        message = web.gettext(_MESSAGES.get(status, N_("Something went wrong.")))
        return web.render("error.html", status=status, message=message)

    return handle


def _web_error(request: Request, error: WebError) -> Response:
    web = web_of(request)
    return web.render("error.html", status=error.status, message=error.message)


def _sign_in_required(request: Request, error: SignInRequired) -> Response:
    return RedirectResponse(f"/sign-in?next={quote(error.next_path, safe='')}", status_code=303)


class SecurityHeaders:
    """The web app's response headers: CSP, no framing, no sniffing, no referrer (an
    acknowledgement link's token must not leak to another site), and pages not cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NOT_WEB):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"public, max-age=3600" if static else b"no-store"),
                ]
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
