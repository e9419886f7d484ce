"""Domain errors that services raise; the HTTP layer maps them to problem+json."""

from __future__ import annotations

from typing import Any


class ProblemError(Exception):
    """An error a client can act on: an HTTP status, a title and a detail."""

    status = 400
    title = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = (
            errors if errors is not None else ([{"field": field, "message": detail}] if field else None)
        )
        self.headers = headers or {}


class BadRequest(ProblemError):
    """The request is malformed (e.g. broken JSON)."""


class Unauthorized(ProblemError):
    """No valid API key."""

    status = 401
    title = "Unauthorized"


class Forbidden(ProblemError):
    """A valid key without the needed role."""

    status = 403
    title = "Forbidden"


class NotFound(ProblemError):
    """No such object, or not yours."""

    status = 404
    title = "Not Found"


class Conflict(ProblemError):
    """The object exists already, or a duplicate request is in flight."""

    status = 409
    title = "Conflict"


class PayloadTooLarge(ProblemError):
    """The body exceeds the limit."""

    status = 413
    title = "Payload Too Large"


class UnsupportedMediaType(ProblemError):
    """The body is not JSON."""

    status = 415
    title = "Unsupported Media Type"


class ValidationFailed(ProblemError):
    """The body or query is well-formed but wrong; `errors` names each field."""

    status = 422
    title = "Unprocessable Content"


class TooManyRequests(ProblemError):
    """A rate limit or a temporary block; `Retry-After` says when to try again."""

    status = 429
    title = "Too Many Requests"


class ServiceUnavailable(ProblemError):
    """Something the request needs (the database) is unavailable now; `Retry-After` says when to retry."""

    status = 503
    title = "Service Unavailable"
