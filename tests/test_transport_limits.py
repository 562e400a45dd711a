"""Rate-limit hints and connection reuse, against the emulator over loopback."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from qlik_dataproducts import (
    AuthenticationError,
    DataProductsClient,
    NotFoundError,
    OAuthClientCredentials,
    TierLimit,
)
from qlik_dataproducts.emulator import Emulator, Fault


async def test_hints_pause_before_429() -> None:
    # The client's bucket is far larger than the emulator's limit, so only the
    # Ratelimit-Remaining and Ratelimit-Reset hints can keep it from drawing 429s.
    emulator = Emulator(
        tier_limits={"tier2": 3}, window_minutes=1, minute_seconds=2.0, rate_limit_headers=True
    )
    limits = {"tier2": TierLimit(1000, minute_seconds=2.0)}
    async with emulator:
        async with DataProductsClient(
            emulator.base_url, api_key=emulator.api_key, tier_limits=limits
        ) as client:
            for number in range(5):
                await client.generate_provider_url(f"ds-{number}")
            stats = client.stats.tiers["tier2"]
    assert emulator.rate_limited.total == 0
    assert stats.paused_seconds > 0


async def test_cancelled_calls_release_connections(emulator: Emulator) -> None:
    # A pool of two connections: a call cancelled in flight that kept its connection would
    # leave the later calls waiting for the pool until their timeout.
    emulator.faults.add(Fault("latency", operations={"get"}, probability=1, count=2, delay=0.5))
    connector = aiohttp.TCPConnector(limit=2)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with DataProductsClient(
            emulator.base_url, api_key=emulator.api_key, session=session, timeout=5.0
        ) as client:
            stuck = [asyncio.ensure_future(client.get(f"{n:024x}")) for n in range(2)]
            await asyncio.sleep(0.1)
            for call in stuck:
                call.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)

            for number in range(6):
                with pytest.raises(NotFoundError):
                    await client.get(f"{number:024x}", timeout=2.0)


async def test_stats_count_requests_sent(emulator: Emulator) -> None:
    async with DataProductsClient(emulator.base_url, api_key="wrong-key") as client:
        with pytest.raises(AuthenticationError):
            await client.create(name="Rejected")
    async with DataProductsClient(emulator.base_url, api_key=emulator.api_key) as client:
        await client.create(name="Sent")
        await client.generate_provider_url("ds-1")
        sent = client.stats.tiers["tier2"].requests
    assert sent == 2
    assert len([r for r in emulator.requests if r.operation == "create"]) == 2


async def test_stats_skip_requests_never_sent(emulator: Emulator) -> None:
    # The token request fails, so the create itself never leaves the client.
    credentials = OAuthClientCredentials(emulator.oauth_client_id, "wrong-secret")
    async with DataProductsClient(emulator.base_url, oauth=credentials) as client:
        with pytest.raises(AuthenticationError):
            await client.create(name="Never sent")
        sent = client.stats.tiers["tier2"].requests
    assert sent == 0
