"""The compute-data-quality command, run through main() against an emulator on loopback."""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest

from qlik_dataproducts import DATA_QUALITY, DataProductsClient, TierLimit
from qlik_dataproducts._cli_quality import _warn_about_pacing, request_quality
from qlik_dataproducts.cli import main
from qlik_dataproducts.emulator import Emulator

COMMAND = "compute-data-quality"
LOCATION_PREFIX = "/api/data-governance/data-qualities/batch-computations/"


@pytest.fixture(autouse=True)
def no_tenant_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "QLIK_TENANT_URL",
        "QLIK_API_KEY",
        "QLIK_OAUTH_CLIENT_ID",
        "QLIK_OAUTH_CLIENT_SECRET",
        "QLIK_OAUTH_SCOPE",
    ):
        monkeypatch.delenv(name, raising=False)


def seed_products(emulator: Emulator, count: int = 2) -> list[str]:
    products = [
        {"name": f"Product {index}", "datasetIds": [f"ds-{index}-a", f"ds-{index}-b"]}
        for index in range(count)
    ]
    return emulator.state.seed(products)


def target(emulator: Emulator) -> list[str]:
    return ["--tenant-url", emulator.base_url, "--api-key", emulator.api_key]


async def run_main(arguments: list[str]) -> int:
    # main() runs its own event loop, so it needs a thread of its own.
    return await asyncio.to_thread(main, arguments)


async def test_json_output_lists_datasets(capsys: pytest.CaptureFixture[str]) -> None:
    async with Emulator() as emulator:
        [product_id] = seed_products(emulator, 1)
        status = await run_main([COMMAND, "--json", *target(emulator), product_id])
    [line] = capsys.readouterr().out.splitlines()
    printed = json.loads(line)

    assert status == 0
    assert printed["productId"] == product_id
    assert printed["location"] == LOCATION_PREFIX + printed["batchComputationId"]
    assert [dataset["datasetId"] for dataset in printed["datasets"]] == ["ds-0-a", "ds-0-b"]
    assert {dataset["status"] for dataset in printed["datasets"]} == {"REQUESTED"}


async def test_unknown_product_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    async with Emulator() as emulator:
        [product_id] = seed_products(emulator, 1)
        status = await run_main([COMMAND, *target(emulator), "missing-product", product_id])
    captured = capsys.readouterr()

    assert status == 1
    assert "missing-product" in captured.err
    assert "404" in captured.err
    assert captured.out.startswith(product_id + "\t")


async def test_wrong_api_key_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    async with Emulator() as emulator:
        first, second = seed_products(emulator)
        arguments = [COMMAND, "--tenant-url", emulator.base_url, "--api-key", "wrong"]
        status = await run_main([*arguments, first, second])
        requests = len(emulator.requests)
    captured = capsys.readouterr()

    assert status == 3
    assert requests == 1
    assert f"not requested: {first} {second}" in captured.err
    assert "wrong" not in captured.err
    assert captured.out == ""


async def test_tenant_from_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Emulator() as emulator:
        monkeypatch.setenv("QLIK_TENANT_URL", emulator.base_url)
        monkeypatch.setenv("QLIK_API_KEY", emulator.api_key)
        ids = seed_products(emulator)
        status = await run_main([COMMAND, *ids])
    captured = capsys.readouterr()

    assert status == 0
    assert [line.split("\t")[0] for line in captured.out.splitlines()] == ids
    assert emulator.api_key not in captured.out + captured.err


async def test_repeated_id_requested_once(capsys: pytest.CaptureFixture[str]) -> None:
    async with Emulator() as emulator:
        [product_id] = seed_products(emulator, 1)
        status = await run_main([COMMAND, *target(emulator), product_id, product_id])
        operations = [request.operation for request in emulator.requests]

    assert status == 0
    assert operations == ["compute_data_quality"]
    assert len(capsys.readouterr().out.splitlines()) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([COMMAND, "p-1"], "--tenant-url"),
        ([COMMAND, "--tenant-url", "http://127.0.0.1:9", "p-1"], "no credentials"),
        ([COMMAND, "--context", "dev", "--tenant-url", "http://127.0.0.1:9", "p-1"], "--context"),
    ],
)
def test_missing_settings_exit_2(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(arguments)

    assert status == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments",
    [
        [COMMAND],
        [COMMAND, "--api-key", "k", "--oauth-client-id", "c", "p-1"],
    ],
)
def test_bad_options_exit_2(arguments: list[str]) -> None:
    assert main(arguments) == 2


def test_help_lists_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([COMMAND, "--help"])
    text = capsys.readouterr().out

    assert status == 0
    assert "exit status" in text
    assert "10 requests a minute" in text


def test_pacing_warning_past_burst() -> None:
    quiet, warned = io.StringIO(), io.StringIO()

    _warn_about_pacing(49, quiet)
    _warn_about_pacing(60, warned)

    assert quiet.getvalue() == ""
    assert "burst of 49" in warned.getvalue()
    assert "about 1.1 minutes" in warned.getvalue()


async def test_sixty_requests_stay_within_tier() -> None:
    """60 requests at 10 a minute, with a minute scaled to 0.6 s, draw no 429."""
    minute_seconds = 0.6
    async with Emulator(minute_seconds=minute_seconds) as emulator:
        ids = emulator.state.seed([{"name": f"P{index}"} for index in range(60)])
        limits = {DATA_QUALITY: TierLimit(10, minute_seconds=minute_seconds)}
        async with DataProductsClient(
            emulator.base_url, api_key=emulator.api_key, tier_limits=limits
        ) as client:
            started = time.monotonic()
            outcomes = await request_quality(client, ids, out=io.StringIO())
            elapsed = time.monotonic() - started

    assert [outcome.error for outcome in outcomes] == [None] * 60
    assert emulator.rate_limited.total == 0
    # The burst covers 49 requests, and the other 11 wait for the bucket to refill.
    assert elapsed >= 0.5
