"""OAuth2 client credentials, token providers and the 401 refresh, over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from qlik_dataproducts import (
    AuthenticationError,
    DataProductsClient,
    DecodeError,
    OAuthClientCredentials,
    RetryPolicy,
    ServiceUnavailableError,
    TierLimit,
)
from qlik_dataproducts.emulator import Emulator
from tests.canned import Canned, CannedServer, error_body
from tests.clock import FakeClock
from tests.conftest import FAST_RETRY

PRODUCT_ID = "0123456789abcdef01234567"
PRODUCT = json.loads((Path(__file__).parent / "samples" / "data_product.json").read_text())
TOKEN = {"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}

# Room for a thousand calls at once on both sides, so that no test here waits for a tier.
CLIENT_TIERS = {"tier1": TierLimit(100_000), "tier2": TierLimit(10_000)}
EMULATOR_TIERS = {"tier1": 100_000, "tier2": 10_000}


@pytest.fixture
def server_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client_clock() -> FakeClock:
    return FakeClock(50.0)


@pytest.fixture
async def emulator(server_clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(
        clock=server_clock, token_lifetime=600.0, tier_limits=EMULATOR_TIERS
    ) as running:
        yield running


def oauth_client(
    emulator: Emulator, clock: Callable[[], float], **options: Any
) -> DataProductsClient:
    oauth = OAuthClientCredentials(
        emulator.oauth_client_id, emulator.oauth_client_secret, clock=clock, **options
    )
    return DataProductsClient(
        emulator.base_url, oauth=oauth, tier_limits=CLIENT_TIERS, retry=FAST_RETRY
    )


def provider_client(
    base_url: str, provider: Callable[[], Awaitable[str]], *, api_retry: RetryPolicy = FAST_RETRY
) -> DataProductsClient:
    return DataProductsClient(
        base_url, token_provider=provider, tier_limits=CLIENT_TIERS, retry=api_retry
    )


async def seed_product(emulator: Emulator) -> str:
    async with DataProductsClient(emulator.base_url, api_key=emulator.api_key) as client:
        return (await client.create(name="Seed")).id


def statuses(emulator: Emulator, operation: str) -> list[int | None]:
    return [r.status for r in emulator.requests if r.operation == operation]


# --- OAuth2 client credentials -----------------------------------------------------------------


async def test_token_fetched_on_first_use(emulator: Emulator, client_clock: FakeClock) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock) as client:
        before = emulator.token_requests
        await client.get(product_id)

    assert before == 0
    assert emulator.token_requests == 1
    assert statuses(emulator, "oauth_token") == [200]


async def test_token_request_body(emulator: Emulator, client_clock: FakeClock) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock, scope="user_default") as client:
        await client.get(product_id)
    sent = next(r for r in emulator.requests if r.operation == "oauth_token")

    assert sent.method == "POST"
    assert sent.path == "/oauth/token"
    assert sent.body["client_id"] == emulator.oauth_client_id
    assert sent.body["grant_type"] == "client_credentials"
    assert sent.body["scope"] == "user_default"
    assert "client_secret" in sent.body


async def test_token_reused_before_margin(emulator: Emulator, client_clock: FakeClock) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock, refresh_margin=60.0) as client:
        await client.get(product_id)
        client_clock.advance(539.0)
        await client.get(product_id)

    assert emulator.token_requests == 1


async def test_token_refreshed_margin_before_expiry(
    emulator: Emulator, server_clock: FakeClock, client_clock: FakeClock
) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock, refresh_margin=60.0) as client:
        await client.get(product_id)
        # 541 s into a 600 s token: both clocks move, and the server still accepts the token.
        client_clock.advance(541.0)
        server_clock.advance(541.0)
        await client.get(product_id)

    assert emulator.token_requests == 2
    assert 401 not in statuses(emulator, "get")


async def test_short_token_refreshed_at_half_life(server_clock: FakeClock) -> None:
    client_clock = FakeClock()
    async with Emulator(clock=server_clock, token_lifetime=30.0) as emulator:
        product_id = await seed_product(emulator)
        async with oauth_client(emulator, client_clock, refresh_margin=60.0) as client:
            await client.get(product_id)
            client_clock.advance(14.0)
            await client.get(product_id)
            after_14_seconds = emulator.token_requests
            client_clock.advance(2.0)
            await client.get(product_id)

    assert after_14_seconds == 1
    assert emulator.token_requests == 2


async def test_concurrent_first_calls_one_token(
    emulator: Emulator, client_clock: FakeClock
) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock) as client:
        gets = [client.get(product_id) for _ in range(900)]
        creates = [client.create(name=f"Concurrent {n}") for n in range(100)]
        results = await asyncio.gather(*gets, *creates)

    assert len(results) == 1000
    assert emulator.token_requests == 1
    assert statuses(emulator, "oauth_token") == [200]


async def test_expired_token_refreshed_once(
    emulator: Emulator, server_clock: FakeClock, client_clock: FakeClock
) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock) as client:
        await client.get(product_id)
        # Only the server's clock moves, so the client still trusts the token it holds.
        server_clock.advance(601.0)
        product = await client.get(product_id)

    assert product.id == product_id
    assert emulator.token_requests == 2
    assert statuses(emulator, "get") == [200, 401, 200]


async def test_expired_token_refresh_shared(
    emulator: Emulator, server_clock: FakeClock, client_clock: FakeClock
) -> None:
    product_id = await seed_product(emulator)
    async with oauth_client(emulator, client_clock) as client:
        await client.get(product_id)
        server_clock.advance(601.0)
        await asyncio.gather(*(client.get(product_id) for _ in range(200)))

    assert emulator.token_requests == 2
    assert statuses(emulator, "get").count(401) == 200


async def test_wrong_client_secret_not_retried(emulator: Emulator) -> None:
    oauth = OAuthClientCredentials(emulator.oauth_client_id, "not-the-secret")
    async with DataProductsClient(emulator.base_url, oauth=oauth, retry=FAST_RETRY) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get(PRODUCT_ID)

    assert caught.value.operation == "token"
    assert caught.value.errors[0].code == "invalid_client"
    assert statuses(emulator, "oauth_token") == [401]
    assert statuses(emulator, "get") == []


async def test_wrong_client_secret_shared(emulator: Emulator) -> None:
    oauth = OAuthClientCredentials(emulator.oauth_client_id, "not-the-secret")
    async with DataProductsClient(emulator.base_url, oauth=oauth, retry=FAST_RETRY) as client:
        results = await asyncio.gather(
            *(client.get(PRODUCT_ID) for _ in range(50)), return_exceptions=True
        )

    assert all(isinstance(result, AuthenticationError) for result in results)
    assert statuses(emulator, "oauth_token") == [401]


# --- 401 handling over a scripted server -------------------------------------------------------


async def test_second_401_raises(canned: CannedServer) -> None:
    canned.add(Canned(200, TOKEN), Canned(401, error_body(401)))
    canned.add(Canned(200, {**TOKEN, "access_token": "token-2"}), Canned(401, error_body(401)))
    oauth = OAuthClientCredentials("client", "secret")
    async with DataProductsClient(canned.base_url, oauth=oauth, retry=FAST_RETRY) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get(PRODUCT_ID)
    paths = [seen.path for seen in canned.requests]
    api_path = f"/api/data-governance/data-products/{PRODUCT_ID}"

    assert caught.value.status == 401
    assert caught.value.operation == "get"
    assert paths == ["/oauth/token", api_path, "/oauth/token", api_path]
    assert canned.requests[1].headers["Authorization"] == "Bearer token-1"
    assert canned.requests[3].headers["Authorization"] == "Bearer token-2"


async def test_api_key_401_not_retried(canned: CannedServer) -> None:
    canned.add(Canned(401, error_body(401)))
    async with DataProductsClient(canned.base_url, api_key="key", retry=FAST_RETRY) as client:
        with pytest.raises(AuthenticationError):
            await client.get(PRODUCT_ID)

    assert len(canned.requests) == 1


async def test_token_endpoint_503_retried(canned: CannedServer) -> None:
    canned.add(Canned(503, error_body(503)), Canned(200, TOKEN), Canned(200, PRODUCT))
    oauth = OAuthClientCredentials("client", "secret")
    async with DataProductsClient(canned.base_url, oauth=oauth, retry=FAST_RETRY) as client:
        product = await client.get(PRODUCT_ID)

    assert product.name == PRODUCT["name"]
    assert [seen.path for seen in canned.requests][:2] == ["/oauth/token", "/oauth/token"]


async def test_token_endpoint_503_exhausts_retries(canned: CannedServer) -> None:
    canned.add(Canned(503, error_body(503)))
    oauth = OAuthClientCredentials("client", "secret")
    policy = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
    async with DataProductsClient(canned.base_url, oauth=oauth, retry=policy) as client:
        with pytest.raises(ServiceUnavailableError) as caught:
            await client.get(PRODUCT_ID)

    assert caught.value.operation == "token"
    assert len(canned.requests) == 3


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        ({"token_type": "Bearer", "expires_in": 60}, "$.access_token"),
        ({"access_token": "t", "token_type": "Bearer"}, "$.expires_in"),
        ({"access_token": "t", "token_type": "Bearer", "expires_in": True}, "$.expires_in"),
        ({"access_token": "t", "token_type": "MAC", "expires_in": 60}, "$.token_type"),
    ],
)
async def test_malformed_token_response_rejected(
    canned: CannedServer, answer: dict[str, Any], path: str
) -> None:
    canned.add(Canned(200, answer))
    oauth = OAuthClientCredentials("client", "secret")
    async with DataProductsClient(canned.base_url, oauth=oauth, retry=FAST_RETRY) as client:
        with pytest.raises(DecodeError) as caught:
            await client.get(PRODUCT_ID)

    assert caught.value.path == path
    assert len(canned.requests) == 1


def test_negative_refresh_margin_rejected() -> None:
    with pytest.raises(ValueError, match="refresh_margin"):
        OAuthClientCredentials("client", "secret", refresh_margin=-1.0)


# --- token provider ----------------------------------------------------------------------------


class Provider:
    """An async token provider that returns ``tokens`` in turn, the last one repeatedly."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(0.01)
        return self.tokens[min(self.calls, len(self.tokens)) - 1]


async def test_provider_called_once_concurrently(emulator: Emulator) -> None:
    product_id = await seed_product(emulator)
    provider = Provider(emulator.api_key)
    async with provider_client(emulator.base_url, provider) as client:
        await asyncio.gather(*(client.get(product_id) for _ in range(1000)))

    assert provider.calls == 1


async def test_provider_called_again_after_401(emulator: Emulator) -> None:
    product_id = await seed_product(emulator)
    provider = Provider("rejected-token", emulator.api_key)
    async with provider_client(emulator.base_url, provider) as client:
        product = await client.get(product_id)

    assert product.id == product_id
    assert provider.calls == 2
    assert statuses(emulator, "get") == [401, 200]


async def test_provider_refresh_shared_after_401(emulator: Emulator) -> None:
    product_id = await seed_product(emulator)
    provider = Provider("rejected-token", emulator.api_key)
    async with provider_client(emulator.base_url, provider) as client:
        await asyncio.gather(*(client.get(product_id) for _ in range(200)))

    assert provider.calls == 2


async def test_provider_same_token_twice_raises(emulator: Emulator) -> None:
    provider = Provider("rejected-token")
    async with provider_client(emulator.base_url, provider) as client:
        with pytest.raises(AuthenticationError):
            await client.get(PRODUCT_ID)

    assert provider.calls == 2
    assert statuses(emulator, "get") == [401, 401]


async def test_provider_error_shared(emulator: Emulator) -> None:
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("vault unreachable")

    async with provider_client(emulator.base_url, failing) as client:
        results = await asyncio.gather(
            *(client.get(PRODUCT_ID) for _ in range(100)), return_exceptions=True
        )

    assert calls == 1
    assert all(isinstance(result, RuntimeError) for result in results)
    assert emulator.requests == []


async def test_provider_non_string_rejected(emulator: Emulator) -> None:
    async def empty() -> str:
        return ""

    async with provider_client(emulator.base_url, empty) as client:
        with pytest.raises(ValueError, match="expected a non-empty str"):
            await client.get(PRODUCT_ID)


async def test_cancelled_caller_keeps_shared_refresh(emulator: Emulator) -> None:
    product_id = await seed_product(emulator)
    provider = Provider(emulator.api_key)
    async with provider_client(emulator.base_url, provider) as client:
        first = asyncio.create_task(client.get(product_id))
        second = asyncio.create_task(client.get(product_id))
        await asyncio.sleep(0)
        first.cancel()
        product = await second

    assert product.id == product_id
    assert first.cancelled()
    assert provider.calls == 1
