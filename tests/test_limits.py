"""Tier buckets: burst, drain rate, tier-wide pause and paced resume, on a virtual clock."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from qlik_dataproducts._limits import TierBucket, TierLimit
from tests.virtual_time import run_virtual

# 60 requests a minute with a one-minute window: a burst of 60, then one request a second.
LIMIT = TierLimit(requests_per_minute=60, window_minutes=1, headroom=0)


def bucket(name: str = "tier2", limit: TierLimit = LIMIT) -> TierBucket:
    return TierBucket(name, limit, rng=random.Random(7))


async def release_times(tier: TierBucket, count: int) -> list[float]:
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def one() -> None:
        await tier.acquire()
        times.append(loop.time())

    await asyncio.gather(*(one() for _ in range(count)))
    return sorted(times)


def test_limit_capacity_is_window_of_requests() -> None:
    assert TierLimit(100, headroom=0).capacity == 500


def test_limit_capacity_keeps_headroom() -> None:
    assert TierLimit(100).capacity == pytest.approx(495)


def test_limit_rate_per_second() -> None:
    assert TierLimit(100, minute_seconds=0.6).rate == pytest.approx(100 / 0.6)


def test_limit_rejects_zero_rate() -> None:
    with pytest.raises(ValueError):
        TierLimit(0)


def test_bucket_admits_burst_at_once() -> None:
    times = run_virtual(lambda: release_times(bucket(), 60))
    assert times[-1] == 0.0


def test_bucket_drains_at_rate_after_burst() -> None:
    times = run_virtual(lambda: release_times(bucket(), 70))
    # 10 requests past the burst at one a second.
    assert times[-1] == pytest.approx(10.0, abs=0.01)


def test_bucket_counts_waiting_time() -> None:
    tier = bucket()
    run_virtual(lambda: release_times(tier, 61))
    # The 61st request waited one drain step; the burst waited nothing.
    assert tier.stats.waited_seconds == pytest.approx(1.0, abs=0.01)


def test_pause_holds_whole_tier() -> None:
    async def main() -> list[float]:
        tier = bucket()
        await tier.pause(30.0, reason="test")
        return await release_times(tier, 3)

    times = run_virtual(main)
    assert times[0] >= 30.0


def test_pause_leaves_other_tier_running() -> None:
    async def main() -> list[float]:
        paused, other = bucket("tier2"), bucket("tier1")
        await paused.pause(30.0, reason="test")
        return await release_times(other, 3)

    times = run_virtual(main)
    assert times[-1] == 0.0


def test_resume_paced_at_drain_rate() -> None:
    async def main() -> list[float]:
        tier = bucket()
        await tier.pause(30.0, reason="test")
        return await release_times(tier, 10)

    times = run_virtual(main)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # The bucket was emptied, so waiters leave one per drain step and never together.
    assert min(gaps) > 0.5
    assert times[-1] - times[0] == pytest.approx(9.0, abs=1.5)


def test_pause_during_queue_forfeits_room() -> None:
    async def main() -> list[float]:
        tier = bucket()
        await release_times(tier, 60)  # spend the burst
        waiter = asyncio.ensure_future(release_times(tier, 1))
        await asyncio.sleep(0.1)
        await tier.pause(20.0, reason="test")
        return await waiter

    times = run_virtual(main)
    assert times[0] >= 20.0


def test_pause_adds_paused_seconds() -> None:
    async def main() -> TierBucket:
        tier = bucket()
        await tier.pause(10.0, reason="test")
        await tier.pause(4.0, reason="shorter, inside the first")
        return tier

    tier = run_virtual(main)
    assert tier.stats.paused_seconds == pytest.approx(10.0)


def test_cancelled_waiter_keeps_no_room() -> None:
    async def main() -> list[float]:
        tier = bucket()
        await release_times(tier, 60)
        waiter = asyncio.ensure_future(tier.acquire())
        await asyncio.sleep(0.2)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return await release_times(tier, 1)

    times = run_virtual(main)
    # The cancelled task took nothing, so the next request goes at the first drain step.
    assert times[0] == pytest.approx(1.0, abs=0.01)


def test_hints_pause_when_nothing_remains() -> None:
    import time

    async def main() -> float:
        tier = bucket()
        await tier.follow_hints(0, time.time() + 12.0)
        return tier.paused_for

    assert run_virtual(main) == pytest.approx(12.0, abs=0.5)


def test_hints_ignore_remaining_requests() -> None:
    import time

    async def main() -> float:
        tier = bucket()
        await tier.follow_hints(3, time.time() + 12.0)
        return tier.paused_for

    assert run_virtual(main) == 0.0


def test_repr_shows_state_not_secrets() -> None:
    assert "tier2" in repr(bucket())
