"""Retry policy: backoff bounds and retry-after parsing."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from qlik_dataproducts import RetryPolicy
from qlik_dataproducts._retry import parse_retry_after

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)


def test_backoff_stays_under_exponential_ceiling() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=30.0)
    rng = random.Random(1)
    waits = [policy.backoff(3, rng) for _ in range(200)]
    assert max(waits) <= 2.0


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0)
    rng = random.Random(1)
    waits = [policy.backoff(20, rng) for _ in range(200)]
    assert max(waits) <= 3.0


def test_backoff_is_jittered() -> None:
    policy = RetryPolicy()
    rng = random.Random(1)
    waits = {policy.backoff(2, rng) for _ in range(20)}
    assert len(waits) == 20


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("13", 13.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("Fri, 04 Dec 2026 12:00:10 GMT", 10.0),
        ("Fri, 04 Dec 2026 11:59:00 GMT", 0.0),
    ],
)
def test_retry_after_parses(header: str, expected: float) -> None:
    assert parse_retry_after(header, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize("header", [None, "", "soon", "-3", "nan", "inf"])
def test_retry_after_unreadable_is_none(header: str | None) -> None:
    assert parse_retry_after(header, now=NOW) is None
