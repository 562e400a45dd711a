"""API-key and OAuth2 client-credentials authentication."""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Authenticator", "Principal", "TokenError"]

logger = logging.getLogger(__name__)

API_KEY_USER_ID = "emulator-api-key-user"


@dataclass(frozen=True)
class Principal:
    """The user a request acts as; rate limits count per `user_id`."""

    user_id: str
    client_id: str | None = None


@dataclass(frozen=True)
class _Token:
    principal: Principal
    expires: float


class TokenError(Exception):
    """A rejected token request, with the OAuth2 error code and HTTP status."""

    def __init__(self, status: int, error: str, description: str):
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}")

    def body(self) -> dict[str, str]:
        """Return the OAuth2 error body (RFC 6749, section 5.2)."""
        return {"error": self.error, "error_description": self.description}


def oauth_user_id(client_id: str) -> str:
    """Return the user id an OAuth client acts as."""
    return f"emulator-oauth-user-{client_id}"


class Authenticator:
    """Check bearer credentials and issue OAuth2 access tokens.

    Expired tokens are dropped lazily when they are presented.
    """

    def __init__(
        self,
        *,
        api_key: str,
        oauth_clients: Mapping[str, str],
        token_lifetime: float,
        clock: Callable[[], float],
        wall_time: Callable[[float], str],
    ) -> None:
        self._api_key = api_key
        self._clients = dict(oauth_clients)
        self._token_lifetime = token_lifetime
        self._clock = clock
        self._wall_time = wall_time
        self._tokens: dict[str, _Token] = {}
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"<Authenticator clients={len(self._clients)} tokens={len(self._tokens)}>"

    def authenticate(self, authorization: str | None) -> Principal | None:
        """Return the principal for an `Authorization` header, or None when it is not valid."""
        if authorization is None:
            return None
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return None
        if hmac.compare_digest(credential.encode(), self._api_key.encode()):
            return Principal(API_KEY_USER_ID)
        token = self._tokens.get(credential)
        if token is None:
            return None
        if self._clock() >= token.expires:
            del self._tokens[credential]
            logger.debug("Rejected an expired access token of client %s", token.principal.client_id)
            return None
        return token.principal

    def issue_token(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return the access-token response body for a client-credentials request.

        Raises:
            TokenError: a parameter is missing or wrong, or the client credentials are invalid.
        """
        grant_type = params.get("grant_type")
        client_id = params.get("client_id")
        client_secret = params.get("client_secret")
        if grant_type is None:
            raise TokenError(400, "invalid_request", "grant_type is required.")
        if grant_type != "client_credentials":
            raise TokenError(
                400,
                "unsupported_grant_type",
                f"grant_type must be 'client_credentials', got {grant_type!r}.",
            )
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise TokenError(
                400, "invalid_request", "client_id and client_secret are required strings."
            )
        if "scope" in params and not isinstance(params["scope"], str):
            raise TokenError(400, "invalid_scope", "scope must be a string.")
        expected = self._clients.get(client_id)
        if expected is None or not hmac.compare_digest(client_secret.encode(), expected.encode()):
            logger.info("Rejected a token request for client %s: invalid credentials", client_id)
            raise TokenError(401, "invalid_client", "The client id or client secret is invalid.")

        access_token = secrets.token_urlsafe(32)
        expires = self._clock() + self._token_lifetime
        self._tokens[access_token] = _Token(Principal(oauth_user_id(client_id), client_id), expires)
        self.token_requests += 1
        lifetime = self._token_lifetime
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(lifetime) if lifetime == math.floor(lifetime) else lifetime,
            "expires_at": self._wall_time(expires),
        }
