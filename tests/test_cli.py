"""The qlik-dataproducts command line, in process and as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qlik_dataproducts.cli import main
from qlik_dataproducts.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "examples" / "catalogue.jsonl"
ERRORS_CATALOGUE = ROOT / "examples" / "catalogue-with-errors.jsonl"


@pytest.fixture(autouse=True)
def no_tenant_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QLIK_TENANT_URL", raising=False)
    monkeypatch.delenv("QLIK_API_KEY", raising=False)


def output_options(tmp_path: Path) -> list[str]:
    return ["--docs-dir", str(tmp_path / "docs"), "--results", str(tmp_path / "results.jsonl")]


def test_missing_tenant_url_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["migrate", str(CATALOGUE), *output_options(tmp_path)])
    error = capsys.readouterr().err

    assert status == 2
    assert "--tenant-url" in error
    assert "QLIK_TENANT_URL" in error
    assert not (tmp_path / "results.jsonl").exists()


def test_missing_api_key_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QLIK_TENANT_URL", "http://127.0.0.1:9")
    status = main(["migrate", str(CATALOGUE), *output_options(tmp_path)])
    error = capsys.readouterr().err

    assert status == 2
    assert "--api-key" in error
    assert "QLIK_API_KEY" in error


def test_missing_catalogue_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["migrate", "--emulator", str(tmp_path / "absent.jsonl")])

    assert status == 2
    assert "catalogue not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options",
    [
        ["--concurrency", "0"],
        ["--concurrency", "many"],
        ["--emulator", "--tenant-url", "http://127.0.0.1:9"],
        ["--emulator", "--retry-unknown"],
        ["--no-such-option"],
    ],
)
def test_bad_options_exit_2(tmp_path: Path, options: list[str]) -> None:
    assert main(["migrate", str(CATALOGUE), *output_options(tmp_path), *options]) == 2


def test_help_lists_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["migrate", "--help"])
    text = capsys.readouterr().out

    assert status == 0
    assert "exit status:" in text
    assert "130" in text


def test_emulator_migrates_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["migrate", "--emulator", str(CATALOGUE), *output_options(tmp_path)])
    summary = capsys.readouterr().out

    assert status == 0
    assert "Created:         210" in summary
    assert len(list((tmp_path / "docs").iterdir())) == 210


def test_errors_catalogue_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        ["migrate", "--emulator", "--quiet", str(ERRORS_CATALOGUE), *output_options(tmp_path)]
    )
    captured = capsys.readouterr()

    assert status == 1
    assert "invalid JSON (1): line 2" in captured.out
    assert "[" not in captured.err


def test_second_run_needs_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["migrate", "--emulator", "--quiet", str(ERRORS_CATALOGUE)]
    main([*arguments, *output_options(tmp_path)])
    capsys.readouterr()

    status = main([*arguments, *output_options(tmp_path)])

    assert status == 2
    assert "--resume" in capsys.readouterr().err


async def test_tenant_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Emulator() as emulator:
        monkeypatch.setenv("QLIK_TENANT_URL", emulator.base_url)
        monkeypatch.setenv("QLIK_API_KEY", emulator.api_key)
        # main() runs its own event loop, so it needs a thread of its own.
        status = await asyncio.to_thread(
            main, ["-vv", "migrate", str(ERRORS_CATALOGUE), *output_options(tmp_path)]
        )
        products = emulator.state.snapshot()
    captured = capsys.readouterr()
    written = [path.read_text(encoding="utf-8") for path in tmp_path.rglob("*") if path.is_file()]

    assert status == 1
    assert len(products) == 5
    assert emulator.api_key not in captured.out
    assert emulator.api_key not in captured.err
    assert all(emulator.api_key not in text for text in written)


async def test_wrong_api_key_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with Emulator() as emulator:
        arguments = ["migrate", "--tenant-url", emulator.base_url, "--api-key", "wrong"]
        status = await asyncio.to_thread(
            main, [*arguments, str(CATALOGUE), *output_options(tmp_path)]
        )
    summary = capsys.readouterr().out
    results = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()

    assert status == 3
    assert "Migration aborted" in summary
    assert len(results) == 210


def test_module_subprocess_migrates(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "qlik_dataproducts", "migrate", "--emulator", str(CATALOGUE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    output = tmp_path / "migration-output"

    assert completed.returncode == 0, completed.stderr
    assert "Created:         210" in completed.stdout
    assert len(list((output / "docs").iterdir())) == 210
    assert len((output / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 210


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a child process")
async def test_ctrl_c_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Latency keeps the run going long enough to interrupt it part way.
    async with Emulator(latency=0.02) as emulator:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "qlik_dataproducts",
            "migrate",
            "--tenant-url",
            emulator.base_url,
            "--concurrency",
            "4",
            str(CATALOGUE),
            *output_options(tmp_path),
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT), "QLIK_API_KEY": emulator.api_key},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        journal = tmp_path / "results.jsonl.journal"
        deadline = time.monotonic() + 30
        while not journal.exists() or journal.read_text(encoding="utf-8").count('"done"') < 10:
            assert time.monotonic() < deadline, "the migration did not start"
            await asyncio.sleep(0.02)
        process.send_signal(signal.SIGINT)
        stdout, _stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        created = len(emulator.state.snapshot())
        results = [
            json.loads(line)
            for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
        ]

        resume = ["migrate", "--quiet", "--resume", "--tenant-url", emulator.base_url]
        monkeypatch.setenv("QLIK_API_KEY", emulator.api_key)
        resumed = await asyncio.to_thread(
            main, [*resume, str(CATALOGUE), *output_options(tmp_path)]
        )
        names = [product["name"] for product in emulator.state.snapshot().values()]
    done = [record for record in results if record["status"] == "done"]
    with_id = [record for record in results if "id" in record]

    assert process.returncode == 130
    assert b"rerun with --resume" in stdout
    assert len(results) == 210
    assert 10 <= len(done) < 210
    assert created == len(with_id)
    assert resumed == 0
    assert len(names) == 210
    assert len(set(names)) == 210


def test_quickstart_example_runs() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("created ")
    assert "deleted " in completed.stdout


def test_make_catalogue_reproduces_examples(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "make_catalogue.py"),
            "--output-dir",
            str(tmp_path),
        ],
        check=True,
        timeout=60,
    )

    for name in ("catalogue.jsonl", "catalogue-with-errors.jsonl"):
        assert (tmp_path / name).read_bytes() == (ROOT / "examples" / name).read_bytes(), name


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a child process")
async def test_emulator_command_serves() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qlik_dataproducts",
        "emulator",
        "--port",
        "0",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    first_line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    process.send_signal(signal.SIGINT)
    await asyncio.wait_for(process.communicate(), timeout=30)

    assert first_line.startswith(b"Emulator listening on http://127.0.0.1:")
    assert process.returncode == 0


async def test_compute_data_quality_prints_batches(capsys: pytest.CaptureFixture[str]) -> None:
    async with Emulator() as emulator:
        ids = emulator.state.seed(
            [{"name": "Sales", "datasetIds": ["ds-1", "ds-2"]}, {"name": "Stock"}]
        )
        arguments = ["--tenant-url", emulator.base_url, "--api-key", emulator.api_key, *ids]
        status = await asyncio.to_thread(main, ["compute-data-quality", *arguments])
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]

    assert status == 0
    assert [line[0] for line in lines] == ids
    assert [line[2] for line in lines] == [
        f"/api/data-governance/data-qualities/batch-computations/{line[1]}" for line in lines
    ]
    assert [line[3] for line in lines] == ["2 datasets", "0 datasets"]
