"""Serve an emulator from a background thread, for tests that make blocking HTTP calls."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from ._server import Emulator

__all__ = ["EmulatorThread"]

T = TypeVar("T")


class EmulatorThread:
    """Run one `Emulator` on an event loop of its own, in a daemon thread.

    Use it as a context manager around code without an event loop of its own, such as tests
    that call the emulator with `requests` or run a program that calls `asyncio.run`:

        with EmulatorThread(Emulator()) as emulator:
            requests.get(emulator.base_url + "/api/...", headers=...)

    Requests run on the emulator's thread. While requests may be in flight, read or change
    `emulator.state` and `emulator.faults` through `call()`. Between blocking calls that have
    returned, direct access is safe too.

    Args:
        emulator: the emulator to start, not started yet.
        timeout: seconds to wait for the emulator to start or stop.
    """

    def __init__(self, emulator: Emulator, *, timeout: float = 10.0) -> None:
        self.emulator = emulator
        self.timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        running = self._thread is not None and self._thread.is_alive()
        return f"<EmulatorThread {'running' if running else 'stopped'} {self.emulator!r}>"

    def start(self) -> Emulator:
        """Start the thread and the emulator, and return the emulator once it serves."""
        if self._thread is not None:
            raise RuntimeError("the emulator thread is already started")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=loop.run_forever, name="qlik-dataproducts-emulator", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self.emulator.start(), loop).result(self.timeout)
        except BaseException:
            self._stop_loop()
            raise
        return self.emulator

    def stop(self) -> None:
        """Close the emulator, stop its loop and wait for the thread to end."""
        if self._loop is None:
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self.emulator.close(), self._loop)
            future.result(self.timeout)
        finally:
            self._stop_loop()

    def call(self, function: Callable[[], T]) -> T:
        """Run `function` on the emulator's thread, between requests, and return its result."""
        if self._loop is None:
            raise RuntimeError("the emulator thread is not started. Call start() first.")

        async def run() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(self.timeout)

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(self.timeout)
        if not thread.is_alive():
            loop.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
