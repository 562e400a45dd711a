"""Exceptions raised by the client.

Every exception derives from ``QlikDataProductsError``::

    QlikDataProductsError
    ├── ValidationError          request rejected on the client, nothing was sent
    ├── ConfigurationError       missing or contradictory settings (URL, credentials)
    ├── UnsafeRequestError       a URL that would leave the tenant or downgrade to plain HTTP
    ├── DecodeError              a response that does not match the documented shape
    ├── TransportError           the request failed below HTTP (connection refused, reset)
    │   └── RequestTimeoutError  no response within the timeout or the call's deadline
    ├── OutcomeUnknownError      create/activate failed after it may have reached the server
    └── ApiError                 the server responded with an error status
        ├── BadRequestError              400
        ├── AuthenticationError          401
        ├── PermissionDeniedError        403
        ├── NotFoundError                404
        ├── NotAcceptableError           406
        ├── ConflictError                409
        ├── UnsupportedMediaTypeError    415
        ├── UnprocessableEntityError     422
        ├── RateLimitError               429
        ├── InternalServerError          500
        ├── BadGatewayError              502
        ├── ServiceUnavailableError      503
        └── GatewayTimeoutError          504
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "DecodeError",
    "ErrorEntry",
    "GatewayTimeoutError",
    "InternalServerError",
    "NotAcceptableError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "QlikDataProductsError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServiceUnavailableError",
    "TransportError",
    "UnprocessableEntityError",
    "UnsafeRequestError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "api_error_class",
]


@attrs.frozen
class ErrorEntry:
    """One entry of the ``errors`` list in an error response."""

    code: str | None = None
    title: str | None = None
    detail: str | None = None
    status: str | None = None


class QlikDataProductsError(Exception):
    """Root of every exception this library raises."""


class ValidationError(QlikDataProductsError, ValueError):
    """A request argument breaks a documented rule; nothing was sent.

    ``field`` is the JSON path of the argument (``keyContacts[2].role``), ``value`` the
    rejected value and ``rule`` the rule it breaks.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"invalid {field}={_excerpt(repr(value), 80)}: {rule}")


class ConfigurationError(QlikDataProductsError, ValueError):
    """Settings are missing or contradict each other."""


class UnsafeRequestError(QlikDataProductsError):
    """A request would go to another origin or over plain HTTP; it was not sent."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class DecodeError(QlikDataProductsError):
    """A response body does not match the documented shape.

    ``path`` names the failing field (``$.keyContacts[0].userId``); ``operation``, ``method``
    and ``url`` name the request whose response failed to decode.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "$",
        operation: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.path = path
        self.operation = operation
        self.method = method
        self.url = url
        prefix = f"{operation}: " if operation else ""
        super().__init__(f"{prefix}cannot decode response at {path}: {message}")


class TransportError(QlikDataProductsError):
    """The request failed before an HTTP status arrived."""

    def __init__(self, message: str, *, operation: str, method: str, url: str) -> None:
        self.operation = operation
        self.method = method
        self.url = url
        super().__init__(f"{operation}: {method} {url} failed: {message}")


class RequestTimeoutError(TransportError):
    """No response arrived within the request timeout or the call's deadline."""


class OutcomeUnknownError(QlikDataProductsError):
    """A non-repeatable request failed after it may have reached the server.

    Create and activate are never resent blindly, because a second create makes a second data
    product. ``request_body`` contains what was sent, so the caller can find out whether the
    request was applied before sending it again; ``product_id`` is set for activate.
    """

    def __init__(
        self,
        *,
        operation: str,
        method: str,
        url: str,
        request_body: Mapping[str, Any] | None,
        product_id: str | None,
        cause: BaseException,
    ) -> None:
        self.operation = operation
        self.method = method
        self.url = url
        self.request_body = request_body
        self.product_id = product_id
        self.cause = cause
        target = f" of data product {product_id}" if product_id else ""
        super().__init__(
            f"{operation}{target}: outcome unknown after {type(cause).__name__}: {cause}. "
            "The server may have applied the request; check its state before sending it again."
        )


class ApiError(QlikDataProductsError):
    """The server responded with an error status.

    Attributes:
        status: the HTTP status code.
        errors: the parsed ``errors[]`` entries (empty when the body had none).
        trace_id: the server's ``traceId``, to quote to Qlik support.
        operation: the client operation (``create``, ``get``, ...).
        method, url: the request, without query secrets.
        tier: the rate-limit tier of the operation.
        retry_after: seconds to wait, from the response's ``retry-after`` header if it had one.
        body_excerpt: the start of a body that was not the documented JSON.
    """

    status: int = 0

    def __init__(
        self,
        *,
        status: int,
        operation: str,
        method: str,
        url: str,
        errors: Sequence[ErrorEntry] = (),
        trace_id: str | None = None,
        tier: str | None = None,
        retry_after: float | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        self.status = status
        self.operation = operation
        self.method = method
        self.url = url
        self.errors = tuple(errors)
        self.trace_id = trace_id
        self.tier = tier
        self.retry_after = retry_after
        self.body_excerpt = body_excerpt
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.operation}: {self.method} {self.url} returned {self.status}"]
        if self.errors:
            first = self.errors[0]
            parts.append(f"{first.code or '-'} {first.title or ''}".rstrip())
            if first.detail:
                parts.append(first.detail)
        elif self.body_excerpt:
            parts.append(f"non-JSON body: {self.body_excerpt!r}")
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g} s")
        if self.trace_id:
            parts.append(f"traceId {self.trace_id}")
        return "; ".join(parts)


class BadRequestError(ApiError):
    status = 400


class AuthenticationError(ApiError):
    status = 401


class PermissionDeniedError(ApiError):
    status = 403


class NotFoundError(ApiError):
    status = 404


class NotAcceptableError(ApiError):
    status = 406


class ConflictError(ApiError):
    status = 409


class UnsupportedMediaTypeError(ApiError):
    status = 415


class UnprocessableEntityError(ApiError):
    status = 422


class RateLimitError(ApiError):
    status = 429


class InternalServerError(ApiError):
    status = 500


class BadGatewayError(ApiError):
    status = 502


class ServiceUnavailableError(ApiError):
    status = 503


class GatewayTimeoutError(ApiError):
    status = 504


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        NotAcceptableError,
        ConflictError,
        UnsupportedMediaTypeError,
        UnprocessableEntityError,
        RateLimitError,
        InternalServerError,
        BadGatewayError,
        ServiceUnavailableError,
        GatewayTimeoutError,
    )
}


def api_error_class(status: int) -> type[ApiError]:
    """Return the exception class for an HTTP error status (``ApiError`` when unlisted)."""
    return _BY_STATUS.get(status, ApiError)


def _excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
