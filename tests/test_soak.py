"""Soak: thousands of mixed operations from many tasks against a faulty emulator.

Time is scaled (one rate-limit minute lasts ``MINUTE`` seconds on both sides) so the run takes
seconds. About one request in ten meets an injected fault. The test then checks that the
emulator contains exactly the expected state, that no data product exists twice, that every
failure reached the caller as a typed error naming its operation, and that nothing warned.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import pytest

from qlik_dataproducts import (
    DataProductsClient,
    OutcomeUnknownError,
    QlikDataProductsError,
    Replace,
    RetryPolicy,
    TierLimit,
)
from qlik_dataproducts.emulator import Emulator, Fault

T = TypeVar("T")

MINUTE = 0.3
PRODUCTS = 300
WORKERS = 40
FAULTS = [
    Fault("status_503", probability=0.025),
    Fault("status_500", probability=0.015),
    Fault("status_429", probability=0.01, retry_after=0.05),
    Fault("status_429_no_retry_after", probability=0.01),
    Fault("status_429_http_date", probability=0.002),
    Fault("gateway_502_html", probability=0.01),
    Fault("reset_before", probability=0.01),
    Fault("reset_after", probability=0.01),
    Fault("truncated", probability=0.01),
    Fault("latency", probability=0.01, delay=0.05),
]
TIERS = {
    "tier1": TierLimit(1000, minute_seconds=MINUTE),
    "tier2": TierLimit(100, minute_seconds=MINUTE),
    "data-quality": TierLimit(10, minute_seconds=MINUTE),
}
RETRY = RetryPolicy(max_attempts=8, backoff_base=0.02, backoff_max=0.2, max_retry_after=5)


@attrs.define
class Expected:
    """What one data product should look like at the end."""

    name: str
    space_id: str = "space-a"
    description: str | None = None
    tags: tuple[str, ...] = ("soak",)
    activated: bool = False
    deleted: bool = False


@attrs.define
class Ledger:
    """Every call made and every error raised, by operation."""

    calls: Counter[str] = attrs.field(factory=Counter)
    errors: list[tuple[str, QlikDataProductsError]] = attrs.field(factory=list)
    foreign: list[BaseException] = attrs.field(factory=list)
    unknown_outcomes: int = 0


async def call(ledger: Ledger, operation: str, action: Callable[[], Awaitable[T]]) -> T:
    """Run one client call, repeating it as a user would after a typed error."""
    for _ in range(5):
        ledger.calls[operation] += 1
        try:
            return await action()
        except OutcomeUnknownError:
            raise
        except QlikDataProductsError as exc:
            ledger.errors.append((operation, exc))
        except Exception as exc:
            ledger.foreign.append(exc)
            raise
    raise AssertionError(f"{operation} failed five times in a row")


async def create(
    client: DataProductsClient, emulator: Emulator, ledger: Ledger, name: str, index: int
) -> str:
    """Create a product, and after an unknown outcome look for it before sending it again."""
    while True:
        try:
            product = await call(
                ledger,
                "create",
                lambda: client.create(
                    name=name, space_id="space-a", dataset_ids=[f"ds-{index}"], tags=["soak"]
                ),
            )
            return product.id
        except OutcomeUnknownError as exc:
            ledger.unknown_outcomes += 1
            ledger.errors.append(("create", exc))
            # The API has no search, so the test reads the emulator's state, as a user would
            # search the tenant through another API before creating the product again.
            found = [pid for pid, p in emulator.state.snapshot().items() if p["name"] == name]
            if found:
                return found[0]


async def activate(client: DataProductsClient, ledger: Ledger, product_id: str, name: str) -> None:
    while True:
        try:
            await call(ledger, "activate", lambda: client.activate(product_id, name=name))
            return
        except OutcomeUnknownError as exc:
            ledger.unknown_outcomes += 1
            ledger.errors.append(("activate", exc))
            product = await call(ledger, "get", lambda: client.get(product_id))
            if product.activated:
                return


async def lifecycle(
    client: DataProductsClient,
    emulator: Emulator,
    ledger: Ledger,
    index: int,
    expected: dict[str, Expected],
) -> None:
    """Run the operations of one product and record what its final state must be."""
    name = f"Soak {index:04d}"
    product_id = await create(client, emulator, ledger, name, index)
    want = expected[product_id] = Expected(name)

    product = await call(ledger, "get", lambda: client.get(product_id))
    assert product.name == name

    operations = [Replace("/description", f"d{index}"), Replace("/tags", ["soak", f"t{index}"])]
    await call(ledger, "patch", lambda: client.patch(product_id, operations))
    want.description, want.tags = f"d{index}", ("soak", f"t{index}")

    text = await call(
        ledger, "export_documentation", lambda: client.export_documentation(product_id)
    )
    assert text.startswith(f"# {name}")

    async def walk() -> int:
        return len([entry async for entry in client.changelogs(product_id, limit=1)])

    assert await call(ledger, "changelogs", walk) >= 2

    await call(ledger, "generate_provider_url", lambda: client.generate_provider_url(f"ds-{index}"))

    if index % 3 == 0:
        await activate(client, ledger, product_id, name)
        want.activated = True
        if index % 2 == 0:
            await call(ledger, "deactivate", lambda: client.deactivate(product_id))
            want.activated = False
    if index % 4 == 1:
        await call(ledger, "move", lambda: client.move(product_id, "space-b"))
        want.space_id = "space-b"
    if index % 5 == 2 and not want.activated:
        await call(ledger, "delete", lambda: client.delete(product_id))
        want.deleted = True


async def soak(caplog: pytest.LogCaptureFixture) -> tuple[Ledger, dict[str, Expected], Emulator]:
    ledger = Ledger()
    expected: dict[str, Expected] = {}
    emulator = Emulator(minute_seconds=MINUTE, faults=FAULTS, seed=2026)
    async with emulator:
        async with DataProductsClient(
            emulator.base_url, api_key=emulator.api_key, tier_limits=TIERS, retry=RETRY
        ) as client:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for index in range(PRODUCTS):
                queue.put_nowait(index)

            async def worker() -> None:
                while not queue.empty():
                    await lifecycle(client, emulator, ledger, queue.get_nowait(), expected)

            await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return ledger, expected, emulator


def test_soak_mixed_operations_with_faults(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ledger, expected, emulator = asyncio.run(soak(caplog))

    snapshot = emulator.state.snapshot()
    survivors = {pid: want for pid, want in expected.items() if not want.deleted}
    names = Counter(product["name"] for product in snapshot.values())

    # Enough work, and enough of it went wrong on the way.
    assert sum(ledger.calls.values()) >= 2000
    assert sum(emulator.faults.fired.values()) >= 100
    assert ledger.foreign == []

    # Nothing created twice, nothing lost, nothing half-applied.
    assert max(names.values()) == 1
    assert set(snapshot) == set(survivors)
    for product_id, want in survivors.items():
        stored: dict[str, Any] = snapshot[product_id]
        assert stored["name"] == want.name
        assert stored["spaceId"] == want.space_id
        assert stored["description"] == want.description
        assert tuple(stored["tags"]) == want.tags
        assert stored["activated"] is want.activated

    # Every error was typed and named its operation.
    for operation, error in ledger.errors:
        assert isinstance(error, QlikDataProductsError)
        assert operation in str(error)

    # The client's buckets kept the model rate limit from ever responding with 429.
    assert emulator.rate_limited.total == 0

    assert [str(warning.message) for warning in caught] == []
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []
