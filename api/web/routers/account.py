"""Signing in with an API token, signing out, and the language switch."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.routing import ResourceRouter
from api.web import i18n
from api.web.core import WebError, redirect, safe_next, set_cookie, web_of
from api.web.sessions import SESSION_COOKIE, SESSION_HOURS

router = ResourceRouter(include_in_schema=False)

#: The sign-in form's own anti-forgery cookie (there is no session yet to hold a token).
SIGN_IN_COOKIE = "accord_signin"


@router.get("/")
def home(request: Request) -> Response:
    web = web_of(request)
    return redirect("/projects" if web.session else "/sign-in")


@router.get("/sign-in")
def sign_in_page(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    web = web_of(request)
    key = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    web.cookies[SIGN_IN_COOKIE] = key
    return web.render("sign_in.html", next=safe_next(next), form_key=key, error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_sign_in, request, form)


def _sign_in(request: Request, form: object) -> Response:
    web = web_of(request)
    get = form.get  # type: ignore[attr-defined]
    next_path = safe_next(str(get("next", "")))
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(str(get("form_key", "")), expected):
        raise WebError(403, web.gettext("This form has expired. Go back, reload and retry."))
    token = str(get("token", "")).strip()
    principal = web.services.tokens.authenticate(token) if token else None
    if principal is None:
        return web.render(
            "sign_in.html",
            status=401,
            next=next_path,
            form_key=expected,
            error=web.gettext("That token is unknown or revoked."),
        )
    key, _ = web.sessions.create(principal.email, principal.token_id)
    response = redirect(next_path)
    set_cookie(request, response, SESSION_COOKIE, key, max_age=SESSION_HOURS * 3600)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    form = await request.form()

    def run() -> Response:
        web = web_of(request)
        web.check_csrf(form)
        web.sessions.delete(request.cookies.get(SESSION_COOKIE))
        response = redirect("/sign-in")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return await run_in_threadpool(run)


@router.get("/language/{code}")
def switch_language(
    request: Request, code: str, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """Remember the reader's language (a preference, not a credential) and go back."""
    if code not in i18n.LANGUAGES:
        raise WebError(404, web_of(request).gettext("There is no such page."))
    response = redirect(safe_next(next))
    set_cookie(request, response, i18n.LANGUAGE_COOKIE, code, max_age=365 * 86400)
    return response
