"""The one place that sends HTTP: session, credentials, tier buckets, retries and error mapping.

Retry rules, by what the failure proves about the server's state:

- 429: the server refused the request before doing anything, so every operation is retried,
  after pausing the whole tier for the ``retry-after`` wait (or a backoff when absent).
- 503: the API reference documents it as worth retrying, so every operation is retried.
- Connection refused: nothing was sent, so every operation is retried.
- Reset or closed connection, timeout, cut-short body, 500, 502, 504: the server may have
  applied the request. Operations that are safe to repeat are retried. Create, activate and
  the data-quality action raise ``OutcomeUnknownError`` instead, because repeating them could
  create a second data product.
- A retried delete that finds the product gone (404), or a retried deactivate or move that
  finds the end state already in place (409), counts as success: the earlier attempt did it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from ._auth import Credentials
from ._errors import (
    ApiError,
    AuthenticationError,
    DecodeError,
    RequestTimeoutError,
    TransportError,
    UnsafeRequestError,
    api_error_class,
)
from ._limits import DEFAULT_TIER_LIMITS, TierBucket, TierLimit
from ._operations import RawResponse, Request
from ._responses import api_error, oauth_error, outcome_unknown, redirect_error
from ._retry import RetryPolicy, parse_retry_after

__all__ = ["Transport"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAYBE_APPLIED_STATUSES = frozenset({500, 502, 504})

# 409 and 404 responses that prove an earlier, unanswered attempt of the same call succeeded.
_DONE_ALREADY = {"delete": 404, "deactivate": 409, "move": 409}

# Token endpoint statuses that are retried. A repeated token request at worst issues one more
# token, which changes nothing a caller relies on.
_TRANSIENT_TOKEN_STATUSES = frozenset({429, 500, 502, 503, 504})


class _NotSent(Exception):
    """The connection failed before the request could reach the server."""


class _MaybeSent(Exception):
    """The request failed after it may have reached the server."""

    def __init__(self, cause: BaseException, *, timed_out: bool) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.cause = cause
        self.timed_out = timed_out


class Transport:
    """Send requests for one client: one session, one bucket per tier, one retry policy."""

    def __init__(
        self,
        base_url: URL,
        credentials: Credentials,
        *,
        session: aiohttp.ClientSession | None = None,
        tier_limits: Mapping[str, TierLimit] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        rng: random.Random | None = None,
        user_agent: str = "qlik-dataproducts",
    ) -> None:
        self.base_url = base_url
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.user_agent = user_agent
        self._rng = rng or random.Random()
        self._session = session
        self._owns_session = session is None
        limits = {**DEFAULT_TIER_LIMITS, **(tier_limits or {})}
        self.buckets = {
            name: TierBucket(name, limit, rng=self._rng) for name, limit in limits.items()
        }
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._closed = False

    def __repr__(self) -> str:
        buckets = ", ".join(repr(bucket) for bucket in self.buckets.values())
        return f"<Transport {self.base_url} in_flight={len(self._in_flight)} [{buckets}]>"

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        """Return the session, creating it inside the running loop on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession(trace_configs=[_send_counter()])
        return self._session

    async def close(self) -> None:
        """Cancel calls still running, wait for them to unwind, then close an owned session."""
        self._closed = True
        current = asyncio.current_task()
        running = [task for task in self._in_flight if task is not current and not task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=5.0)
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    async def send(
        self,
        request: Request,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> RawResponse:
        """Send ``request`` through its tier bucket, retrying by the rules in the module docstring.

        Args:
            retry: overrides the client's retry policy for this call.
            timeout: seconds for each HTTP attempt; time queued in a bucket is not counted.
            deadline: seconds for the whole call, bucket waits and retries included.

        Raises:
            ApiError: a subclass per status, once retries are spent or not allowed.
            TransportError: the connection failed or timed out.
            OutcomeUnknownError: see the module docstring.
        """
        if self._closed:
            raise TransportError(
                "the client is closed; create a new client",
                operation=request.operation.name,
                method=request.operation.method,
                url=str(request.url),
            )
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            return await self._send(request, retry or self.retry, timeout, deadline)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def fetch_token(self, path: str, body: Mapping[str, str]) -> Mapping[str, Any]:
        """POST an OAuth token request under the base URL and return the decoded JSON."""
        url = self.base_url.with_path(self.base_url.raw_path.rstrip("/") + "/" + path)
        try:
            async with self.session().post(
                url,
                json=dict(body),
                headers={"Accept": "application/json", "User-Agent": self.user_agent},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                payload = await response.read()
                status = response.status
                headers = response.headers
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransportError(
                str(exc) or type(exc).__name__, operation="token", method="POST", url=str(url)
            ) from exc
        if status in _REDIRECTS:
            location = URL(headers.get("Location", ""))
            target = url.join(location) if str(location) else url
            where = "the same origin" if target.origin() == url.origin() else str(target.origin())
            raise UnsafeRequestError(
                f"token: the server redirected POST {url} to {where} with {status}; "
                "redirects are not followed, so the client secret never moves. "
                "Point base_url at the tenant's final address.",
                url=str(target),
            )
        if status != 200:
            error_class = (
                AuthenticationError if status in (400, 401, 403) else api_error_class(status)
            )
            raise error_class(
                status=status,
                operation="token",
                method="POST",
                url=str(url),
                errors=[oauth_error(status, payload)],
                trace_id=headers.get("x-request-id"),
                retry_after=parse_retry_after(headers.get("Retry-After")),
            )
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise DecodeError(f"token response is not JSON: {exc}", operation="token") from exc
        if not isinstance(data, dict):
            raise DecodeError("token response is not a JSON object", operation="token")
        return data

    async def _send(
        self,
        request: Request,
        policy: RetryPolicy,
        timeout: float | None,
        deadline: float | None,
    ) -> RawResponse:
        loop = asyncio.get_running_loop()
        operation = request.operation
        bucket = self.buckets[operation.tier]
        give_up_at = None if deadline is None else loop.time() + deadline
        attempt = 0
        stale_token: str | None = None
        refreshed = False
        maybe_applied = False

        while True:
            attempt += 1
            await self._within(give_up_at, request, bucket.acquire())
            try:
                token = await self._within(
                    give_up_at, request, self.credentials.token(self.fetch_token, stale=stale_token)
                )
            except (TransportError, ApiError) as exc:
                transient = not isinstance(exc, ApiError) or exc.status in _TRANSIENT_TOKEN_STATUSES
                if not transient or attempt >= policy.max_attempts:
                    raise
                server_wait = exc.retry_after if isinstance(exc, ApiError) else None
                await self._back_off(request, bucket, attempt, policy, server_wait, exc, give_up_at)
                continue

            attempt_timeout = timeout if timeout is not None else self.timeout
            if give_up_at is not None:
                attempt_timeout = min(attempt_timeout, max(0.001, give_up_at - loop.time()))
            try:
                bucket.stats.requests += 1
                response = await self._attempt(request, token, attempt_timeout)
            except _NotSent as exc:
                failure = TransportError(
                    str(exc),
                    operation=operation.name,
                    method=operation.method,
                    url=str(request.url),
                )
                if attempt >= policy.max_attempts:
                    raise failure from exc.__cause__
                await self._back_off(request, bucket, attempt, policy, None, failure, give_up_at)
                continue
            except _MaybeSent as exc:
                error_type = RequestTimeoutError if exc.timed_out else TransportError
                failure = error_type(
                    str(exc),
                    operation=operation.name,
                    method=operation.method,
                    url=str(request.url),
                )
                if not operation.safe_to_repeat:
                    raise outcome_unknown(request, failure) from exc.cause
                maybe_applied = True
                if attempt >= policy.max_attempts:
                    raise failure from exc.cause
                await self._back_off(request, bucket, attempt, policy, None, failure, give_up_at)
                continue

            await self._follow_hints(bucket, response)
            status = response.status
            maybe_applied = maybe_applied or response.resent
            if 200 <= status < 300:
                return response
            if status in _REDIRECTS:
                raise redirect_error(request, response)
            if maybe_applied and _DONE_ALREADY.get(operation.name) == status:
                logger.debug(
                    "%s %s: %d after an unanswered attempt; the earlier attempt succeeded",
                    operation.name,
                    request.url,
                    status,
                )
                return RawResponse(204, response.headers, b"", response.url)

            error = api_error(request, response, token)
            if status == 401:
                if self.credentials.refreshable and not refreshed:
                    refreshed = True
                    stale_token = token
                    logger.debug("%s: 401, refreshing the token once", operation.name)
                    continue
                raise error
            if status == 429:
                bucket.stats.rate_limited += 1
                wait = error.retry_after
                if wait is not None and wait > policy.max_retry_after:
                    raise error
                if wait is None:
                    wait = policy.backoff(attempt, self._rng)
                await bucket.pause(wait, reason=f"429 on {operation.name}")
                if attempt >= policy.max_attempts:
                    raise error
                bucket.stats.retries += 1
                logger.debug(
                    "retrying %s, attempt %d, after 429 (tier paused %.2f s, traceId %s)",
                    operation.name,
                    attempt + 1,
                    wait,
                    error.trace_id,
                )
                continue
            retryable = status == 503 or (
                status in _MAYBE_APPLIED_STATUSES and operation.safe_to_repeat
            )
            if retryable:
                maybe_applied = maybe_applied or status != 503
                if attempt >= policy.max_attempts:
                    raise error
                await self._back_off(
                    request, bucket, attempt, policy, error.retry_after, error, give_up_at
                )
                continue
            if status in _MAYBE_APPLIED_STATUSES:
                raise outcome_unknown(request, error) from error
            raise error

    async def _attempt(self, request: Request, token: str, timeout: float) -> RawResponse:
        operation = request.operation
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": operation.accept,
            "User-Agent": self.user_agent,
        }
        data = None
        if request.has_body:
            headers["Content-Type"] = "application/json"
            data = json.dumps(request.body, ensure_ascii=False).encode()

        loop = asyncio.get_running_loop()
        started = loop.time()
        sends = _Sends()
        try:
            async with self.session().request(
                operation.method,
                request.url,
                headers=headers,
                data=data,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
                trace_request_ctx=sends,
            ) as response:
                body = await response.read()
                raw = RawResponse(
                    response.status, response.headers, body, response.url, sends.count > 1
                )
        except _CONNECT_TIMEOUT as exc:
            raise _NotSent(f"connection timed out after {timeout:g} s") from exc
        except aiohttp.ClientConnectorError as exc:
            raise _NotSent(f"cannot connect: {exc.os_error or exc}") from exc
        except asyncio.TimeoutError as exc:
            raise _MaybeSent(
                TimeoutError(f"no complete response within {timeout:g} s"), timed_out=True
            ) from exc
        except aiohttp.ClientError as exc:
            raise _MaybeSent(exc, timed_out=False) from exc

        logger.debug(
            "%s %s %s -> %d in %.0f ms",
            operation.name,
            operation.method,
            request.url,
            raw.status,
            (loop.time() - started) * 1000,
        )
        return raw

    async def _within(self, give_up_at: float | None, request: Request, waiter: Awaitable[T]) -> T:
        if give_up_at is None:
            return await waiter
        remaining = give_up_at - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(waiter, max(0.0, remaining))
        except asyncio.TimeoutError:
            raise RequestTimeoutError(
                "the call's deadline passed while it waited for the rate limit or a retry",
                operation=request.operation.name,
                method=request.operation.method,
                url=str(request.url),
            ) from None

    async def _back_off(
        self,
        request: Request,
        bucket: TierBucket,
        attempt: int,
        policy: RetryPolicy,
        server_wait: float | None,
        error: Exception,
        give_up_at: float | None,
    ) -> None:
        wait = server_wait if server_wait is not None else policy.backoff(attempt, self._rng)
        wait = min(wait, policy.max_retry_after)
        bucket.stats.retries += 1
        logger.debug(
            "retrying %s, attempt %d, in %.2f s after %s (traceId %s)",
            request.operation.name,
            attempt + 1,
            wait,
            type(error).__name__,
            getattr(error, "trace_id", None),
        )
        await self._within(give_up_at, request, asyncio.sleep(wait))

    async def _follow_hints(self, bucket: TierBucket, response: RawResponse) -> None:
        remaining = response.headers.get("Ratelimit-Remaining")
        reset = response.headers.get("Ratelimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            await bucket.follow_hints(int(remaining), float(reset))
        except ValueError:
            logger.debug("ignoring unreadable Ratelimit headers %r / %r", remaining, reset)


class _Sends:
    """How many times aiohttp wrote one request's headers to a connection."""

    def __init__(self) -> None:
        self.count = 0


def _send_counter() -> aiohttp.TraceConfig:
    # aiohttp sends a GET or DELETE a second time, without telling the caller, when a reused
    # keep-alive connection turns out to be closed. Counting the header writes shows when that
    # happened, so a 404 on such a delete is known to follow an earlier attempt. Sessions passed
    # in by the caller lack this trace, so there a hidden resend of a delete raises 404.
    async def on_headers_sent(
        session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        sends = context.trace_request_ctx
        if isinstance(sends, _Sends):
            sends.count += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers_sent)
    return trace


_CONNECT_TIMEOUT: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(aiohttp, "ConnectionTimeoutError", None),) if isinstance(cls, type)
)
