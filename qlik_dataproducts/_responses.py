"""Turning error responses into typed exceptions: pure functions, no I/O."""

from __future__ import annotations

import json
import re
from typing import Any

from yarl import URL

from ._errors import (
    ApiError,
    ErrorEntry,
    OutcomeUnknownError,
    UnsafeRequestError,
    api_error_class,
)
from ._operations import RawResponse, Request, error_excerpt, json_content_type
from ._retry import parse_retry_after

__all__ = ["api_error", "oauth_error", "outcome_unknown", "redirect_error"]

_ERROR_KEYS = ("code", "title", "detail", "status")

# The "error" member of an OAuth2 error response (RFC 6749, section 5.2), such as invalid_client.
_OAUTH_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


def api_error(request: Request, response: RawResponse, token: str) -> ApiError:
    """Build the typed error for an error response, with the token removed from its body."""
    errors: list[ErrorEntry] = []
    trace_id = None
    excerpt = None
    data: Any = None

    # A gateway that echoes the request headers in its error page must not put the bearer
    # token into the exception message.
    body = response.body.replace(token.encode(), b"<redacted>") if token else response.body
    if json_content_type(response.headers):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
    if isinstance(data, dict):
        for entry in data.get("errors") or ():
            if isinstance(entry, dict):
                errors.append(ErrorEntry(**{key: _text(entry.get(key)) for key in _ERROR_KEYS}))
        trace_id = _text(data.get("traceId"))
    else:
        excerpt = error_excerpt(body) or None
    operation = request.operation
    error_class = api_error_class(response.status)
    return error_class(
        status=response.status,
        operation=operation.name,
        method=operation.method,
        url=str(request.url),
        errors=errors,
        trace_id=trace_id,
        tier=operation.tier,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        body_excerpt=excerpt,
    )


def outcome_unknown(request: Request, cause: Exception) -> OutcomeUnknownError:
    """Build the error for a request that may or may not have been applied."""
    operation = request.operation
    body = request.body if isinstance(request.body, dict) else None
    return OutcomeUnknownError(
        operation=operation.name,
        method=operation.method,
        url=str(request.url),
        request_body=body,
        product_id=request.product_id,
        cause=cause,
    )


def redirect_error(request: Request, response: RawResponse) -> UnsafeRequestError:
    """Build the error for a redirect, which the client never follows."""
    location = response.headers.get("Location", "")
    target = request.url.join(URL(location)) if location else request.url
    same_origin = target.origin() == request.url.origin()
    where = "the same origin" if same_origin else f"another origin ({target.origin()})"
    return UnsafeRequestError(
        f"{request.operation.name}: the server redirected {request.operation.method} "
        f"{request.url} to {where} with {response.status}; redirects are not followed, so "
        "credentials and request bodies never move. Point base_url at the final address.",
        url=str(target),
    )


def oauth_error(status: int, payload: bytes) -> ErrorEntry:
    """Describe a failed token request by its OAuth2 error code, such as ``invalid_client``.

    Only a code of the RFC 6749 shape is kept: the rest of the body is left out of the error,
    so that it cannot carry anything the client sent.
    """
    code = f"HTTP-{status}"
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, str) and _OAUTH_ERROR_CODE.fullmatch(error):
            code = error
    detail = None
    if code == "invalid_client":
        detail = "check the OAuth client id and secret"
    return ErrorEntry(code=code, title="OAuth token request failed", detail=detail)


def _text(value: object) -> str | None:
    # Gateways sometimes send numbers where the API documents strings (status: 400).
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
