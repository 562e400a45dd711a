"""Credentials: an API key, OAuth2 client credentials, or a caller's own token provider.

Each credential hands the transport a bearer token. ``stale`` names a token the server just
rejected with 401: a credential that can refresh returns a different token. One refresh runs
at a time: tasks that need a token while it runs wait for it and share its token or its error,
so a thousand concurrent first calls cause one token request.

No credential shows its secret in ``repr()`` or ``str()``, and nothing here logs a secret.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from ._errors import ConfigurationError, DecodeError

__all__ = [
    "ApiKey",
    "Credentials",
    "OAuthClientCredentials",
    "TokenFetcher",
    "TokenProvider",
]

logger = logging.getLogger(__name__)

# Sends the token request: the transport supplies it, so every request shares one session.
TokenFetcher = Callable[[str, Mapping[str, str]], Awaitable[Mapping[str, Any]]]


class Credentials(Protocol):
    """Interface of a credential: a source of bearer tokens for the transport."""

    refreshable: bool

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        """Return a bearer token; a new one when ``stale`` is the current one."""
        ...


class _SingleFlight:
    """Run one refresh at a time. Callers that arrive while it runs share its outcome.

    The refresh runs in a task of its own, so cancelling the caller that started it does not
    cancel it for the others.
    """

    def __init__(self) -> None:
        self._running: asyncio.Future[None] | None = None

    async def run(self, refresh: Callable[[], Awaitable[None]]) -> None:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(refresh())
            # Marks the error as retrieved even when every waiting caller was cancelled.
            self._running.add_done_callback(_retrieve_exception)
        await asyncio.shield(self._running)


def _retrieve_exception(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


class ApiKey:
    """A Qlik Cloud API key, sent as ``Authorization: Bearer <key>``."""

    refreshable = False

    def __init__(self, key: str) -> None:
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError("api_key is empty; pass the API key created in Qlik Cloud")
        self._key = key

    def __repr__(self) -> str:
        return "ApiKey(<redacted>)"

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        return self._key


class TokenProvider:
    """A caller's async callable that returns a bearer token, called again after a 401."""

    refreshable = True

    def __init__(self, provider: Callable[[], Awaitable[str]]) -> None:
        self._provider = provider
        self._token: str | None = None
        self._refresh = _SingleFlight()
        self.calls = 0

    def __repr__(self) -> str:
        return f"TokenProvider({getattr(self._provider, '__qualname__', 'callable')})"

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        if self._token is None or self._token == stale:
            await self._refresh.run(self._call_provider)
        assert self._token is not None
        return self._token

    async def _call_provider(self) -> None:
        self.calls += 1
        token = await self._provider()
        if not isinstance(token, str) or not token:
            raise ConfigurationError(
                f"token provider {self!r} returned {type(token).__name__}, expected a non-empty str"
            )
        self._token = token


class OAuthClientCredentials:
    """OAuth2 client credentials (machine-to-machine) for a Qlik Cloud OAuth client.

    The token is fetched on first use from ``POST {tenant}/oauth/token`` and fetched again
    ``refresh_margin`` seconds before it expires, or at half its lifetime when the token lives
    less than twice ``refresh_margin``. A 401 on a request also fetches a new token.

    Args:
        client_id: the OAuth client's id, from the tenant's management console.
        client_secret: the OAuth client's secret; never shown by ``repr()`` or logs.
        scope: the space-separated scopes to request, or None for the client's defaults.
        refresh_margin: seconds before expiry at which a new token is fetched.
        clock: monotonic time in seconds; tests pass a fake clock.
    """

    refreshable = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError(
                "OAuth client_id and client_secret are both required; "
                "create an OAuth client of type machine-to-machine in the tenant"
            )
        if refresh_margin < 0:
            raise ConfigurationError(
                f"invalid refresh_margin {refresh_margin}: expected 0 or more seconds"
            )
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._refresh = _SingleFlight()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"OAuthClientCredentials(client_id={self.client_id!r}, client_secret=<redacted>)"

    def _fresh(self, stale: str | None) -> bool:
        return self._token is not None and self._token != stale and self._clock() < self._refresh_at

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        if not self._fresh(stale):
            await self._refresh.run(lambda: self._fetch(fetch))
        assert self._token is not None
        return self._token

    async def _fetch(self, fetch: TokenFetcher) -> None:
        body = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
        }
        if self.scope:
            body["scope"] = self.scope
        requested_at = self._clock()
        answer = await fetch("oauth/token", body)
        self.fetches += 1

        token = answer.get("access_token")
        token_type = answer.get("token_type", "Bearer")
        lifetime = answer.get("expires_in")
        if not isinstance(token, str) or not token:
            raise DecodeError("missing access_token", path="$.access_token", operation="token")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise DecodeError(
                f"expected token_type 'Bearer', got {token_type!r}",
                path="$.token_type",
                operation="token",
            )
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
            raise DecodeError(
                f"expected a positive number of seconds, got {lifetime!r}",
                path="$.expires_in",
                operation="token",
            )
        # Lifetimes count from the moment the request left, so the token never outlives them.
        usable = max(float(lifetime) - self.refresh_margin, float(lifetime) / 2)
        self._token = token
        self._refresh_at = requested_at + usable
        logger.debug(
            "OAuth token for client %s valid for %g s, refreshed after %g s",
            self.client_id,
            lifetime,
            usable,
        )
