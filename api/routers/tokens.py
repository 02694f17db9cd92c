"""Who you are; issuing and revoking bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from api.deps import CurrentPerson, ServicesDep
from api.problems import AUTH_RESPONSES, WRITE_RESPONSES, ApiProblem
from api.routers.common import IDEMPOTENT
from api.routing import ResourceRouter
from api.schemas.tokens import MePublic, TokenCreate, TokenIssued, TokenPublic
from api.tokens import TokenNotFoundError
from ledger.domain.validation import normalise_email

router = ResourceRouter(prefix="/v1", tags=["tokens"])


@router.get("/me", responses=AUTH_RESPONSES)
def who_am_i(person: CurrentPerson) -> MePublic:
    """The person your token belongs to."""
    return MePublic(email=person.email, admin=person.admin, token_id=person.token_id)


@router.post("/tokens", status_code=201, responses=WRITE_RESPONSES, dependencies=[IDEMPOTENT])
def create_token(person: CurrentPerson, body: TokenCreate, services: ServicesDep) -> TokenIssued:
    """Issue a token: for yourself with any token (e.g. one per integration), for someone
    else or an admin token only with an admin token. The answer shows the token once."""
    email = normalise_email(body.email) if body.email is not None else person.email
    if (email != person.email or body.admin) and not person.admin:
        raise ApiProblem("forbidden", "only an admin token issues tokens for others or admins")
    issued = services.tokens.create(email, admin=body.admin, label=body.label)
    return TokenIssued(
        token=issued.token,
        token_id=issued.token_id,
        email=issued.email,
        admin=issued.admin,
        label=issued.label,
        created_at=issued.created_at,
        revoked_at=None,
    )


@router.post(
    "/tokens/{token_id}/revoke",
    responses={**WRITE_RESPONSES},
    dependencies=[IDEMPOTENT],
)
def revoke_token(
    person: CurrentPerson,
    token_id: Annotated[str, Path(max_length=40, description="The token's id.")],
    services: ServicesDep,
) -> TokenPublic:
    """Revoke one of your tokens (an admin token revokes anyone's)."""
    try:
        info = services.tokens.revoke(token_id, email=None if person.admin else person.email)
    except TokenNotFoundError:
        raise ApiProblem("not-found", f"token {token_id} not found") from None
    return TokenPublic(
        token_id=info.token_id,
        email=info.email,
        admin=info.admin,
        label=info.label,
        created_at=info.created_at,
        revoked_at=info.revoked_at,
    )
