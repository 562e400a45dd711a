"""Shared fixtures: a real emulator on loopback and a client connected to it."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from qlik_dataproducts import DataProductsClient, RetryPolicy
from qlik_dataproducts.emulator import Emulator
from tests.canned import CannedServer
from tests.clock import FakeClock

# schemathesis 4.32 and newer, which the conformance test uses, need Python 3.11.
collect_ignore = ["test_conformance.py"] if sys.version_info < (3, 11) else []

# Short backoffs keep retry tests fast; the rules under test do not depend on the durations.
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, max_retry_after=5)


@pytest.fixture(autouse=True)
def no_qlik_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's own QLIK_* settings out of every test."""
    for name in list(os.environ):
        if name.startswith("QLIK_"):
            monkeypatch.delenv(name)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as running:
        yield running


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[DataProductsClient]:
    async with DataProductsClient(
        emulator.base_url, api_key=emulator.api_key, retry=FAST_RETRY
    ) as connected:
        yield connected


@pytest.fixture
async def canned() -> AsyncIterator[CannedServer]:
    async with CannedServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a raw HTTP session carrying the emulator's API key, for tests of the emulator."""
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    async with aiohttp.ClientSession(emulator.base_url, headers=headers) as client:
        yield client
