"""Routers that turn away, in one regular-expression match, a path none of their routes takes.

FastAPI finds a request's route by asking every included router, and each router asks every one
of its routes in turn (a regular expression and some bookkeeping per route). With twenty-odd
routers and a hundred-odd routes, a command on a resource registered late in the list was
checked against about fifty routes first: measured at 0.10-0.15 ms of CPU per request, about
15 % of a command (docs/performance.md, "Speed where people wait"). :class:`ResourceRouter`
keeps one expression that matches any path of its routes; a path it does not match is
answered "no match" at once, and only the router that holds the route walks its list.

The answer is the same as FastAPI's: the expression is built from the routes' own compiled
paths (their ``path_regex``), so a path it refuses is one every route would refuse. A router
holding anything else than plain routes (a mount, a nested router) is not filtered.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

#: A named group of a route's compiled path (``(?P<project_id>``): made anonymous, so that
#: the paths of many routes can share one expression.
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class ResourceRouter(APIRouter):
    """An :class:`~fastapi.APIRouter` that refuses at once the paths none of its routes
    takes (see the module's documentation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._paths: re.Pattern[str] | None = None
        self._paths_for: tuple[int, int] = (-1, -1)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            paths = self._any_path()
            if paths is not None and paths.match(get_route_path(scope)) is None:
                return Match.NONE, {}
        return super().matches(scope)

    def _any_path(self) -> re.Pattern[str] | None:
        """One expression matching any path of the routes (rebuilt when routes are added)."""
        routes: list[BaseRoute] = self.routes
        key = (id(routes), len(routes))
        if key != self._paths_for:
            self._paths = _one_expression(routes)
            self._paths_for = key
        return self._paths


def _one_expression(routes: list[BaseRoute]) -> re.Pattern[str] | None:
    patterns: list[str] = []
    for route in routes:
        if not isinstance(route, Route):  # APIRoute is a Route; mounts and the like are not
            return None
        patterns.append(_NAMED_GROUP.sub("(?:", route.path_regex.pattern))
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))
