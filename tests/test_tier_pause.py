"""A 429 from the emulator's rate-limit model pauses one tier of the client, on a scaled clock.

The client's Tier 2 bucket is deliberately larger than the emulator's limit, so the emulator
responds with 429 once the burst is spent. One rate-limit minute lasts ``MINUTE`` seconds on
both sides, so the whole test takes about two seconds of real time.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from qlik_dataproducts import DataProductsClient, NotFoundError, RetryPolicy, TierLimit
from qlik_dataproducts.emulator import Emulator

MINUTE = 1.5
SERVER_TIER_2 = 20  # per minute, with a one-minute window: a burst of 20, then one per 75 ms
RETRY = RetryPolicy(max_attempts=10, backoff_base=0.01, backoff_max=0.05)


async def get_missing(client: DataProductsClient, number: int) -> None:
    """Call a Tier 1 operation whose 404 is expected."""
    with pytest.raises(NotFoundError):
        await client.get(f"{number:024x}")


async def run_pause_scenario() -> tuple[Emulator, DataProductsClient, float, float]:
    """Send 40 Tier 2 calls, and Tier 1 calls while Tier 2 is paused; return the pause span."""
    emulator = Emulator(
        tier_limits={"tier2": SERVER_TIER_2},
        window_minutes=1,
        minute_seconds=MINUTE,
    )
    # The client's Tier 2 bucket admits 60 at once, three times what the server accepts.
    limits = {
        "tier2": TierLimit(60, window_minutes=1, minute_seconds=MINUTE, headroom=0),
        "tier1": TierLimit(1000, minute_seconds=MINUTE),
    }
    async with emulator:
        client = DataProductsClient(
            emulator.base_url, api_key=emulator.api_key, tier_limits=limits, retry=RETRY
        )
        async with client:
            tier2_calls = [
                asyncio.ensure_future(client.generate_provider_url(f"ds-{n}")) for n in range(40)
            ]
            bucket = client._transport.buckets["tier2"]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while bucket.paused_for == 0:
                assert loop.time() < deadline, "the emulator never responded with 429"
                await asyncio.sleep(0.001)
            paused_at = loop.time()
            paused_until = paused_at + bucket.paused_for

            # Tier 1 keeps going while Tier 2 is paused.
            await asyncio.gather(*(get_missing(client, n) for n in range(5)))
            await asyncio.gather(*tier2_calls)
    return emulator, client, paused_at, paused_until


@pytest.fixture(scope="module")
def scenario() -> tuple[Emulator, DataProductsClient, float, float]:
    return asyncio.run(run_pause_scenario())


def tier_times(emulator: Emulator, operation: str) -> list[float]:
    return [r.time for r in emulator.requests if r.operation == operation]


def test_model_answers_429(scenario: tuple[Emulator, DataProductsClient, float, float]) -> None:
    emulator, client, _, _ = scenario
    assert emulator.rate_limited.by_tier["tier2"] >= 1
    assert client.stats.tiers["tier2"].rate_limited >= 1


def test_pause_stops_whole_tier(
    scenario: tuple[Emulator, DataProductsClient, float, float],
) -> None:
    emulator, _, paused_at, paused_until = scenario
    # Requests already on the wire when the first 429 arrived may land just after it.
    inside = [
        t
        for t in tier_times(emulator, "generate_provider_url")
        if paused_at + 0.02 < t < paused_until
    ]
    assert inside == []


def test_other_tier_runs_during_pause(
    scenario: tuple[Emulator, DataProductsClient, float, float],
) -> None:
    emulator, _, paused_at, paused_until = scenario
    during = [t for t in tier_times(emulator, "get") if paused_at <= t < paused_until]
    assert len(during) == 5


def test_waiters_resume_at_bucket_pace(
    scenario: tuple[Emulator, DataProductsClient, float, float],
) -> None:
    emulator, _, _, paused_until = scenario
    after = sorted(t for t in tier_times(emulator, "generate_provider_url") if t >= paused_until)
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(after))
    drain_step = MINUTE / 60
    assert len(after) >= 10
    # Released one per drain step of the client's bucket, not all in the same instant. Single
    # gaps vary with event-loop jitter, so the checks look at the span and the median gap.
    assert after[-1] - after[0] > (len(after) - 1) * drain_step * 0.7
    assert gaps[len(gaps) // 2] > drain_step * 0.7


def test_every_call_finished(scenario: tuple[Emulator, DataProductsClient, float, float]) -> None:
    emulator, _, _, _ = scenario
    accepted = [
        r for r in emulator.requests if r.operation == "generate_provider_url" and r.status == 200
    ]
    assert len(accepted) == 40
