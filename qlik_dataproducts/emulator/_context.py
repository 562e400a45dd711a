"""The parts of a running emulator that request handlers share."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._auth import Authenticator, Principal
from ._faults import FaultInjector
from ._ratelimit import Limiter, RateLimitCounter
from ._state import EmulatorState

__all__ = [
    "CONTEXT_KEY",
    "EmulatorContext",
    "RecordedRequest",
    "current_principal",
    "request_principal",
]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received and the response it sent.

    Attributes:
        operation: the API operation name, `oauth_token`, a `control_*` name for the
            `/_emulator` endpoints, or None for a path that matches no route.
        method: the HTTP method.
        path: the percent-decoded path.
        query: the query parameters; of a repeated parameter only the last value is kept.
        body: the parsed JSON or form body, or None when the body is empty or unparsable.
            A `client_secret` is replaced by "***".
        status: the response status, or None when the emulator cut the connection instead.
        principal: the user id the request acted as, or None before authentication succeeded.
        time: the emulator clock when the request arrived, in seconds.
        fault: the kind of the fault injected into the response, if any.
    """

    operation: str | None
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int | None
    principal: str | None
    time: float
    fault: str | None = None


@dataclass
class EmulatorContext:
    """State, limits, faults and settings of one emulator app."""

    state: EmulatorState
    auth: Authenticator
    limiter: Limiter
    faults: FaultInjector
    clock: Callable[[], float]
    epoch_at: Callable[[float], float]
    minute_seconds: float
    latency: float = 0.0
    rate_limit_headers: bool = False
    rate_limited: RateLimitCounter = field(default_factory=RateLimitCounter)
    requests: list[RecordedRequest] = field(default_factory=list)


CONTEXT_KEY = web.AppKey("emulator_context", EmulatorContext)

# aiohttp runs each request in its own task, so the principal the pipeline sets here is
# visible to the handler of the same request only.
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)


def request_principal(request: web.Request) -> Principal:
    """Return the principal the pipeline authenticated for the current request."""
    principal = current_principal.get()
    if principal is None:
        raise RuntimeError(f"no authenticated principal for {request.method} {request.path}")
    return principal
