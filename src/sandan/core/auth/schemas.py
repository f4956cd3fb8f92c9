"""API shapes of identity: sign-in, the caller, tokens."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from sandan.core.tenancy.schemas import UtcDatetime, WriteModel


class TokenRequest(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"email": "admin@example.kr", "password": "correct-horse-battery", "name": "laptop", "days": 30}]})
    email: str = Field(min_length=3, max_length=200)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(default="api", min_length=1, max_length=100)
    days: int = Field(default=30, ge=1, le=730)


class TokenCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "gateway-2", "days": 90}]})
    name: str = Field(min_length=1, max_length=100)
    days: int = Field(default=90, ge=1, le=730)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    expires_at: UtcDatetime
    revoked_at: UtcDatetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="the bearer token; shown once, store it safely")


class Me(BaseModel):
    user_id: int | None
    email: str
    roles: list[str]
    companies: list[int]
    complexes: list[int]
    is_admin: bool
