"""An event loop whose clock jumps to the next timer instead of sleeping.

Timing logic (rate limits, pauses, backoff) runs against it in milliseconds of real time.
It suits code that does no network I/O: the loop never waits for a socket.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if events or timeout is None or self.loop is None:
            return events if events or timeout == 0 else super().select(timeout)
        self.loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector loop with a virtual clock starting at 0."""

    def __init__(self) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self._now = 0.0

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, seconds)


def run_virtual(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(_call(main))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _call(main: Callable[[], Awaitable[Any]]) -> Any:
    return await main()
