"""Derive stable `quality` and `trustScore` objects from a product's dataset ids.

The real service measures the datasets. The emulator hashes each dataset id instead, so the
same datasets always give the same scores and tests can compare them.
"""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["TRUST_SCORE_DIMENSIONS", "derive_quality", "derive_trust_score"]

TRUST_SCORE_DIMENSIONS = (
    "USAGE",
    "DIVERSITY",
    "COMPLETENESS",
    "VALIDITY",
    "DISCOVERABILITY",
    "TIMELINESS",
    "ACCURACY",
)

# NOTE: the API reference gives no scale for either object. Quality values here are fractions
# from 0 to 1 and trust scores run from 0 to 5; both scales are a guess.
_TRUST_SCORE_MAX = 5.0


def _fraction(dataset_id: str, facet: str) -> float:
    """Map a dataset id and a facet name to a number from 0.5 to 1 that never changes."""
    digest = hashlib.sha256(f"{facet}:{dataset_id}".encode()).digest()
    return 0.5 + int.from_bytes(digest[:4], "big") / 2**33


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 3)


def derive_quality(dataset_ids: list[str]) -> dict[str, Any] | None:
    """Return `{"validity", "completeness"}`, or None for a product without datasets."""
    if not dataset_ids:
        return None
    return {
        "validity": _mean([_fraction(item, "VALIDITY") for item in dataset_ids]),
        "completeness": _mean([_fraction(item, "COMPLETENESS") for item in dataset_ids]),
    }


def derive_trust_score(dataset_ids: list[str]) -> dict[str, Any] | None:
    """Return a trust score with one entry per dimension, or None without datasets."""
    if not dataset_ids:
        return None
    scores = {
        dimension: _mean([_fraction(item, dimension) * _TRUST_SCORE_MAX for item in dataset_ids])
        for dimension in TRUST_SCORE_DIMENSIONS
    }
    dimensions = [
        {"id": dimension, "score": score, "applicableDatasets": len(dataset_ids)}
        for dimension, score in scores.items()
    ]
    return {
        "score": _mean(list(scores.values())),
        "dimensions": dimensions,
        "applicableDatasets": len(dataset_ids),
    }
