"""What every page shares: the reader (language, session), rendering, sign-in and membership
checks, CSRF, and the pages' errors.

Handlers are plain functions of a :class:`Web` (built from the request by :func:`web_of`); they
call the same service layer and query functions as the JSON routes of ``/v1``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from babel import Locale
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.bootstrap import Services
from api.deps import ProjectAccess
from api.web import formatting, i18n
from api.web.ack_links import AckLinkStore
from api.web.sessions import SESSION_COOKIE, Session, SessionStore
from ledger.domain.project import Project, ProjectNotFoundError

TEMPLATES = Path(__file__).parent / "templates"


class WebError(Exception):
    """A page that cannot be shown: rendered as an error page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@cache
def environment(code: str) -> Environment:
    """The templates, with the gettext functions of language ``code`` installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # templates ship with the package: no stat() per render
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(code), newstyle=True)  # type: ignore[attr-defined]
    return env


@dataclass
class Web:
    """One request to the web app: who reads, in which language."""

    request: Request
    services: Services
    language: i18n.Language
    session: Session | None
    zone: tzinfo = field(default=UTC)
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def locale(self) -> Locale:
        return i18n.babel_locale(self.language.code)

    @property
    def sessions(self) -> SessionStore:
        return self.request.app.state.web_sessions  # type: ignore[no-any-return]

    @property
    def ack_links(self) -> AckLinkStore:
        return self.request.app.state.web_ack_links  # type: ignore[no-any-return]

    def gettext(self, message: str, **values: Any) -> str:
        text = i18n.translations(self.language.code).gettext(message)
        return text % values if values else text

    # --------------------------------------------------------------------- who reads

    @property
    def email(self) -> str:
        if self.session is None:
            raise SignInRequired(self.here())
        return self.session.email

    def here(self) -> str:
        url = self.request.url
        return url.path + (f"?{url.query}" if url.query else "")

    def project(self, project_id: UUID) -> ProjectAccess:
        """The project if the reader is one of its members; anyone else gets 404, so that a
        project's existence does not leak (as in the API)."""
        email = self.email
        try:
            project: Project | None = self.services.ledger.get_project(project_id)
        except ProjectNotFoundError:
            project = None
        member = project.members.get(email) if project is not None else None
        if project is None or member is None:
            raise WebError(404, self.gettext("There is no such page."))
        self.zone = formatting.project_zone(project)
        return ProjectAccess(project, member)

    def check_csrf(self, form: Any) -> None:
        """Every form carries the session's CSRF token; a form without it is refused."""
        sent = str(form.get("csrf", ""))
        if self.session is None or not hmac.compare_digest(sent, self.session.csrf):
            raise WebError(403, self.gettext("This form has expired. Go back, reload and retry."))

    # ------------------------------------------------------------------------ rendering

    def when(self, value: Any) -> str:
        return formatting.when(value, self.locale, self.zone)

    def day(self, value: Any) -> str:
        return formatting.day(value, self.locale, self.zone)

    def number(self, value: Any, digits: int = 1) -> str:
        return formatting.number(value, self.locale, digits)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        env = environment(self.language.code)
        page = env.get_template(template).render(
            web=self,
            lang=self.language,
            languages=i18n.LANGUAGES.values(),
            session=self.session,
            csrf=self.session.csrf if self.session else "",
            when=self.when,
            day=self.day,
            num=self.number,
            iso_local=lambda v: formatting.iso_local(v, self.zone),
            here=self.here(),
            quote=lambda v: quote(str(v), safe=""),
            **values,
        )
        response = HTMLResponse(page, status_code=status)
        for name, value in self.cookies.items():
            set_cookie(self.request, response, name, value)
        return response


def web_of(request: Request) -> Web:
    """The reader of ``request``: their language and, if signed in, their session."""
    services: Services = request.app.state.services
    language = i18n.choose(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    store: SessionStore = request.app.state.web_sessions
    session = store.get(request.cookies.get(SESSION_COOKIE))
    return Web(request, services, language, session)


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    http_only: bool = True,
) -> None:
    """A cookie for this site only: HttpOnly, SameSite=Lax, Secure when served over TLS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=http_only,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def redirect(path: str) -> RedirectResponse:
    """See other (303): after a form, the browser GETs the page."""
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None, default: str = "/projects") -> str:
    """A local path to go back to (never another site: no scheme, no ``//``)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return default
    return path
