"""Tests of the qlik_dataproducts pytest plugin: its fixtures, markers and ini option.

Most tests use the fixtures directly, as the plugin is active in this suite through its entry
point. Two run pytest in a subprocess: the user suite in strict mode, and a small project
that sets the `qlik_seed` ini option.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from qlik_dataproducts import (
    DataProductsClient,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    UnprocessableEntityError,
)
from qlik_dataproducts.emulator import Emulator, Fault, FaultInjector, RecordedRequest, VirtualClock

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"
SEEDED_ID = "5f0c3e1a9b8d7c6e5f4a3b2c"


async def test_client_reaches_emulator(
    qlik_client: DataProductsClient,
    qlik_emulator: Emulator,
    qlik_requests: list[RecordedRequest],
) -> None:
    created = await qlik_client.create(name="Sales")

    assert qlik_emulator.base_url.startswith("http://127.0.0.1:")
    assert qlik_emulator.state.snapshot()[created.id]["name"] == "Sales"
    assert [(request.operation, request.status) for request in qlik_requests] == [("create", 201)]


@pytest.mark.qlik_seed([{"id": SEEDED_ID, "name": "Seeded"}])
async def test_seed_marker_with_products(qlik_client: DataProductsClient) -> None:
    assert (await qlik_client.get(SEEDED_ID)).name == "Seeded"


@pytest.mark.qlik_seed("samples/plugin_seed.json")
async def test_seed_marker_with_file(qlik_emulator: Emulator) -> None:
    products = qlik_emulator.state.snapshot()

    assert sorted(product["name"] for product in products.values()) == ["Sales", "Stock"]


@pytest.mark.qlik_seed("samples/plugin_seed.json")
@pytest.mark.qlik_seed([{"id": "extra", "name": "Extra"}])
async def test_seed_markers_add_up(qlik_emulator: Emulator) -> None:
    assert len(qlik_emulator.state) == 3


@pytest.mark.qlik_emulator(max_products=1)
async def test_emulator_marker_options(qlik_client: DataProductsClient) -> None:
    await qlik_client.create(name="First")

    with pytest.raises(UnprocessableEntityError):
        await qlik_client.create(name="Second")


@pytest.mark.qlik_client(retry=RetryPolicy(max_attempts=1))
async def test_client_marker_options(
    qlik_client: DataProductsClient, qlik_faults: FaultInjector
) -> None:
    qlik_faults.add(Fault("status_503", operations="create", probability=1.0))

    with pytest.raises(ServiceUnavailableError):
        await qlik_client.create(name="Sales")


async def test_faults_fixture_breaks_responses(
    qlik_client: DataProductsClient,
    qlik_faults: FaultInjector,
    qlik_requests: list[RecordedRequest],
) -> None:
    qlik_faults.add(Fault("status_503", operations="create", probability=1.0, count=1))

    with pytest.raises(ServiceUnavailableError):
        await qlik_client.create(name="Sales", retry=RetryPolicy(max_attempts=1))
    await qlik_client.create(name="Sales")

    assert qlik_faults.fired["status_503"] == 1
    assert [request.status for request in qlik_requests] == [503, 201]


class TestOptionsFixtures:
    @pytest.fixture
    def qlik_emulator_options(self) -> dict[str, Any]:
        return {"tier_limits": {"tier2": 1}, "window_minutes": 1}

    @pytest.fixture
    def qlik_client_options(self) -> dict[str, Any]:
        return {"retry": RetryPolicy(max_attempts=1)}

    async def test_options_fixtures_apply(
        self, qlik_client: DataProductsClient, qlik_emulator: Emulator
    ) -> None:
        await qlik_client.create(name="First")
        # The client's own bucket allows more, but the emulator's allows one request.
        with pytest.raises(RateLimitError):
            await qlik_client.create(name="Second")

        assert qlik_emulator.rate_limited.total == 1


@pytest.mark.qlik_virtual_time
async def test_virtual_time_marker(qlik_emulator: Emulator) -> None:
    emulator_start = qlik_emulator.clock()
    started = time.monotonic()

    await asyncio.sleep(600)

    assert qlik_emulator.clock() - emulator_start == pytest.approx(600)
    assert time.monotonic() - started < 1.0


async def test_virtual_clock_fixture_drives_emulator(
    qlik_emulator: Emulator, qlik_virtual_clock: VirtualClock
) -> None:
    qlik_virtual_clock.advance(120)

    assert qlik_emulator.clock() == qlik_virtual_clock.time()


async def test_virtual_clock_removed_after_test() -> None:
    loop = asyncio.get_running_loop()

    assert "select" not in vars(getattr(loop, "_selector", object()))


def test_threaded_emulator_serves_blocking_calls(qlik_threaded_emulator: Emulator) -> None:
    headers = {"Authorization": f"Bearer {qlik_threaded_emulator.api_key}"}
    url = f"{qlik_threaded_emulator.base_url}/api/data-governance/data-products"

    response = requests.post(url, json={"name": "Sales"}, headers=headers, timeout=5)

    assert response.status_code == 201
    assert len(qlik_threaded_emulator.state) == 1


def _run_pytest(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_user_suite_strict_mode() -> None:
    result = _run_pytest(["-q", "-o", "asyncio_mode=strict", "tests/user_suite"], ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout


def test_ini_seed_and_loopback_only(tmp_path: Path) -> None:
    (tmp_path / "seed.json").write_text('{"p-1": {"name": "From ini"}}', encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        textwrap.dedent(
            """\
            [pytest]
            asyncio_mode = strict
            asyncio_default_fixture_loop_scope = function
            qlik_seed = seed.json
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "test_project.py").write_text(
        textwrap.dedent(
            """\
            import pytest

            @pytest.mark.asyncio
            async def test_ini_seed(qlik_emulator):
                assert qlik_emulator.state.snapshot()["p-1"]["name"] == "From ini"

            @pytest.mark.asyncio
            @pytest.mark.qlik_emulator(host="0.0.0.0")
            async def test_other_host(qlik_emulator):
                pass

            @pytest.mark.asyncio
            @pytest.mark.qlik_seed("missing.json")
            async def test_missing_seed(qlik_emulator):
                pass
            """
        ),
        encoding="utf-8",
    )

    result = _run_pytest(["-q", "-rA", "test_project.py"], tmp_path)

    assert "PASSED test_project.py::test_ini_seed" in result.stdout
    assert "loopback only" in result.stdout
    assert "cannot read the qlik seed file" in result.stdout
    assert "1 passed, 2 errors" in result.stdout
