"""Error classification of the migration: fatal errors, and reasons to group failures by."""

from __future__ import annotations

from typing import Any

from ._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    DecodeError,
    OutcomeUnknownError,
    QlikDataProductsError,
    RequestTimeoutError,
    TransportError,
    UnsafeRequestError,
    ValidationError,
)

__all__ = ["describe_error", "is_fatal"]


def is_fatal(exc: BaseException, step: str) -> bool:
    """Return whether an error of a line's step means that no further line can succeed."""
    if isinstance(exc, AuthenticationError | ConfigurationError | UnsafeRequestError):
        return True
    # For create and activate, which are not safe to repeat, the client raises TransportError
    # only when its retries could not deliver the request at all (a request that may have
    # arrived raises OutcomeUnknownError). For export it may also follow repeated resets, which
    # affect one line only.
    if step in ("create", "activate"):
        return isinstance(exc, TransportError) and not isinstance(exc, RequestTimeoutError)
    return False


def describe_error(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """Return a short reason to group failures by, and the error's record for the results."""
    error: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ValidationError):
        error["field"] = exc.field
        error["rule"] = exc.rule
        return f"invalid {exc.field}: {exc.rule}", error
    if isinstance(exc, ApiError):
        error["status"] = exc.status
        if exc.errors:
            first = exc.errors[0]
            error["code"] = first.code
            error["title"] = first.title
            error["detail"] = first.detail
        if exc.trace_id:
            error["trace_id"] = exc.trace_id
        title = exc.errors[0].title if exc.errors and exc.errors[0].title else None
        return f"HTTP {exc.status}" + (f" {title}" if title else ""), error
    if isinstance(exc, OutcomeUnknownError):
        return f"{exc.operation} outcome unknown", error
    if isinstance(exc, RequestTimeoutError):
        return "request timed out", error
    if isinstance(exc, TransportError):
        return "connection failed", error
    if isinstance(exc, DecodeError):
        return "invalid response", error
    if isinstance(exc, QlikDataProductsError):
        return type(exc).__name__, error
    return f"unexpected {type(exc).__name__}", error
