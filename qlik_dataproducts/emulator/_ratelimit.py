"""Rate limits per principal and tier, in two models of the same documented limit.

Qlik Cloud counts requests per tier and per user and evaluates each limit "over a 5-minute
window to support bursts"; it does not document the algorithm. The emulator offers two
readings of that sentence:

- `token-bucket` (the default): a bucket of `limit * window_minutes` tokens per principal and
  tier, refilled at `limit` tokens a minute. A burst of five minutes' worth is allowed, and
  after that the average rate is held to the limit.
- `sliding-window`: a log of accepted request times; a request is accepted while fewer than
  `limit * window_minutes` requests lie in the last `window_minutes * minute_seconds` clock
  seconds. It is stricter after a burst, since a full window blocks until its oldest request
  leaves it.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "DEFAULT_TIER_LIMITS",
    "OPERATION_TIERS",
    "RATE_LIMIT_MODELS",
    "Limiter",
    "RateLimitCounter",
    "SlidingWindowLimiter",
    "TokenBucketLimiter",
    "WindowStatus",
    "format_retry_after",
]

DEFAULT_TIER_LIMITS: Mapping[str, int] = {"tier1": 1000, "tier2": 100, "data-quality": 10}

OPERATION_TIERS: Mapping[str, str] = {
    "get": "tier1",
    "export_documentation": "tier1",
    "changelogs": "tier1",
    "create": "tier2",
    "patch": "tier2",
    "delete": "tier2",
    "activate": "tier2",
    "deactivate": "tier2",
    "move": "tier2",
    "generate_provider_url": "tier2",
    "compute_data_quality": "data-quality",
}


@dataclass(frozen=True)
class WindowStatus:
    """A window's quota, the requests left in it, and clock seconds until a slot frees."""

    quota: int
    remaining: int
    reset_in: float


@dataclass
class RateLimitCounter:
    """Counts of 429 responses sent by the rate-limit model: total, per tier and per operation."""

    total: int = 0
    by_tier: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)

    def add(self, operation: str, tier: str) -> None:
        """Count one 429 response."""
        self.total += 1
        self.by_tier[tier] += 1
        self.by_operation[operation] += 1


class SlidingWindowLimiter:
    """Sliding logs of accepted request times, one per principal and tier."""

    def __init__(
        self,
        limits: Mapping[str, int],
        *,
        minute_seconds: float,
        window_minutes: int,
        clock: Callable[[], float],
    ) -> None:
        _check_settings(limits, minute_seconds, window_minutes)
        self.limits = {**DEFAULT_TIER_LIMITS, **limits}
        self.window_minutes = window_minutes
        self.window_seconds = window_minutes * minute_seconds
        self._clock = clock
        self._logs: dict[tuple[str, str], deque[float]] = {}

    def __repr__(self) -> str:
        return (
            f"<SlidingWindowLimiter limits={self.limits} window={self.window_seconds}s "
            f"logs={len(self._logs)}>"
        )

    def _log(self, principal: str, tier: str, now: float) -> deque[float]:
        log = self._logs.setdefault((principal, tier), deque())
        # A request leaves the window exactly window_seconds after it was accepted.
        while log and log[0] <= now - self.window_seconds:
            log.popleft()
        return log

    def acquire(self, principal: str, tier: str) -> float | None:
        """Record a request and return None, or return the clock seconds to wait when full.

        A rejected request is not recorded, so it does not extend the wait.
        """
        now = self._clock()
        log = self._log(principal, tier, now)
        if len(log) >= self.limits[tier] * self.window_minutes:
            return log[0] + self.window_seconds - now
        log.append(now)
        return None

    def status(self, principal: str, tier: str) -> WindowStatus:
        """Return the current window of one principal and tier."""
        now = self._clock()
        log = self._log(principal, tier, now)
        quota = self.limits[tier] * self.window_minutes
        reset_in = log[0] + self.window_seconds - now if log else 0.0
        return WindowStatus(quota, max(0, quota - len(log)), reset_in)


class TokenBucketLimiter:
    """Token buckets, one per principal and tier, that start full."""

    def __init__(
        self,
        limits: Mapping[str, int],
        *,
        minute_seconds: float,
        window_minutes: int,
        clock: Callable[[], float],
    ) -> None:
        _check_settings(limits, minute_seconds, window_minutes)
        self.limits = {**DEFAULT_TIER_LIMITS, **limits}
        self.window_minutes = window_minutes
        self.minute_seconds = minute_seconds
        self._clock = clock
        # (principal, tier) -> (tokens, clock time of that count)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def __repr__(self) -> str:
        return (
            f"<TokenBucketLimiter limits={self.limits} window_minutes={self.window_minutes} "
            f"buckets={len(self._buckets)}>"
        )

    def _capacity(self, tier: str) -> float:
        return float(self.limits[tier] * self.window_minutes)

    def _rate(self, tier: str) -> float:
        return self.limits[tier] / self.minute_seconds

    def _tokens(self, principal: str, tier: str, now: float) -> float:
        capacity = self._capacity(tier)
        tokens, since = self._buckets.get((principal, tier), (capacity, now))
        return min(capacity, tokens + (now - since) * self._rate(tier))

    def acquire(self, principal: str, tier: str) -> float | None:
        """Take a token and return None, or return the clock seconds until one is available.

        A rejected request takes nothing, so it does not extend the wait.
        """
        now = self._clock()
        tokens = self._tokens(principal, tier, now)
        # The tolerance absorbs float rounding for a client paced at exactly the refill rate.
        if tokens >= 1.0 - 1e-9:
            self._buckets[(principal, tier)] = (max(0.0, tokens - 1.0), now)
            return None
        self._buckets[(principal, tier)] = (tokens, now)
        return (1.0 - tokens) / self._rate(tier)

    def status(self, principal: str, tier: str) -> WindowStatus:
        """Return the tokens left and the clock seconds until the next one arrives."""
        now = self._clock()
        tokens = self._tokens(principal, tier, now)
        capacity = self._capacity(tier)
        whole = math.floor(tokens + 1e-9)
        reset_in = 0.0 if tokens >= capacity else (whole + 1 - tokens) / self._rate(tier)
        return WindowStatus(int(capacity), whole, reset_in)


class Limiter(Protocol):
    """Interface of a rate-limit model, as the request pipeline uses it."""

    limits: dict[str, int]

    def acquire(self, principal: str, tier: str) -> float | None: ...

    def status(self, principal: str, tier: str) -> WindowStatus: ...


RATE_LIMIT_MODELS: Mapping[str, type[TokenBucketLimiter] | type[SlidingWindowLimiter]] = {
    "token-bucket": TokenBucketLimiter,
    "sliding-window": SlidingWindowLimiter,
}


def _check_settings(limits: Mapping[str, int], minute_seconds: float, window_minutes: int) -> None:
    if minute_seconds <= 0:
        raise ValueError(f"minute_seconds must be positive, got {minute_seconds}")
    if window_minutes < 1:
        raise ValueError(f"window_minutes must be at least 1, got {window_minutes}")
    unknown = set(limits) - set(DEFAULT_TIER_LIMITS)
    if unknown:
        raise ValueError(
            f"unknown tier(s) {sorted(unknown)} in tier_limits; "
            f"expected {sorted(DEFAULT_TIER_LIMITS)}"
        )
    for tier, limit in limits.items():
        if limit < 1:
            raise ValueError(f"the limit of {tier} must be at least 1 per minute, got {limit}")


def format_retry_after(wait: float, minute_seconds: float) -> str:
    """Format a wait in clock seconds for the `retry-after` header and the 429 detail.

    With real-time minutes (60 clock seconds) the value is whole seconds rounded up, at least
    1, as the service sends. With a scaled minute the emulator deviates from the service: it
    sends a decimal with up to 3 decimals, rounded up, because whole seconds would dwarf a
    shrunk window.
    """
    if minute_seconds == 60.0:
        return str(max(1, math.ceil(wait - 1e-9)))
    milliseconds = max(1, math.ceil(wait * 1000 - 1e-6))
    return f"{milliseconds / 1000:.3f}".rstrip("0").rstrip(".")
