"""``Prefer: return=minimal`` (RFC 7240): a command answered with its id, version and position
instead of the item read back.

The middleware notes the preference for the request in a context variable (context variables
follow the request into the thread that runs a synchronous endpoint); the command routes'
answer (:func:`api.routers.common.recorded` and each router's ``_answer``) looks at it.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

_MINIMAL: ContextVar[bool] = ContextVar("accord_prefer_minimal", default=False)


def wants_minimal() -> bool:
    """Whether this request asked for ``Prefer: return=minimal``."""
    return _MINIMAL.get()


def prefers_minimal(values: list[bytes]) -> bool:
    """Whether the ``Prefer`` header values name ``return=minimal`` (RFC 7240 §2: a list of
    preferences, each maybe with parameters after ``;``; names are case-insensitive)."""
    for value in values:
        for preference in value.split(b","):
            name, _, rest = preference.partition(b";")[0].partition(b"=")
            if name.strip().lower() == b"return" and rest.strip().strip(b'"').lower() == b"minimal":
                return True
    return False


class PreferMiddleware:
    """Records whether the request prefers ``return=minimal``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope["headers"] if k == b"prefer"]
        token = _MINIMAL.set(bool(values) and prefers_minimal(values))
        try:
            await self.app(scope, receive, send)
        finally:
            _MINIMAL.reset(token)
