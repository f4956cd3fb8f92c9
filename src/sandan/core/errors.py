"""Domain errors that people can act on; the API turns each into an RFC 9457 problem+json body."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can fix.  ``status`` is the HTTP status the API answers with."""

    status = 400
    type_slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, data: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.data = data or {}


class InvalidInput(DomainError):
    """The request is understood but a value is wrong (a bad unit, an invalid registration number …)."""

    status = 422
    type_slug = "invalid-input"
    title = "Invalid input"


class NotFound(DomainError):
    """The thing does not exist, or the caller may not see it: the two are never told apart."""

    status = 404
    type_slug = "not-found"
    title = "Not found"


class Forbidden(DomainError):
    """The caller may see the thing but not do this to it."""

    status = 403
    type_slug = "forbidden"
    title = "Forbidden"


class Unauthenticated(DomainError):
    status = 401
    type_slug = "unauthenticated"
    title = "Authentication required"


class Conflict(DomainError):
    """The request clashes with what is stored (a duplicate code, a registration number in use …)."""

    status = 409
    type_slug = "conflict"
    title = "Conflict"


class TooManyRequests(DomainError):
    status = 429
    type_slug = "rate-limited"
    title = "Too many requests"
