"""Rate-limit tiers: one leaky bucket per tier, paused for the whole tier after a 429.

Qlik counts requests per tier, per user, "evaluated over a 5-minute window to support bursts":
Tier 1 allows 1,000 requests a minute, Tier 2 allows 100, and the data-quality action 10.

Bucket shape. Each tier gets an ``aiolimiter.AsyncLimiter`` whose capacity is five minutes'
worth of requests and which drains at the per-minute rate (``AsyncLimiter(5 * rpm, 300)``).
A fresh client may therefore send a burst of up to ``5 * rpm`` requests, after which it is held
to exactly ``rpm`` a minute. The bundled emulator models the server as a token bucket of the
same depth and refill rate. Against it such a client never draws a 429, and a long run
finishes within a request or two of the fastest schedule the limit allows. The reason is that
a request reaches the server no earlier than it left the client, so the server's bucket has
refilled at least as much as the client's and accepts whatever the client's bucket admitted.
A smaller capacity would waste the allowed burst; a larger one or a faster drain draws 429s.
The capacity is kept 1% below the full burst (``TierLimit.headroom``). The server's bucket
starts counting when the first request arrives, one network latency after the client's, so
without headroom the client would run that latency's worth of refill ahead of the server.

NOTE: Qlik does not document whether its window slides, is fixed, or is a token bucket. Against
a strict sliding window this shape can still meet a 429 after about four minutes of full-speed
traffic; the tier-wide pause below absorbs that, and ``TierLimit`` lets callers shrink the burst.

After a 429 the whole tier pauses for every task of the client (Qlik blocks every endpoint of the
tier until the wait is over). The bucket is also emptied, so when the pause ends waiting tasks
are released one at a time at the drain rate, plus a little jitter, and not all at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping

import attrs
from aiolimiter import AsyncLimiter

__all__ = [
    "DATA_QUALITY",
    "DEFAULT_TIER_LIMITS",
    "TIER_1",
    "TIER_2",
    "TierBucket",
    "TierLimit",
    "TierStats",
]

logger = logging.getLogger(__name__)

TIER_1 = "tier1"
TIER_2 = "tier2"
DATA_QUALITY = "data-quality"

# A pause longer than this is logged at WARNING, because a job is then visibly stalled.
_STALL_WARNING_SECONDS = 30.0


@attrs.frozen
class TierLimit:
    """The documented limit of one tier and the shape of the client's bucket for it.

    ``minute_seconds`` scales time: tests and benchmarks shrink it to run a limit of so many
    requests a minute in a fraction of a second, against an emulator scaled the same way.
    ``headroom`` is the fraction of the burst the client leaves unused as a safety margin.
    """

    requests_per_minute: float = attrs.field(validator=attrs.validators.gt(0))
    window_minutes: float = attrs.field(default=5.0, validator=attrs.validators.gt(0))
    minute_seconds: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    headroom: float = attrs.field(
        default=0.01, validator=[attrs.validators.ge(0), attrs.validators.lt(1)]
    )

    @property
    def capacity(self) -> float:
        """Requests a fresh bucket admits at once."""
        burst = self.requests_per_minute * self.window_minutes * (1 - self.headroom)
        return max(1.0, burst)

    @property
    def rate(self) -> float:
        """Requests per second once the burst is spent."""
        return self.requests_per_minute / self.minute_seconds


DEFAULT_TIER_LIMITS: Mapping[str, TierLimit] = {
    TIER_1: TierLimit(1000),
    TIER_2: TierLimit(100),
    DATA_QUALITY: TierLimit(10),
}


@attrs.define
class TierStats:
    """Counters of one tier: requests sent, 429s received, retries and time spent waiting."""

    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    paused_seconds: float = 0.0


class TierBucket:
    """The leaky bucket of one tier, shared by every task using one client.

    Create it inside the event loop that will use it: the limiter binds to that loop.
    """

    def __init__(self, name: str, limit: TierLimit, *, rng: random.Random | None = None) -> None:
        self.name = name
        self.limit = limit
        self.stats = TierStats()
        self._limiter = AsyncLimiter(limit.capacity, limit.capacity / limit.rate)
        self._paused_until = 0.0
        self._empty_after_pause = False
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        remaining = max(0.0, self._paused_until - self._now())
        state = f"paused {remaining:.1f}s" if remaining else "open"
        return (
            f"<TierBucket {self.name} {self.limit.requests_per_minute:g}/min "
            f"{state} requests={self.stats.requests} 429s={self.stats.rate_limited}>"
        )

    @property
    def paused_for(self) -> float:
        """Seconds left in the current pause (0 when the tier is open)."""
        return max(0.0, self._paused_until - self._now())

    async def acquire(self) -> None:
        """Wait until the tier is open and the bucket has room, then take one request's room."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            pause = self._paused_until - loop.time()
            if pause > 0:
                # Jitter spreads the tasks that slept on the same pause across one drain step.
                await asyncio.sleep(pause + self._rng.uniform(0, 1 / self.limit.rate))
                continue
            if self._empty_after_pause:
                # The first task out of a pause empties the bucket, so the room that leaked
                # out during the pause cannot release every waiter at the same instant.
                self._empty_after_pause = False
                await self._empty()
            await self._limiter.acquire()
            if self._paused_until <= loop.time():
                break
            # A 429 arrived while this task queued: the room it took is forfeit, wait again.
        self.stats.waited_seconds += loop.time() - started

    async def pause(self, seconds: float, *, reason: str) -> None:
        """Close the tier for ``seconds``, then resume it from an empty bucket at the drain rate."""
        now = self._now()
        until = now + max(0.0, seconds)
        if until > self._paused_until:
            already = max(0.0, self._paused_until - now)
            self.stats.paused_seconds += until - now - already
            self._paused_until = until
        self._empty_after_pause = True
        await self._empty()
        level = logging.WARNING if seconds >= _STALL_WARNING_SECONDS else logging.DEBUG
        logger.log(level, "tier %s paused for %.2f s (%s)", self.name, seconds, reason)

    async def follow_hints(self, remaining: int | None, reset_epoch: float | None) -> None:
        """Pause until the reset time when the server reports no requests remaining."""
        if remaining is None or remaining > 0 or reset_epoch is None:
            return
        wait = reset_epoch - time.time()
        if wait > 0:
            await self.pause(wait, reason="Ratelimit-Remaining is 0")

    async def _empty(self) -> None:
        # aiolimiter has no public way to fill its level, but acquire() returns at once while
        # the bucket has room, so taking room in halving steps empties it in a few calls.
        amount = float(self._limiter.max_rate)
        while amount >= 1:
            while self._limiter.has_capacity(amount):
                await self._limiter.acquire(amount)
            amount /= 2

    @staticmethod
    def _now() -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()
