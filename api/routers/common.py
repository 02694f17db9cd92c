"""What the resource routers share: the documented responses of each kind of route, and the
few steps every route takes after calling the ledger (headers, pages)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import orjson
from fastapi import Depends, Response

from api.bootstrap import Services
from api.deps import Page, ProjectAccess, idempotency_key
from api.pagination import encode_cursor
from api.prefer import wants_minimal
from api.problems import READ_RESPONSES, STEP_RESPONSES, WRITE_RESPONSES
from api.schemas.common import ItemPublic
from ledger.service.base import Recorded

P = TypeVar("P", bound=ItemPublic)
T = TypeVar("T")

_ETAG = {
    "ETag": {
        "description": 'The item\'s version, quoted (`"3"`): send it back as `If-Match`.',
        "schema": {"type": "string"},
    }
}
_POSITION = {
    "Accord-Position": {
        "description": (
            "Position in the event feed of the last event this request stored (0 for a retry "
            "that stored nothing)."
        ),
        "schema": {"type": "integer"},
    }
}
_LOCATION = {"Location": {"description": "The new item's URL.", "schema": {"type": "string"}}}
_APPLIED = {
    "Preference-Applied": {
        "description": "`return=minimal` when the request sent `Prefer: return=minimal`: the "
        "body is then `{id, version, position}` instead of the item.",
        "schema": {"type": "string"},
    }
}
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same Idempotency-Key.",
        "schema": {"type": "string"},
    }
}

READ: dict[int | str, dict[str, Any]] = {
    200: {"description": "The item.", "headers": _ETAG},
    **READ_RESPONSES,
}
LIST: dict[int | str, dict[str, Any]] = {200: {"description": "One page."}, **READ_RESPONSES}
CREATE: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Created (or, for a retry, the item created first).",
        "headers": {**_ETAG, **_POSITION, **_LOCATION, **_REPLAYED, **_APPLIED},
    },
    **WRITE_RESPONSES,
}
STEP: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The step was recorded; the item as it is now.",
        "headers": {**_ETAG, **_POSITION, **_REPLAYED, **_APPLIED},
    },
    **STEP_RESPONSES,
}

#: Documents (and checks) the Idempotency-Key header on POST routes that do not use its value.
IDEMPOTENT = Depends(idempotency_key)


def etag(version: int) -> str:
    return f'"{version}"'


def read(response: Response, public: P) -> P:
    """Answer with an item and its ETag."""
    return _render(public, {"ETag": etag(public.version)}, 200)  # type: ignore[return-value]


def recorded(response: Response, result: Recorded, public: P, *, location: str | None = None) -> P:
    """Answer a command with the item as it is now; its ETag is the item's version. A command
    that created the item (``location``, or a Location set on ``response``) answers 201."""
    headers = {"ETag": etag(public.version), "Accord-Position": str(result.position)}
    location = location or response.headers.get("Location")
    if location is not None:
        headers["Location"] = location
    return _render(public, headers, 201 if location else 200)  # type: ignore[return-value]


def recorded_minimal(
    response: Response, result: Recorded, *, location: str | None = None
) -> Response:
    """Answer a command that asked for ``Prefer: return=minimal`` (RFC 7240): ``{id, version,
    position}`` with the same headers as the full answer, without reading the item back."""
    headers = {
        "ETag": etag(result.version),
        "Accord-Position": str(result.position),
        "Preference-Applied": "return=minimal",
    }
    location = location or response.headers.get("Location")
    if location is not None:
        headers["Location"] = location
    body = orjson.dumps(
        {"id": str(result.id), "version": result.version, "position": result.position}
    )
    return Response(
        body, status_code=201 if location else 200, headers=headers, media_type="application/json"
    )


A = TypeVar("A", bound=Callable[..., Any])


def minimal_unless_asked(answer: A) -> A:
    """For a router's ``_answer(ledger, access, response, result)``: when the request prefers
    ``return=minimal``, answer :func:`recorded_minimal` instead of reading the item back."""

    @functools.wraps(answer)
    def wrapper(ledger: Any, access: Any, response: Response, result: Recorded) -> Any:
        if wants_minimal():
            return recorded_minimal(response, result)
        return answer(ledger, access, response, result)

    return wrapper  # type: ignore[return-value]


def _render(public: ItemPublic, headers: dict[str, str], status: int) -> Response:
    """The item, serialised once by its model: FastAPI passes a Response through as it is,
    instead of validating the model it was just built from a second time. The endpoint's
    return annotation still documents the schema."""
    return Response(
        public.model_dump_json(), status_code=status, headers=headers, media_type="application/json"
    )


def item_url(access: ProjectAccess, collection: str, item_id: UUID) -> str:
    return f"/v1/projects/{access.project_id}/{collection}/{item_id}"


def page_of(
    services: Services,
    access: ProjectAccess,
    kind: str,
    page: Page,
    load: Callable[[UUID, UUID], T],
) -> tuple[Sequence[T], str | None]:
    """One page of the project's items of ``kind``, oldest first, and the next cursor."""
    found = services.index.items(access.project_id, kind, after=page.after, limit=page.limit + 1)
    more = len(found) > page.limit
    found = found[: page.limit]
    items = [load(access.project_id, entry.item_id) for entry in found]
    next_cursor = encode_cursor(found[-1].position) if more and found else None
    return items, next_cursor


def or_default(body: T | None, default: Callable[[], T]) -> T:
    return body if body is not None else default()
