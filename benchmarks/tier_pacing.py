"""Measure how close a long run of Tier 2 calls comes to the fastest time the limit allows.

Runs N ``generate_provider_url`` calls (Tier 2, 100 requests a minute with a five-minute
burst) from many concurrent tasks against the emulator, with time scaled down so that one
rate-limit minute lasts ``--minute-seconds`` real seconds on both sides. Three client shapes
run side by side in one process, each against a fresh emulator:

- ``default``: the client's own tier bucket (burst of five minutes, then the per-minute rate);
- ``per-minute``: the bucket most clients use, ``AsyncLimiter(100, 60)``;
- ``unpaced``: no client-side bucket, relying on 429 responses and retries.

The fastest schedule the limit allows sends the first ``5 * 100`` requests at once and the
rest at 100 a minute, so it takes ``(N - 500) / 100`` minutes. The ratio printed is the
elapsed time divided by that.

Usage: python benchmarks/tier_pacing.py [--calls 3000] [--minute-seconds 1.0] [--model M]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping

from qlik_dataproducts import DataProductsClient, RetryPolicy, TierLimit
from qlik_dataproducts.emulator import Emulator

TIER_2_PER_MINUTE = 100
WINDOW_MINUTES = 5
CONCURRENCY = 64


def shapes(minute_seconds: float) -> Mapping[str, TierLimit]:
    """Return the client bucket of each shape under test."""
    return {
        "default": TierLimit(TIER_2_PER_MINUTE, minute_seconds=minute_seconds),
        "per-minute": TierLimit(TIER_2_PER_MINUTE, window_minutes=1, minute_seconds=minute_seconds),
        # A bucket far above the server's limit stands for "no client-side limit".
        "unpaced": TierLimit(TIER_2_PER_MINUTE * 1000, minute_seconds=minute_seconds),
    }


async def run_shape(
    limit: TierLimit, calls: int, minute_seconds: float, model: str
) -> dict[str, float]:
    """Run ``calls`` Tier 2 calls with one client shape and return its figures."""
    emulator = Emulator(
        minute_seconds=minute_seconds, window_minutes=WINDOW_MINUTES, rate_limit_model=model
    )
    # Retries wait for the scaled retry-after the server sends, so the unpaced shape finishes too.
    retry = RetryPolicy(max_attempts=10_000, backoff_base=0.01, backoff_max=minute_seconds)
    async with emulator:
        async with DataProductsClient(
            emulator.base_url,
            api_key=emulator.api_key,
            tier_limits={"tier2": limit},
            retry=retry,
        ) as client:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for number in range(calls):
                queue.put_nowait(number)

            async def worker() -> None:
                while not queue.empty():
                    number = queue.get_nowait()
                    await client.generate_provider_url(f"ds-{number}")

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - started
            stats = client.stats.tiers["tier2"]
        server_429s = emulator.rate_limited.by_tier.get("tier2", 0)

    rate = TIER_2_PER_MINUTE / minute_seconds
    fastest = max(0.0, (calls - TIER_2_PER_MINUTE * WINDOW_MINUTES) / rate)
    return {
        "elapsed": elapsed,
        "fastest": fastest,
        "ratio": elapsed / fastest if fastest else float("nan"),
        "server_429s": float(server_429s),
        "requests": float(stats.requests),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="Tier 2 calls per shape")
    parser.add_argument(
        "--minute-seconds",
        type=float,
        default=1.0,
        help="real seconds that one rate-limit minute lasts (default: 1.0)",
    )
    parser.add_argument(
        "--model",
        choices=["token-bucket", "sliding-window"],
        default="token-bucket",
        help="the emulator's reading of the limit (default: token-bucket)",
    )
    options = parser.parse_args()

    print(
        f"{options.calls} Tier 2 calls, {CONCURRENCY} tasks, limit {TIER_2_PER_MINUTE}/min "
        f"with a {WINDOW_MINUTES}-minute burst, 1 minute = {options.minute_seconds} s, "
        f"emulator model {options.model}"
    )
    print(f"{'shape':<12}{'elapsed s':>11}{'fastest s':>11}{'ratio':>8}{'429s':>7}{'sent':>7}")
    for name, limit in shapes(options.minute_seconds).items():
        figures = await run_shape(limit, options.calls, options.minute_seconds, options.model)
        print(
            f"{name:<12}{figures['elapsed']:>11.2f}{figures['fastest']:>11.2f}"
            f"{figures['ratio']:>8.3f}{figures['server_429s']:>7.0f}{figures['requests']:>7.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
