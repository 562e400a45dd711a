"""The middleware every request passes: authentication, rate limits, faults and the record.

For an API operation the steps run in this order: the configured latency, authentication
(401), then the sliding-window limit of the operation's tier (429). A 429 does not count
toward the window. Then come the fault draw, the handler, and the faults that break the
response afterwards.

Every request is appended to the emulator's request record, whatever its outcome.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ._auth import Principal
from ._context import CONTEXT_KEY, EmulatorContext, RecordedRequest, current_principal
from ._errors import ApiError, error_response, rate_limit_body
from ._faults import AFTER_HANDLER_KINDS, Fault
from ._ratelimit import OPERATION_TIERS, format_retry_after

__all__ = ["pipeline"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>emulated gateway</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class _Outcome:
    """Request details for the record that the response does not carry."""

    principal: Principal | None = None
    fault: str | None = None
    cut: bool = False


def _route_name(request: web.Request) -> str | None:
    if request.match_info.http_exception is not None:
        return None
    return request.match_info.route.name


def _format_seconds(seconds: float) -> str:
    if seconds == math.floor(seconds):
        return str(int(seconds))
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


async def _recorded_body(request: web.Request, operation: str | None) -> Any:
    """Return the body for the request record, without any client secret."""
    if not request.can_read_body:
        return None
    raw = await request.read()
    if operation == "oauth_token" and request.content_type == "application/x-www-form-urlencoded":
        body: Any = dict(parse_qsl(raw.decode("utf-8", "replace")))
    else:
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
    if isinstance(body, dict) and "client_secret" in body:
        body["client_secret"] = "***"
    return body


def _cut_connection(request: web.Request, outcome: _Outcome) -> web.Response:
    """Close the connection without a response; aiohttp ignores the one returned here."""
    outcome.cut = True
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)


def _rate_limited(retry_after: str | None, wait_text: str) -> web.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return web.json_response(rate_limit_body(wait_text), status=429, headers=headers)


def _fault_before_handler(request: web.Request, fault: Fault, outcome: _Outcome) -> web.Response:
    """Build the fault response that stops a request before it changes anything."""
    kind = fault.kind
    if kind == "reset_before":
        return _cut_connection(request, outcome)
    if kind == "status_503":
        return error_response(
            503, "Service temporarily unavailable (fault injected by the emulator)."
        )
    if kind == "status_500":
        return error_response(500, "Internal server error (fault injected by the emulator).")
    if kind == "gateway_502_html":
        return web.Response(status=502, text=_GATEWAY_PAGE, content_type="text/html")
    wait = _format_seconds(fault.retry_after)
    if kind == "status_429":
        return _rate_limited(wait, wait)
    if kind == "status_429_no_retry_after":
        return _rate_limited(None, wait)
    # status_429_http_date: an HTTP date is whole seconds, so round the moment up.
    moment = math.ceil(time.time() + fault.retry_after)
    return _rate_limited(email.utils.formatdate(moment, usegmt=True), wait)


async def _fault_after_handler(
    request: web.Request, fault: Fault, response: web.StreamResponse, outcome: _Outcome
) -> web.StreamResponse:
    """Break a response whose change the handler has already applied."""
    if fault.kind == "reset_after":
        return _cut_connection(request, outcome)

    # truncated: announce the full length, send half of the body, then close.
    body = response.body if isinstance(response, web.Response) else None
    content = body if isinstance(body, bytes) and body else b'{"emulator": "truncated body"}'
    status = response.status if body else 200
    truncated = web.StreamResponse(status=status)
    truncated.content_type = response.content_type if body else "application/json"
    truncated.content_length = len(content)
    await truncated.prepare(request)
    await truncated.write(content[: len(content) // 2])
    outcome.cut = True
    if request.transport is not None:
        request.transport.close()
    return truncated


async def _call_handler(handler: Handler, request: web.Request) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        logger.debug("Rejected %s %s with %s", request.method, request.path, exc)
        return exc.to_response()


def _add_rate_limit_headers(
    context: EmulatorContext, response: web.StreamResponse, user_id: str, tier: str
) -> None:
    status = context.limiter.status(user_id, tier)
    reset = math.ceil(context.epoch_at(context.clock() + status.reset_in))
    response.headers["Ratelimit-Limit"] = str(status.quota)
    response.headers["Ratelimit-Remaining"] = str(status.remaining)
    response.headers["Ratelimit-Reset"] = str(reset)


async def _handle_with_faults(
    request: web.Request,
    handler: Handler,
    context: EmulatorContext,
    operation: str,
    outcome: _Outcome,
) -> web.StreamResponse:
    """Run the handler, unless a fault rule breaks the response before or after it."""
    draw = context.faults.draw(operation)
    if draw.delay:
        await asyncio.sleep(draw.delay)
    fault = draw.fault
    if fault is not None:
        outcome.fault = fault.kind
    if fault is not None and fault.kind not in AFTER_HANDLER_KINDS:
        return _fault_before_handler(request, fault, outcome)
    response = await _call_handler(handler, request)
    if fault is not None:
        response = await _fault_after_handler(request, fault, response, outcome)
    return response


async def _api_operation(
    request: web.Request,
    handler: Handler,
    context: EmulatorContext,
    operation: str,
    outcome: _Outcome,
) -> web.StreamResponse:
    if context.latency:
        await asyncio.sleep(context.latency)

    principal = context.auth.authenticate(request.headers.get("Authorization"))
    if principal is None:
        logger.debug("Rejected %s %s: missing or invalid credentials", request.method, request.path)
        return error_response(
            401, "Missing or invalid credentials; send 'Authorization: Bearer <API key or token>'."
        )
    outcome.principal = principal
    current_principal.set(principal)

    tier = OPERATION_TIERS[operation]
    wait = context.limiter.acquire(principal.user_id, tier)
    if wait is not None:
        context.rate_limited.add(operation, tier)
        retry_after = format_retry_after(wait, context.minute_seconds)
        logger.debug(
            "Rate limited %s of %s on %s for %s s", operation, principal.user_id, tier, retry_after
        )
        response: web.StreamResponse = _rate_limited(retry_after, retry_after)
    else:
        response = await _handle_with_faults(request, handler, context, operation, outcome)

    if context.rate_limit_headers and not response.prepared:
        _add_rate_limit_headers(context, response, principal.user_id, tier)
    return response


async def _dispatch(
    request: web.Request,
    handler: Handler,
    context: EmulatorContext,
    operation: str | None,
    outcome: _Outcome,
) -> web.StreamResponse:
    if operation in OPERATION_TIERS:
        assert operation is not None
        return await _api_operation(request, handler, context, operation, outcome)
    if operation == "oauth_token":
        # The token endpoint has no rate-limit tier, but it fails like any other endpoint.
        return await _handle_with_faults(request, handler, context, operation, outcome)
    if operation is not None and operation.startswith("control_"):
        principal = context.auth.authenticate(request.headers.get("Authorization"))
        if principal is None:
            return error_response(401, "The control endpoints need the API key or a token.")
        outcome.principal = principal
        current_principal.set(principal)
    return await _call_handler(handler, request)


def _describe_http_exception(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return f"No emulated operation matches {request.method} {request.path}."
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return f"The request body is larger than the emulator accepts ({exc.text})."
    return exc.reason


@web.middleware
async def pipeline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, rate-limit, inject faults into, handle and record one request."""
    context = request.app[CONTEXT_KEY]
    operation = _route_name(request)
    arrived = context.clock()
    body = None
    outcome = _Outcome()
    try:
        body = await _recorded_body(request, operation)
        response = await _dispatch(request, handler, context, operation, outcome)
    except web.HTTPException as exc:
        # Unknown paths, unsupported methods and oversized bodies.
        detail = _describe_http_exception(request, exc)
        logger.debug("Rejected %s %s with %d: %s", request.method, request.path, exc.status, detail)
        response = error_response(exc.status, detail)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]

    context.requests.append(
        RecordedRequest(
            operation=operation,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=body,
            status=None if outcome.cut else response.status,
            principal=outcome.principal.user_id if outcome.principal is not None else None,
            time=arrived,
            fault=outcome.fault,
        )
    )
    return response
