"""Tests of the emulator's rate-limit models, driven by a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from qlik_dataproducts.emulator import Emulator
from qlik_dataproducts.emulator._ratelimit import (
    SlidingWindowLimiter,
    TokenBucketLimiter,
    format_retry_after,
)
from tests.clock import FakeClock

BASE = "/api/data-governance/data-products"


def limiter(
    clock: FakeClock, *, tier2: int = 2, minute_seconds: float = 10.0, window_minutes: int = 1
) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(
        {"tier2": tier2},
        minute_seconds=minute_seconds,
        window_minutes=window_minutes,
        clock=clock,
    )


@pytest.mark.parametrize(
    ("wait", "minute_seconds", "expected"),
    [
        (12.2, 60.0, "13"),
        (13.0, 60.0, "13"),
        (0.2, 60.0, "1"),
        (0.0, 60.0, "1"),
        (1.2, 0.6, "1.2"),
        (1.2345, 1.0, "1.235"),
        (0.0004, 0.6, "0.001"),
        (3.0, 0.5, "3"),
    ],
)
def test_format_retry_after(wait: float, minute_seconds: float, expected: str) -> None:
    assert format_retry_after(wait, minute_seconds) == expected


def test_limiter_accepts_up_to_quota(clock: FakeClock) -> None:
    window = limiter(clock)

    assert window.acquire("u", "tier2") is None
    assert window.acquire("u", "tier2") is None
    assert window.acquire("u", "tier2") == pytest.approx(10.0)


def test_limiter_quota_spans_window_minutes(clock: FakeClock) -> None:
    window = limiter(clock, window_minutes=5)

    accepted = [window.acquire("u", "tier2") is None for _ in range(11)]

    assert accepted.count(True) == 10


def test_limiter_wait_until_oldest_leaves(clock: FakeClock) -> None:
    window = limiter(clock)
    window.acquire("u", "tier2")
    clock.now += 4
    window.acquire("u", "tier2")

    clock.now += 1
    assert window.acquire("u", "tier2") == pytest.approx(5.0)


def test_limiter_slides_one_slot_free(clock: FakeClock) -> None:
    window = limiter(clock)
    window.acquire("u", "tier2")
    clock.now += 4
    window.acquire("u", "tier2")

    clock.now += 6
    assert window.acquire("u", "tier2") is None
    assert window.acquire("u", "tier2") == pytest.approx(4.0)


def test_limiter_rejections_do_not_count(clock: FakeClock) -> None:
    window = limiter(clock)
    window.acquire("u", "tier2")
    window.acquire("u", "tier2")
    for _ in range(5):
        clock.now += 1
        window.acquire("u", "tier2")

    clock.now = 1010.0
    assert window.acquire("u", "tier2") is None


def test_limiter_separates_principals(clock: FakeClock) -> None:
    window = limiter(clock, tier2=1)
    window.acquire("u", "tier2")

    assert window.acquire("v", "tier2") is None


def test_limiter_separates_tiers(clock: FakeClock) -> None:
    window = limiter(clock, tier2=1)
    window.acquire("u", "tier2")

    assert window.acquire("u", "tier1") is None


def test_limiter_status_counts_remaining(clock: FakeClock) -> None:
    window = limiter(clock, tier2=3)
    window.acquire("u", "tier2")
    clock.now += 2

    status = window.status("u", "tier2")

    assert status.quota == 3
    assert status.remaining == 2
    assert status.reset_in == pytest.approx(8.0)


@pytest.mark.parametrize(
    "arguments",
    [
        {"limits": {"tier9": 1}, "minute_seconds": 1.0, "window_minutes": 1},
        {"limits": {"tier1": 0}, "minute_seconds": 1.0, "window_minutes": 1},
        {"limits": {}, "minute_seconds": 0.0, "window_minutes": 1},
        {"limits": {}, "minute_seconds": 1.0, "window_minutes": 0},
    ],
)
def test_limiter_rejects_bad_settings(clock: FakeClock, arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(clock=clock, **arguments)


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(
        clock=clock,
        tier_limits={"tier2": 2},
        window_minutes=1,
        rate_limit_headers=True,
        rate_limit_model="sliding-window",
    ) as running:
        yield running


async def post_create(session: aiohttp.ClientSession, name: str) -> aiohttp.ClientResponse:
    async with session.post(BASE, json={"name": name}) as response:
        await response.read()
        return response


async def exhaust_tier2(session: aiohttp.ClientSession) -> list[str]:
    ids = []
    for name in ("A", "B"):
        async with session.post(BASE, json={"name": name}) as response:
            assert response.status == 201
            ids.append((await response.json())["id"])
    return ids


async def test_over_limit_answers_429(session: aiohttp.ClientSession) -> None:
    await exhaust_tier2(session)

    async with session.post(BASE, json={"name": "C"}) as response:
        body = await response.json()

    assert response.status == 429
    assert response.headers["Retry-After"] == "60"
    assert body == {
        "errors": [
            {
                "code": "HTTP-429",
                "title": "API rate limit reached.",
                "detail": "You need to wait 60 seconds until limit is lifted.",
            }
        ]
    }


async def test_retry_after_counts_down(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    await exhaust_tier2(session)
    clock.now += 47.5

    response = await post_create(session, "C")

    assert response.headers["Retry-After"] == "13"


async def test_whole_tier_blocked(session: aiohttp.ClientSession) -> None:
    product_id = (await exhaust_tier2(session))[0]
    operations = [{"op": "replace", "path": "/name", "value": "x"}]

    async with session.patch(f"{BASE}/{product_id}", json=operations) as response:
        assert response.status == 429
    async with session.delete(f"{BASE}/missing") as response:
        assert response.status == 429
    async with session.post(f"{BASE}/actions/generate-provider-url?dataSetId=d") as response:
        assert response.status == 429


async def test_other_tier_still_served(session: aiohttp.ClientSession) -> None:
    product_id = (await exhaust_tier2(session))[0]

    async with session.get(f"{BASE}/{product_id}") as response:
        assert response.status == 200


async def test_limit_lifts_after_wait(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    await exhaust_tier2(session)
    assert (await post_create(session, "C")).status == 429

    clock.now += 60
    assert (await post_create(session, "C")).status == 201


async def test_rejected_requests_change_nothing(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    await exhaust_tier2(session)

    await post_create(session, "C")

    assert len(emulator.state.snapshot()) == 2


async def test_rate_limited_counter(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    product_id = (await exhaust_tier2(session))[0]
    await post_create(session, "C")
    async with session.delete(f"{BASE}/{product_id}") as response:
        assert response.status == 429

    assert emulator.rate_limited.total == 2
    assert emulator.rate_limited.by_tier == {"tier2": 2}
    assert emulator.rate_limited.by_operation == {"create": 1, "delete": 1}


async def test_unauthenticated_requests_not_counted(emulator: Emulator) -> None:
    async with aiohttp.ClientSession(emulator.base_url) as anonymous:
        for _ in range(3):
            assert (await post_create(anonymous, "A")).status == 401

    assert emulator.rate_limited.total == 0


async def test_rate_limit_headers(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    response = await post_create(session, "A")

    assert response.headers["Ratelimit-Limit"] == "2"
    assert response.headers["Ratelimit-Remaining"] == "1"
    assert int(response.headers["Ratelimit-Reset"]) > 1_600_000_000


async def test_rate_limit_headers_off_by_default(clock: FakeClock) -> None:
    async with (
        Emulator(clock=clock) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        response = await post_create(session, "A")

    assert "Ratelimit-Limit" not in response.headers


async def test_scaled_minute_retry_after(clock: FakeClock) -> None:
    async with (
        Emulator(
            clock=clock,
            tier_limits={"tier2": 1},
            window_minutes=2,
            minute_seconds=0.6,
            rate_limit_model="sliding-window",
        ) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        assert (await post_create(session, "A")).status == 201
        assert (await post_create(session, "B")).status == 201
        clock.now += 0.25
        response = await post_create(session, "C")

    assert response.status == 429
    assert response.headers["Retry-After"] == "0.95"


async def test_data_quality_tier_default(clock: FakeClock) -> None:
    async with (
        Emulator(clock=clock) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        (product_id,) = emulator.state.seed([{"name": "A"}])
        url = f"{BASE}/{product_id}/actions/compute-datasets-data-quality"
        statuses = []
        for _ in range(51):
            async with session.post(url) as response:
                statuses.append(response.status)

    assert statuses.count(202) == 50
    assert statuses[-1] == 429


async def test_limits_count_per_principal(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    await exhaust_tier2(session)
    token_body = {
        "client_id": emulator.oauth_client_id,
        "client_secret": emulator.oauth_client_secret,
        "grant_type": "client_credentials",
    }
    async with session.post("/oauth/token", json=token_body) as response:
        token = (await response.json())["access_token"]

    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(BASE, json={"name": "C"}, headers=headers) as response:
        assert response.status == 201


async def test_tokens_of_one_client_share_limit(emulator: Emulator) -> None:
    token_body = {
        "client_id": emulator.oauth_client_id,
        "client_secret": emulator.oauth_client_secret,
        "grant_type": "client_credentials",
    }
    statuses = []
    async with aiohttp.ClientSession(emulator.base_url) as session:
        for name in ("A", "B", "C"):
            async with session.post("/oauth/token", json=token_body) as response:
                token = (await response.json())["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(BASE, json={"name": name}, headers=headers) as response:
                statuses.append(response.status)

    assert statuses == [201, 201, 429]


def bucket(clock: FakeClock, *, tier2: int = 2, window_minutes: int = 1) -> TokenBucketLimiter:
    return TokenBucketLimiter(
        {"tier2": tier2}, minute_seconds=10.0, window_minutes=window_minutes, clock=clock
    )


def test_bucket_allows_burst_of_window(clock: FakeClock) -> None:
    limiter = bucket(clock, window_minutes=5)
    accepted = [limiter.acquire("u", "tier2") for _ in range(10)]
    assert accepted == [None] * 10


def test_bucket_rejects_past_burst(clock: FakeClock) -> None:
    limiter = bucket(clock)
    limiter.acquire("u", "tier2")
    limiter.acquire("u", "tier2")
    # Two tokens a 10-second minute: the next one arrives after 5 seconds.
    assert limiter.acquire("u", "tier2") == pytest.approx(5.0)


def test_bucket_refills_at_rate(clock: FakeClock) -> None:
    limiter = bucket(clock)
    limiter.acquire("u", "tier2")
    limiter.acquire("u", "tier2")
    clock.now += 5.0
    assert limiter.acquire("u", "tier2") is None
    assert limiter.acquire("u", "tier2") == pytest.approx(5.0)


def test_bucket_paced_client_never_rejected(clock: FakeClock) -> None:
    limiter = bucket(clock, tier2=100, window_minutes=5)
    rejected = 0
    # Burst the capacity, then send at exactly the refill rate for 20 minutes.
    for _ in range(500):
        rejected += limiter.acquire("u", "tier2") is not None
    for _ in range(2000):
        clock.now += 10.0 / 100
        rejected += limiter.acquire("u", "tier2") is not None
    assert rejected == 0


def test_bucket_status_counts_tokens(clock: FakeClock) -> None:
    limiter = bucket(clock, window_minutes=2)
    limiter.acquire("u", "tier2")
    status = limiter.status("u", "tier2")
    assert (status.quota, status.remaining) == (4, 3)
    assert status.reset_in == pytest.approx(5.0)


def test_bucket_separates_principals(clock: FakeClock) -> None:
    limiter = bucket(clock)
    limiter.acquire("u", "tier2")
    limiter.acquire("u", "tier2")
    assert limiter.acquire("v", "tier2") is None


async def test_default_model_is_token_bucket(clock: FakeClock) -> None:
    async with (
        Emulator(clock=clock, tier_limits={"tier2": 2}, window_minutes=1) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        await post_create(session, "A")
        await post_create(session, "B")
        rejected = await post_create(session, "C")
        clock.now += 30.0
        accepted = await post_create(session, "C")

    assert rejected.headers["Retry-After"] == "30"
    assert accepted.status == 201


def test_unknown_model_rejected() -> None:
    with pytest.raises(ValueError, match="rate_limit_model"):
        Emulator(rate_limit_model="leaky")
