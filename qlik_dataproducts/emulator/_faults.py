"""Fault rules that make single responses fail, fire at random and repeat for a given seed.

Injected faults are separate from the rate-limit model: an injected 429 blocks nothing else.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import attrs

from ._ratelimit import OPERATION_TIERS

__all__ = [
    "AFTER_HANDLER_KINDS",
    "FAULT_KINDS",
    "FAULT_OPERATIONS",
    "Fault",
    "FaultDraw",
    "FaultInjector",
]

logger = logging.getLogger(__name__)

FAULT_KINDS = frozenset(
    {
        "status_503",
        "status_500",
        "status_429",
        "status_429_no_retry_after",
        "status_429_http_date",
        "latency",
        "reset_before",
        "reset_after",
        "gateway_502_html",
        "truncated",
    }
)
# Operations a fault rule may name: the API operations and the OAuth token endpoint.
FAULT_OPERATIONS = frozenset(OPERATION_TIERS) | {"oauth_token"}
# Kinds that let the handler apply the change before the response is broken.
AFTER_HANDLER_KINDS = frozenset({"reset_after", "truncated"})

Operations = frozenset[str] | Literal["*"]


def _to_operations(value: Iterable[str] | str) -> Operations:
    if value == "*":
        return "*"
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _check_operations(instance: Fault, attribute: attrs.Attribute[Any], value: Operations) -> None:
    if value == "*":
        return
    unknown = set(value) - FAULT_OPERATIONS
    if unknown:
        raise ValueError(
            f"unknown operation(s) {sorted(unknown)}; expected '*' or names from "
            f"{sorted(FAULT_OPERATIONS)}"
        )


def _check_kind(instance: Fault, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {value!r}; expected one of {sorted(FAULT_KINDS)}")


def _check_probability(instance: Fault, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"probability must be between 0 and 1, got {value}")


def _check_non_negative(instance: Fault, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


def _check_count(instance: Fault, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"count must not be negative, got {value}")


@attrs.frozen
class Fault:
    """A rule that breaks the response to matching operations.

    Attributes:
        kind: one of `FAULT_KINDS`.
        operations: operation names the rule applies to (from `FAULT_OPERATIONS`, which
            includes the OAuth token endpoint `oauth_token`), or "*" for every one of them.
        probability: chance from 0 to 1 that a matching request triggers the rule.
        count: maximum number of times the rule fires; None for no limit.
        retry_after: seconds sent in the `retry-after` header of injected 429 responses.
        delay: seconds added before responding, for the `latency` kind.
    """

    kind: str = attrs.field(validator=_check_kind)
    operations: Operations = attrs.field(
        default="*", converter=_to_operations, validator=_check_operations
    )
    probability: float = attrs.field(default=0.1, validator=_check_probability)
    count: int | None = attrs.field(default=None, validator=_check_count)
    retry_after: float = attrs.field(default=1.0, validator=_check_non_negative)
    delay: float = attrs.field(default=0.0, validator=_check_non_negative)

    def matches(self, operation: str) -> bool:
        """Return whether the rule applies to an operation."""
        return self.operations == "*" or operation in self.operations

    def to_json(self) -> dict[str, Any]:
        """Return the rule as a JSON object, the form the control endpoint accepts."""
        operations: str | list[str] = "*" if self.operations == "*" else sorted(self.operations)
        return {
            "kind": self.kind,
            "operations": operations,
            "probability": self.probability,
            "count": self.count,
            "retry_after": self.retry_after,
            "delay": self.delay,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Build a rule from a JSON object with the attribute names as keys.

        Raises:
            ValueError: a key is unknown or a value is invalid.
        """
        unknown = set(data) - {field.name for field in attrs.fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault field(s) {sorted(unknown)}")
        if "kind" not in data:
            raise ValueError("fault field 'kind' is required")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"invalid fault {dict(data)!r}: {exc}") from exc


@dataclass(frozen=True)
class FaultDraw:
    """The outcome of drawing the rules for one request."""

    delay: float = 0.0
    fault: Fault | None = None


class FaultInjector:
    """Fault rules in the order they were added, with one seeded random generator.

    Every matching rule draws one number per request, whether or not it fires, so the same
    seed and the same sequence of requests give the same faults. Latency rules add up; of the
    other rules, the first one that fires breaks the response.
    """

    def __init__(self, faults: Iterable[Fault] = (), *, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._rules: list[Fault] = []
        self._fired_by_rule: list[int] = []
        self.fired: Counter[str] = Counter()
        for fault in faults:
            self.add(fault)

    def __repr__(self) -> str:
        return f"<FaultInjector rules={len(self._rules)} fired={dict(self.fired)}>"

    @property
    def rules(self) -> tuple[Fault, ...]:
        """The active rules."""
        return tuple(self._rules)

    def add(self, fault: Fault) -> None:
        """Add a rule after the existing ones."""
        self._rules.append(fault)
        self._fired_by_rule.append(0)

    def clear(self) -> None:
        """Remove every rule; the `fired` counts stay."""
        self._rules.clear()
        self._fired_by_rule.clear()

    def draw(self, operation: str) -> FaultDraw:
        """Decide which faults hit one request of an operation."""
        delay = 0.0
        chosen: Fault | None = None
        for index, fault in enumerate(self._rules):
            if not fault.matches(operation):
                continue
            roll = self._random.random()
            exhausted = fault.count is not None and self._fired_by_rule[index] >= fault.count
            if exhausted or roll >= fault.probability:
                continue
            if fault.kind == "latency":
                delay += fault.delay
            elif chosen is None:
                chosen = fault
            else:
                continue
            self._fired_by_rule[index] += 1
            self.fired[fault.kind] += 1
            logger.debug("Injecting fault %s into operation %s", fault.kind, operation)
        return FaultDraw(delay, chosen)
