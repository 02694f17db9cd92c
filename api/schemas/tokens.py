"""Tokens and the caller."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Email, Name, RequestModel


class MePublic(BaseModel):
    email: str = Field(description="The person the token belongs to.")
    admin: bool = Field(description="Whether the token may issue tokens for other people.")
    token_id: str = Field(description="The token's id (not the token).")


class TokenCreate(RequestModel):
    email: Email | None = Field(
        default=None, description="Whose token; default: yours. Others' need an admin token."
    )
    admin: bool = Field(default=False, description="An admin token (needs an admin token).")
    label: Name = Field(default="", description="What the token is for.")


class TokenPublic(BaseModel):
    token_id: str = Field(description="The token's id, to revoke it.")
    email: str = Field(description="Whose token it is.")
    admin: bool = Field(description="Whether it is an admin token.")
    label: str = Field(description="What it is for.")
    created_at: datetime = Field(description="When it was issued.")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was.")


class TokenIssued(TokenPublic):
    token: str = Field(description="The bearer token. Shown once: only its digest is kept.")
