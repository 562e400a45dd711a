"""Tests of the emulator's fault injection and control endpoints."""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from qlik_dataproducts.emulator import Emulator, Fault, FaultInjector

BASE = "/api/data-governance/data-products"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as running:
        yield running


def always(kind: str, **options: Any) -> Fault:
    return Fault(kind, probability=1.0, **options)


@pytest.mark.parametrize(
    "arguments",
    [
        {"kind": "status_418"},
        {"kind": "status_503", "operations": {"list"}},
        {"kind": "status_503", "probability": 1.5},
        {"kind": "status_503", "count": -1},
        {"kind": "latency", "delay": -1.0},
    ],
)
def test_fault_rejects_bad_arguments(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault(**arguments)


def test_fault_json_round_trip() -> None:
    fault = Fault("status_429", operations={"create", "patch"}, count=2, retry_after=3.5)

    assert Fault.from_json(fault.to_json()) == fault


def test_fault_json_rejects_unknown_key() -> None:
    with pytest.raises(ValueError, match="colour"):
        Fault.from_json({"kind": "status_503", "colour": "red"})


def test_fault_single_operation_string() -> None:
    assert Fault("status_503", operations="get").operations == frozenset({"get"})


def test_injector_repeats_for_seed() -> None:
    draws = []
    for _ in range(2):
        injector = FaultInjector([Fault("status_503", probability=0.3)], seed=42)
        draws.append([injector.draw("get").fault is not None for _ in range(50)])

    assert draws[0] == draws[1]
    assert 0 < draws[0].count(True) < 50


def test_injector_seeds_differ() -> None:
    draws = []
    for seed in (1, 2):
        injector = FaultInjector([Fault("status_503", probability=0.5)], seed=seed)
        draws.append([injector.draw("get").fault is not None for _ in range(50)])

    assert draws[0] != draws[1]


def test_injector_count_caps_firing() -> None:
    injector = FaultInjector([always("status_500", count=2)])

    fired = [injector.draw("get").fault is not None for _ in range(5)]

    assert fired == [True, True, False, False, False]
    assert injector.fired == {"status_500": 2}


def test_injector_zero_probability_never_fires() -> None:
    injector = FaultInjector([Fault("status_500", probability=0.0)])

    assert all(injector.draw("get").fault is None for _ in range(20))


def test_injector_matches_operations() -> None:
    injector = FaultInjector([always("status_500", operations={"create"})])

    assert injector.draw("get").fault is None
    assert injector.draw("create").fault is not None


def test_injector_latency_adds_up() -> None:
    injector = FaultInjector(
        [always("latency", delay=0.1), always("latency", delay=0.2), always("status_503")]
    )

    draw = injector.draw("get")

    assert draw.delay == pytest.approx(0.3)
    assert draw.fault is not None
    assert draw.fault.kind == "status_503"


def test_injector_first_fault_wins() -> None:
    injector = FaultInjector([always("status_503"), always("status_500")])

    draw = injector.draw("get")

    assert draw.fault is not None
    assert draw.fault.kind == "status_503"
    assert injector.fired == {"status_503": 1}


def test_injector_clear_keeps_counts() -> None:
    injector = FaultInjector([always("status_500")])
    injector.draw("get")

    injector.clear()

    assert injector.rules == ()
    assert injector.draw("get").fault is None
    assert injector.fired == {"status_500": 1}


@pytest.mark.parametrize(("kind", "status"), [("status_503", 503), ("status_500", 500)])
async def test_status_fault_changes_nothing(
    session: aiohttp.ClientSession, emulator: Emulator, kind: str, status: int
) -> None:
    emulator.faults.add(always(kind))

    async with session.post(BASE, json={"name": "Sales"}) as response:
        body = await response.json()

    assert response.status == status
    assert body["errors"][0]["status"] == str(status)
    assert "traceId" in body
    assert emulator.state.snapshot() == {}


async def test_injected_429_format(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.faults.add(always("status_429", retry_after=2.0, count=1))

    async with session.post(BASE, json={"name": "Sales"}) as response:
        body = await response.json()

    assert response.status == 429
    assert response.headers["Retry-After"] == "2"
    assert body["errors"][0]["detail"] == "You need to wait 2 seconds until limit is lifted."
    assert "traceId" not in body


async def test_injected_429_blocks_nothing(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.faults.add(always("status_429", count=1))

    async with session.post(BASE, json={"name": "Sales"}) as response:
        assert response.status == 429
    async with session.post(BASE, json={"name": "Sales"}) as response:
        assert response.status == 201

    assert emulator.rate_limited.total == 0


async def test_injected_429_without_header(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.faults.add(always("status_429_no_retry_after"))

    async with session.get(f"{BASE}/x") as response:
        assert response.status == 429
        assert "Retry-After" not in response.headers


async def test_injected_429_http_date(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.faults.add(always("status_429_http_date", retry_after=30.0))

    async with session.get(f"{BASE}/x") as response:
        retry_at = email.utils.parsedate_to_datetime(response.headers["Retry-After"])

    assert response.status == 429
    assert 29 <= retry_at.timestamp() - time.time() <= 32


async def test_latency_fault_delays(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.faults.add(always("latency", delay=0.05))
    started = time.monotonic()

    async with session.get(f"{BASE}/x") as response:
        assert response.status == 404

    assert time.monotonic() - started >= 0.05


async def test_reset_before_changes_nothing(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.faults.add(always("reset_before"))

    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.post(BASE, json={"name": "Sales"}) as response:
            await response.read()

    assert emulator.state.snapshot() == {}
    assert emulator.requests[-1].status is None
    assert emulator.requests[-1].fault == "reset_before"


async def test_reset_after_applies_change(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.faults.add(always("reset_after"))

    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.post(BASE, json={"name": "Sales"}) as response:
            await response.read()

    assert len(emulator.state.snapshot()) == 1
    assert emulator.requests[-1].status is None


async def test_gateway_502_is_html(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.faults.add(always("gateway_502_html"))

    async with session.post(BASE, json={"name": "Sales"}) as response:
        text = await response.text()

    assert response.status == 502
    assert response.content_type == "text/html"
    assert "502 Bad Gateway" in text
    assert emulator.state.snapshot() == {}


async def test_truncated_applies_change(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.faults.add(always("truncated"))

    with pytest.raises(aiohttp.ClientPayloadError):
        async with session.post(BASE, json={"name": "Sales"}) as response:
            await response.json()

    assert response.status == 201
    assert len(emulator.state.snapshot()) == 1


async def test_truncated_no_content_answer(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    (product_id,) = emulator.state.seed([{"name": "Sales"}])
    emulator.faults.add(always("truncated", operations={"patch"}))
    operations = [{"op": "replace", "path": "/name", "value": "Revenue"}]

    with pytest.raises(aiohttp.ClientPayloadError):
        async with session.patch(f"{BASE}/{product_id}", json=operations) as response:
            await response.read()

    assert emulator.state.snapshot()[product_id]["name"] == "Revenue"


async def test_fault_spares_other_operations(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    emulator.faults.add(always("status_503", operations={"create"}))

    async with session.get(f"{BASE}/x") as response:
        assert response.status == 404


async def test_faults_from_constructor() -> None:
    async with (
        Emulator(faults=[always("status_500")]) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        async with session.get(f"{BASE}/x") as response:
            assert response.status == 500

    assert emulator.faults.fired == {"status_500": 1}


async def test_unauthenticated_request_skips_faults(emulator: Emulator) -> None:
    emulator.faults.add(always("status_500"))

    async with aiohttp.ClientSession(emulator.base_url) as anonymous:
        async with anonymous.get(f"{BASE}/x") as response:
            assert response.status == 401

    assert emulator.faults.fired == {}


async def test_control_adds_faults(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    rules = [{"kind": "status_503", "operations": ["get"], "probability": 1.0}]

    async with session.post("/_emulator/faults", json=rules) as response:
        body = await response.json()

    assert response.status == 200
    assert body["faults"][0]["kind"] == "status_503"
    assert emulator.faults.rules == (Fault("status_503", operations={"get"}, probability=1.0),)


async def test_control_rejects_bad_fault(session: aiohttp.ClientSession) -> None:
    async with session.post("/_emulator/faults", json=[{"kind": "nope"}]) as response:
        assert response.status == 400


async def test_control_clears_faults(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.faults.add(always("status_500"))

    async with session.delete("/_emulator/faults") as response:
        assert response.status == 204

    assert emulator.faults.rules == ()


async def test_control_seeds_and_shows_state(session: aiohttp.ClientSession) -> None:
    async with session.post("/_emulator/seed", json=[{"id": "p1", "name": "A"}]) as response:
        assert (await response.json()) == {"ids": ["p1"]}

    async with session.get("/_emulator/state") as response:
        state = await response.json()

    assert state["products"]["p1"]["name"] == "A"
    assert state["rateLimited"]["total"] == 0


async def test_control_seed_rejects_bad_item(session: aiohttp.ClientSession) -> None:
    async with session.post("/_emulator/seed", json=[{"id": "p1"}]) as response:
        assert response.status == 400


async def test_control_needs_credentials(emulator: Emulator) -> None:
    async with aiohttp.ClientSession(emulator.base_url) as anonymous:
        async with anonymous.get("/_emulator/state") as response:
            assert response.status == 401
        async with anonymous.delete("/_emulator/faults") as response:
            assert response.status == 401


async def test_latency_setting_delays_answers() -> None:
    async with (
        Emulator(latency=0.05) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        started = time.monotonic()
        async with session.get(f"{BASE}/x") as response:
            assert response.status == 404
        elapsed = time.monotonic() - started

    assert elapsed >= 0.05
