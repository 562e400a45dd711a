"""The migration job against a real emulator on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from qlik_dataproducts import (
    TIER_2,
    ConfigurationError,
    DataProductsClient,
    RetryPolicy,
    TierLimit,
)
from qlik_dataproducts._migration import Migration, MigrationProgress, MigrationReport
from qlik_dataproducts._migration_report import format_summary
from qlik_dataproducts.emulator import Emulator, Fault

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CATALOGUE = EXAMPLES / "catalogue.jsonl"
ERRORS_CATALOGUE = EXAMPLES / "catalogue-with-errors.jsonl"
BAD_LINES = {2, 4, 5, 7, 8, 9, 10, 11, 12}
GOOD_LINES = {1, 3, 6, 13, 14}
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, max_retry_after=5)


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[DataProductsClient]:
    async with DataProductsClient(
        emulator.base_url, api_key=emulator.api_key, retry=FAST_RETRY
    ) as connected:
        yield connected


def run_migration(
    client: DataProductsClient, catalogue: Path, output: Path, **options: Any
) -> Migration:
    return Migration(
        client,
        catalogue,
        docs_dir=output / "docs",
        results=output / "results.jsonl",
        **options,
    )


def read_results(output: Path) -> list[dict[str, Any]]:
    text = (output / "results.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def catalogue_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def product_keys(emulator: Emulator) -> Counter[tuple[str, str | None]]:
    return Counter(
        (product["name"], product.get("spaceId")) for product in emulator.state.snapshot().values()
    )


async def test_catalogue_migrates_every_line(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    report = await run_migration(client, CATALOGUE, tmp_path).run()
    expected_activated = sum(1 for line in catalogue_lines(CATALOGUE) if line.get("activate"))

    assert report.exit_status == 0
    assert report.created == 210
    assert report.activated == expected_activated
    assert report.documented == 210
    assert len(list((tmp_path / "docs").iterdir())) == 210
    assert len(emulator.state.snapshot()) == 210


async def test_catalogue_results_map_lines(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    await run_migration(client, CATALOGUE, tmp_path).run()
    results = read_results(tmp_path)
    snapshot = emulator.state.snapshot()
    catalogue = catalogue_lines(CATALOGUE)

    assert [record["line"] for record in results] == list(range(1, 211))
    assert {record["status"] for record in results} == {"done"}
    assert {record["id"] for record in results} == set(snapshot)
    for record, line in zip(results, catalogue, strict=True):
        assert snapshot[record["id"]]["name"] == line["name"]
        assert Path(record["docs"]).read_text(encoding="utf-8").startswith(f"# {line['name']}")


async def test_activation_uses_target_space(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    await run_migration(client, CATALOGUE, tmp_path).run()
    snapshot = emulator.state.snapshot()
    catalogue = catalogue_lines(CATALOGUE)

    for record, line in zip(read_results(tmp_path), catalogue, strict=True):
        product = snapshot[record["id"]]
        assert product["activated"] is bool(line.get("activate")), record["line"]
        if "targetSpaceId" in line:
            assert product["activatedOn"] == [line["targetSpaceId"]], record["line"]


async def test_errors_catalogue_reports_bad_lines(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    # One worker makes line 3 create its product before line 11 repeats the name.
    report = await run_migration(client, ERRORS_CATALOGUE, tmp_path, concurrency=1).run()
    statuses = {record["line"]: record["status"] for record in read_results(tmp_path)}

    assert report.exit_status == 1
    assert {line for line, status in statuses.items() if status == "failed"} == BAD_LINES
    assert {line for line, status in statuses.items() if status == "done"} == GOOD_LINES
    assert len(emulator.state.snapshot()) == len(GOOD_LINES)


async def test_errors_catalogue_reasons(client: DataProductsClient, tmp_path: Path) -> None:
    report = await run_migration(client, ERRORS_CATALOGUE, tmp_path, concurrency=1).run()
    reasons = {state.line: state.reason or "" for state in report.failed}

    assert reasons[2] == "invalid JSON"
    assert reasons[4].startswith("invalid name:")
    assert reasons[5].startswith("invalid datasetIds:")
    assert reasons[7].startswith("invalid keyContacts[1].userId:")
    assert reasons[8].startswith("invalid apiConsumableDatasetIds[1]:")
    assert reasons[9].startswith("invalid glossaryIds[0]:")
    assert reasons[10] == "unknown key 'owner'"
    assert reasons[11].startswith("HTTP 409")
    assert reasons[12] == "targetSpaceId without activate"


async def test_summary_groups_failures(client: DataProductsClient, tmp_path: Path) -> None:
    report = await run_migration(client, ERRORS_CATALOGUE, tmp_path, concurrency=1).run()
    summary = format_summary(report)

    assert "Failed:          9" in summary
    assert "  invalid JSON (1): line 2" in summary
    assert "  HTTP 409 Conflict (1): line 11" in summary


async def test_stop_then_resume_no_duplicates(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    def stop_after_some(progress: MigrationProgress) -> None:
        if progress.finished >= 50:
            migration.stop()

    migration = run_migration(client, CATALOGUE, tmp_path, on_progress=stop_after_some)
    first = await migration.run()
    created_first = len(emulator.state.snapshot())
    second = await run_migration(client, CATALOGUE, tmp_path, resume=True).run()

    assert first.exit_status == 130
    assert 50 <= created_first < 210
    assert second.exit_status == 0
    assert second.created == 210 - created_first
    assert len(emulator.state.snapshot()) == 210
    assert max(product_keys(emulator).values()) == 1


async def test_resume_after_done_creates_nothing(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    await run_migration(client, CATALOGUE, tmp_path).run()
    before = emulator.state.snapshot()
    report = await run_migration(client, CATALOGUE, tmp_path, resume=True).run()

    assert report.exit_status == 0
    assert report.created == 0
    assert report.previously_done == 210
    assert emulator.state.snapshot() == before


async def test_resume_continues_failed_activation(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults.add(Fault("status_500", operations="activate", probability=1.0))
    first = await run_migration(client, ERRORS_CATALOGUE, tmp_path, concurrency=1).run()
    failed_steps = {state.line: state.step for state in first.failed}
    emulator.faults.clear()
    second = await run_migration(client, ERRORS_CATALOGUE, tmp_path, resume=True).run()
    lines = {state.line: state for state in second.lines}

    assert failed_steps[6] == "activate"
    assert failed_steps[13] == "activate"
    assert second.created == 0
    assert second.activated == 2
    assert lines[6].status == "done"
    assert lines[13].status == "done"
    assert len(emulator.state.snapshot()) == len(GOOD_LINES)


async def test_resume_after_crash_journal(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    migration = run_migration(client, CATALOGUE, tmp_path)
    task = asyncio.create_task(migration.run())
    journal = tmp_path / "results.jsonl.journal"
    while not journal.exists() or journal.read_text(encoding="utf-8").count('"done"') < 40:
        assert not task.done(), "the migration ended before 40 lines were done"
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # A crash would not have written the results file: only the journal is left.
    (tmp_path / "results.jsonl").unlink()

    report = await run_migration(client, CATALOGUE, tmp_path, resume=True).run()
    unknown = [state for state in report.failed if state.reason == "create outcome unknown"]

    assert len(report.failed) == len(unknown)
    assert report.previously_done >= 40
    assert max(product_keys(emulator).values()) == 1
    assert len(emulator.state.snapshot()) >= 210 - len(unknown)


async def test_unknown_create_not_retried(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    catalogue = tmp_path / "one.jsonl"
    catalogue.write_text('{"name": "Orphan"}\n', encoding="utf-8")
    output = tmp_path / "out"
    output.mkdir()
    journal = output / "results.jsonl.journal"
    journal.write_text('{"line": 1, "event": "creating"}\n', encoding="utf-8")

    report = await run_migration(client, catalogue, output, resume=True).run()

    assert report.exit_status == 1
    assert report.failed[0].reason == "create outcome unknown"
    assert emulator.state.snapshot() == {}


async def test_retry_unknown_creates(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    catalogue = tmp_path / "one.jsonl"
    catalogue.write_text('{"name": "Orphan"}\n', encoding="utf-8")
    output = tmp_path / "out"
    output.mkdir()
    (output / "results.jsonl.journal").write_text(
        '{"line": 1, "event": "creating"}\n{"line": 1, "ev', encoding="utf-8"
    )

    report = await run_migration(client, catalogue, output, resume=True, retry_unknown=True).run()

    assert report.exit_status == 0
    assert len(emulator.state.snapshot()) == 1


async def test_existing_output_needs_resume(client: DataProductsClient, tmp_path: Path) -> None:
    await run_migration(client, ERRORS_CATALOGUE, tmp_path).run()

    with pytest.raises(ConfigurationError, match="--resume"):
        await run_migration(client, ERRORS_CATALOGUE, tmp_path).run()


async def test_wrong_api_key_aborts(emulator: Emulator, tmp_path: Path) -> None:
    async with DataProductsClient(
        emulator.base_url, api_key="not-the-key", retry=FAST_RETRY
    ) as client:
        report = await run_migration(client, CATALOGUE, tmp_path, concurrency=4).run()

    assert report.exit_status == 3
    assert report.fatal_error is not None
    assert "401" in report.fatal_error
    assert len(report.unfinished) >= 200
    assert emulator.state.snapshot() == {}


async def test_closed_port_aborts(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with DataProductsClient(
        f"http://127.0.0.1:{port}", api_key="key", retry=FAST_RETRY
    ) as client:
        report = await run_migration(client, ERRORS_CATALOGUE, tmp_path, concurrency=2).run()

    assert report.exit_status == 3
    assert report.fatal_error is not None
    assert report.fatal_error.startswith("connection failed")
    assert len(read_results(tmp_path)) == 14


async def test_rate_limit_counted_in_summary(emulator: Emulator, tmp_path: Path) -> None:
    emulator.faults.add(
        Fault("status_429", operations="create", probability=1.0, count=3, retry_after=0.05)
    )
    # After a 429 the client drains its tier bucket at the tier's rate; a one-second
    # "minute" keeps the test fast.
    limits = {TIER_2: TierLimit(100, minute_seconds=1.0)}
    async with DataProductsClient(
        emulator.base_url, api_key=emulator.api_key, retry=FAST_RETRY, tier_limits=limits
    ) as client:
        report = await run_migration(client, ERRORS_CATALOGUE, tmp_path, concurrency=1).run()

    assert report.exit_status == 1
    assert sum(tier.rate_limited for tier in report.tiers) == 3
    assert "3 responses with status 429" in format_summary(report)


async def test_no_api_key_in_files(
    client: DataProductsClient, emulator: Emulator, tmp_path: Path
) -> None:
    report: MigrationReport = await run_migration(client, ERRORS_CATALOGUE, tmp_path).run()
    written = [path for path in tmp_path.rglob("*") if path.is_file()]

    assert len(written) == 2 + len(GOOD_LINES)
    for path in written:
        assert emulator.api_key not in path.read_text(encoding="utf-8"), path
    assert emulator.api_key not in format_summary(report)
