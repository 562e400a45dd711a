"""A virtual clock for a running asyncio loop: sleeps, pauses and timeouts end at once.

Rate-limit tests wait minutes for buckets to refill. With the clock installed, the loop's
`time()` advances only when the loop would otherwise sleep: whenever no callback is ready and
no socket has I/O ready, the clock jumps to the next timer instead of waiting for it. The
client's tier buckets, its retries and timeouts, and an emulator whose clock is the loop's
time then see minutes pass in milliseconds of real time.

The jump suits an emulator and a client on the same loop that talk over loopback sockets.
Data written to a loopback socket is normally ready at the other end when the write returns,
so a request in flight shows up as ready I/O and holds the clock back. A short real wait
before each jump covers a delivery the kernel defers.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from types import TracebackType

__all__ = ["VirtualClock"]

# Real seconds the selector waits for I/O before each jump, in case the kernel completes a
# loopback delivery a moment after the write returned.
DEFAULT_GRACE = 0.001

_Events = list[tuple[selectors.SelectorKey, int]]


class VirtualClock:
    """Make one selector event loop jump to its next timer whenever nothing else is ready.

    Install it on a running loop, for example in an async fixture, and uninstall it before
    the loop is used for other work:

        with VirtualClock(asyncio.get_running_loop()) as clock:
            await asyncio.sleep(3600)  # returns at once
            assert clock.jumped >= 3600

    The virtual time starts at the loop's time at installation. After `uninstall()` the
    loop's time runs in real time again, offset by the seconds jumped, so that it never goes
    backwards for timers already scheduled.

    NOTE: the clock cannot see work in other threads or processes. A loop waiting on a thread
    (`run_in_executor`, a host-name lookup) or on a server outside the loop jumps past its
    timeouts. Use IP addresses such as 127.0.0.1, and serve the emulator on the same loop.

    Args:
        loop: the loop to control, an `asyncio.SelectorEventLoop`.
        grace: real seconds to wait for I/O before each jump.

    Raises:
        TypeError: the loop has no selector, as with uvloop or the Windows proactor loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, *, grace: float = DEFAULT_GRACE) -> None:
        selector = getattr(loop, "_selector", None)
        if not isinstance(loop, asyncio.SelectorEventLoop) or selector is None:
            raise TypeError(
                f"a virtual clock needs an asyncio.SelectorEventLoop, got {type(loop).__name__}. "
                "Run the test on asyncio's default loop on Linux or macOS."
            )
        if grace < 0:
            raise ValueError(f"grace must not be negative, got {grace}")
        self.loop = loop
        self.grace = grace
        self._selector: selectors.BaseSelector = selector
        self._now = 0.0
        self._jumped = 0.0
        self._installed = False

    def __repr__(self) -> str:
        state = "installed" if self._installed else "not installed"
        return f"<VirtualClock {state} jumped={self._jumped:.3f}s>"

    @property
    def installed(self) -> bool:
        """Whether the loop runs on this clock now."""
        return self._installed

    @property
    def jumped(self) -> float:
        """Seconds the clock has moved ahead of real time, by jumps and `advance()` calls."""
        return self._jumped

    def time(self) -> float:
        """Return the virtual time, the value of the loop's `time()` while installed."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward. Timers that fall due run on the loop's next iteration."""
        if seconds < 0:
            raise ValueError(f"a clock cannot move back, got {seconds} seconds")
        self._now += seconds
        self._jumped += seconds

    def install(self) -> VirtualClock:
        """Switch the loop to this clock, starting from the loop's current time."""
        if self._installed:
            raise RuntimeError("the virtual clock is already installed")
        if "select" in vars(self._selector):
            raise RuntimeError("another virtual clock is installed on this loop")
        self._now = self.loop.time()
        # Instance attributes shadow the class methods that the loop calls on each iteration.
        vars(self.loop)["time"] = self.time
        vars(self._selector)["select"] = self._select
        self._installed = True
        return self

    def uninstall(self) -> None:
        """Return the loop to real time, offset so that its time keeps increasing."""
        if not self._installed:
            return
        del vars(self._selector)["select"]
        offset = self._now - time.monotonic()
        if offset > 0:
            vars(self.loop)["time"] = lambda: time.monotonic() + offset
        else:
            vars(self.loop).pop("time", None)
        self._installed = False

    def _select(self, timeout: float | None = None) -> _Events:
        selector_class = type(self._selector)
        events: _Events = selector_class.select(self._selector, 0)
        if events or timeout == 0:
            return events
        if timeout is None:
            # No timer is scheduled, so only I/O can wake the loop: wait for it.
            return selector_class.select(self._selector, None)
        if self.grace:
            events = selector_class.select(self._selector, min(timeout, self.grace))
            if events:
                return events
        self.advance(timeout)
        return []

    def __enter__(self) -> VirtualClock:
        return self.install()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.uninstall()
