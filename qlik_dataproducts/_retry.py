"""Retry policy: how many attempts, how long to back off, how long a server may make us wait."""

from __future__ import annotations

import email.utils
import math
import random
from datetime import datetime, timezone

import attrs

__all__ = ["RetryPolicy", "parse_retry_after"]


@attrs.frozen
class RetryPolicy:
    """Limits for retrying one call.

    Args:
        max_attempts: attempts in total, the first one included (1 disables retries).
        backoff_base: seconds before the first retry when the server gave no wait.
        backoff_max: cap of the exponential backoff, in seconds.
        max_retry_after: the maximum wait, in seconds, accepted from a ``retry-after`` header;
            a longer one raises ``RateLimitError`` at once so the caller can decide.
    """

    max_attempts: int = attrs.field(default=6, validator=attrs.validators.ge(1))
    backoff_base: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    backoff_max: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=300.0, validator=attrs.validators.ge(0))

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Return the wait before retry number ``retry_number`` (1-based), with full jitter.

        Full jitter (a uniform draw below the capped exponential) keeps tasks that failed
        together from retrying together.
        """
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (retry_number - 1))
        return rng.uniform(0, ceiling)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a ``retry-after`` header requests, or None when absent or unreadable.

    RFC 9110 allows a number of seconds or an HTTP date; a date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())
