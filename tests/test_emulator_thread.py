"""Tests of `EmulatorThread`: an emulator serving blocking callers from a background thread."""

from __future__ import annotations

import threading

import pytest
import requests

from qlik_dataproducts.emulator import Emulator, EmulatorThread

BASE = "/api/data-governance/data-products"


def test_thread_serves_blocking_requests() -> None:
    with EmulatorThread(Emulator()) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        created = requests.post(
            emulator.base_url + BASE, json={"name": "Sales"}, headers=headers, timeout=5
        )
        product_id = created.json()["id"]
        fetched = requests.get(
            f"{emulator.base_url}{BASE}/{product_id}", headers=headers, timeout=5
        )

    assert created.status_code == 201
    assert fetched.json()["name"] == "Sales"
    assert [request.operation for request in emulator.requests] == ["create", "get"]


def test_thread_call_runs_on_emulator_thread() -> None:
    thread = EmulatorThread(Emulator())
    with thread as emulator:
        ids = thread.call(lambda: emulator.state.seed([{"name": "Seeded"}]))
        caller = thread.call(threading.current_thread)

    assert len(ids) == 1
    assert caller.name == "qlik-dataproducts-emulator"
    assert caller is not threading.current_thread()


def test_thread_stops_serving() -> None:
    with EmulatorThread(Emulator()) as emulator:
        url = emulator.base_url + BASE

    with pytest.raises(requests.ConnectionError):
        requests.post(url, json={"name": "Sales"}, timeout=5)


def test_thread_start_twice_rejected() -> None:
    thread = EmulatorThread(Emulator())
    with thread, pytest.raises(RuntimeError, match="already started"):
        thread.start()


def test_thread_call_before_start_rejected() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        EmulatorThread(Emulator()).call(lambda: None)


def test_thread_stop_before_start_is_noop() -> None:
    EmulatorThread(Emulator()).stop()


def test_thread_start_failure_stops_loop() -> None:
    with EmulatorThread(Emulator()) as first:
        port_in_use = EmulatorThread(Emulator(port=first.port))
        with pytest.raises(OSError):
            port_in_use.start()

    assert "stopped" in repr(port_in_use)
