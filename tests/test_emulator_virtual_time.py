"""Tests of `VirtualClock`: waits end at once, while real loopback I/O is never skipped."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from qlik_dataproducts import (
    DATA_QUALITY,
    DataProductsClient,
    RequestTimeoutError,
    RetryPolicy,
)
from qlik_dataproducts.emulator import Emulator, VirtualClock


async def test_sleep_ends_at_once() -> None:
    loop = asyncio.get_running_loop()
    with VirtualClock(loop) as clock:
        started = time.monotonic()
        await asyncio.sleep(3600)
        elapsed = time.monotonic() - started

    assert clock.jumped == pytest.approx(3600)
    assert elapsed < 1.0


async def test_loop_time_follows_clock() -> None:
    loop = asyncio.get_running_loop()
    with VirtualClock(loop) as clock:
        before = loop.time()
        clock.advance(90)

        assert loop.time() == clock.time()
        assert loop.time() - before == 90


async def test_ready_io_holds_clock() -> None:
    loop = asyncio.get_running_loop()
    reader, writer = socket.socketpair()
    received: asyncio.Future[bytes] = loop.create_future()
    loop.add_reader(reader, lambda: received.set_result(reader.recv(16)))
    try:
        with VirtualClock(loop) as clock:
            sleeper = asyncio.ensure_future(asyncio.sleep(100))
            writer.send(b"ready")
            done, _ = await asyncio.wait({received, sleeper}, return_when="FIRST_COMPLETED")
            sleeper.cancel()
    finally:
        loop.remove_reader(reader)
        reader.close()
        writer.close()

    assert done == {received}
    assert received.result() == b"ready"
    assert clock.jumped == 0


async def test_uninstall_keeps_time_increasing() -> None:
    loop = asyncio.get_running_loop()
    with VirtualClock(loop) as clock:
        clock.advance(500)
        virtual_end = loop.time()

    assert loop.time() >= virtual_end
    with VirtualClock(loop) as second:
        assert second.time() >= virtual_end


async def test_second_clock_rejected() -> None:
    loop = asyncio.get_running_loop()
    with VirtualClock(loop), pytest.raises(RuntimeError, match="another virtual clock"):
        VirtualClock(loop).install()


def test_loop_without_selector_rejected() -> None:
    with pytest.raises(TypeError, match="SelectorEventLoop"):
        VirtualClock(object())  # type: ignore[arg-type]


async def test_advance_backwards_rejected() -> None:
    with VirtualClock(asyncio.get_running_loop()) as clock, pytest.raises(ValueError):
        clock.advance(-1)


async def test_paced_calls_over_real_sockets() -> None:
    """A minute and more of tier pacing runs over loopback in a moment of real time."""
    loop = asyncio.get_running_loop()
    with VirtualClock(loop) as clock:
        async with (
            Emulator(clock=lambda: loop.time()) as emulator,
            DataProductsClient(emulator.base_url, api_key=emulator.api_key, timeout=1.0) as client,
        ):
            ids = emulator.state.seed([{"name": f"P{index}"} for index in range(60)])
            started = time.monotonic()
            for product_id in ids:
                await client.compute_datasets_data_quality(product_id)
            elapsed = time.monotonic() - started
            stats = client.stats.tiers[DATA_QUALITY]

    assert emulator.rate_limited.total == 0
    assert stats.requests == 60
    assert clock.jumped > 60
    assert elapsed < 10


@pytest.mark.parametrize(("latency", "times_out"), [(0.5, False), (2.0, True)])
async def test_latency_against_timeout(latency: float, times_out: bool) -> None:
    """Virtual timers keep their order: a 2 s latency exceeds a 1 s timeout, 0.5 s does not."""
    loop = asyncio.get_running_loop()
    with VirtualClock(loop):
        async with (
            Emulator(clock=lambda: loop.time(), latency=latency) as emulator,
            DataProductsClient(
                emulator.base_url,
                api_key=emulator.api_key,
                timeout=1.0,
                retry=RetryPolicy(max_attempts=1),
            ) as client,
        ):
            [product_id] = emulator.state.seed([{"name": "Sales"}])
            if times_out:
                with pytest.raises(RequestTimeoutError):
                    await client.get(product_id)
            else:
                assert (await client.get(product_id)).name == "Sales"
