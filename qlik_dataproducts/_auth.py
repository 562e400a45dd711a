"""Credentials: an API key, OAuth2 client credentials, or a caller's own token provider.

Each credential hands the transport a bearer token. ``stale`` names a token the server just
rejected with 401: a credential that can refresh returns a different token, and concurrent
callers that saw the same rejection share one refresh.
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
    """What the transport needs from a credential."""

    refreshable: bool

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        """Return a bearer token; a new one when ``stale`` is the current one."""
        ...


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
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TokenProvider({getattr(self._provider, '__qualname__', 'callable')})"

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        if self._token is not None and self._token != stale:
            return self._token
        async with self._lock:
            if self._token is None or self._token == stale:
                token = await self._provider()
                if not isinstance(token, str) or not token:
                    raise ConfigurationError(
                        f"token provider {self!r} returned {type(token).__name__}, "
                        "expected a non-empty str"
                    )
                self._token = token
            return self._token


class OAuthClientCredentials:
    """OAuth2 client credentials (machine-to-machine) for a Qlik Cloud OAuth client.

    The token is fetched on first use from ``POST {tenant}/oauth/token`` and fetched again
    ``refresh_margin`` seconds before it expires. Under any concurrency one fetch runs at a time.
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
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"OAuthClientCredentials(client_id={self.client_id!r}, client_secret=<redacted>)"

    def _fresh(self, stale: str | None) -> bool:
        usable_until = self._expires_at - self.refresh_margin
        return self._token is not None and self._token != stale and self._clock() < usable_until

    async def token(self, fetch: TokenFetcher, *, stale: str | None = None) -> str:
        if self._fresh(stale):
            assert self._token is not None
            return self._token
        async with self._lock:
            # Another task may have refreshed while this one waited for the lock.
            if not self._fresh(stale):
                await self._fetch(fetch)
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
        lifetime = answer.get("expires_in")
        if not isinstance(token, str) or not token:
            raise DecodeError("missing access_token", path="$.access_token", operation="token")
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
            raise DecodeError(
                f"expected a positive number of seconds, got {lifetime!r}",
                path="$.expires_in",
                operation="token",
            )
        self._token = token
        self._expires_at = requested_at + float(lifetime)
        logger.debug("OAuth token for client %s valid for %.0f s", self.client_id, lifetime)
