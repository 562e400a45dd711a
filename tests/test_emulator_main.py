"""Tests of the standalone emulator started with `python -m qlik_dataproducts.emulator`."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import aiohttp

BASE = "/api/data-governance/data-products"


async def start_server(*arguments: str) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """Start the module on a free port and return it with its printed details."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qlik_dataproducts.emulator",
        "--port",
        "0",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    details: dict[str, str] = {}
    while "OAuth client secret" not in details:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        if not line:
            break
        label, _, value = line.decode().strip().partition(": ")
        if label.startswith("Emulator listening on "):
            details["url"] = label.removeprefix("Emulator listening on ")
        else:
            details[label] = value
    return process, details


async def stop_server(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), timeout=20)


async def test_module_serves_and_stops() -> None:
    process, details = await start_server("--api-key", "test-key")
    try:
        headers = {"Authorization": "Bearer test-key"}
        async with aiohttp.ClientSession(details["url"], headers=headers) as session:
            async with session.post(BASE, json={"name": "Sales"}) as response:
                status = response.status
    finally:
        return_code = await stop_server(process)

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", details["url"])
    assert details["API key"] == "test-key"
    assert status == 201
    assert return_code == 0


async def test_module_loads_seed_file(tmp_path: Path) -> None:
    seed_file = tmp_path / "emulator_products.json"
    seed_file.write_text(json.dumps([{"id": "p1", "name": "Seeded"}]), encoding="utf-8")

    process, details = await start_server("--seed-file", str(seed_file))
    try:
        headers = {"Authorization": f"Bearer {details['API key']}"}
        async with aiohttp.ClientSession(details["url"], headers=headers) as session:
            async with session.get(f"{BASE}/p1") as response:
                product = await response.json()
    finally:
        await stop_server(process)

    assert product["name"] == "Seeded"


async def test_module_rejects_remote_host() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qlik_dataproducts.emulator",
        "--host",
        "0.0.0.0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)

    assert process.returncode == 2
    assert b"--allow-remote" in stderr
