"""Plain-text progress of a migration, written to a stream such as stderr."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from ._migration_report import MigrationProgress

__all__ = ["ProgressPrinter"]

# A terminal status line is redrawn at most this often, to keep the output cheap.
_REDRAW_SECONDS = 0.1
# Without a terminal, a line is printed each time another 10% of the lines finish, or
# after this many seconds without a line.
_LOG_EVERY_FRACTION = 0.1
_LOG_EVERY_SECONDS = 5.0


class ProgressPrinter:
    """Print migration progress: a redrawn status line on a terminal, otherwise log lines."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interactive: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._interactive = stream.isatty() if interactive is None else interactive
        self._clock = clock
        self._last_print = -float("inf")
        self._last_fraction = -1.0
        self._width = 0
        self._last_text = ""

    def update(self, progress: MigrationProgress, *, force: bool = False) -> None:
        """Print the progress if enough time or work has passed since the last print."""
        now = self._clock()
        if self._interactive:
            if force or now - self._last_print >= _REDRAW_SECONDS:
                self._redraw(format_progress(progress))
                self._last_print = now
            return

        fraction = progress.finished / progress.total if progress.total else 1.0
        step_reached = fraction >= self._last_fraction + _LOG_EVERY_FRACTION
        finished = progress.finished == progress.total and self._last_fraction < 1.0
        if force or step_reached or finished or now - self._last_print >= _LOG_EVERY_SECONDS:
            text = format_progress(progress)
            if text != self._last_text:
                self._stream.write(text + "\n")
                self._stream.flush()
                self._last_text = text
            self._last_print = now
            if step_reached or finished:
                self._last_fraction = fraction

    def close(self) -> None:
        """End the status line so that later output starts on a new line."""
        if self._interactive and self._width:
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0

    def _redraw(self, text: str) -> None:
        padding = " " * max(0, self._width - len(text))
        self._stream.write("\r" + text + padding)
        self._stream.flush()
        self._width = len(text)


def format_progress(progress: MigrationProgress) -> str:
    """Return one status line for a running migration."""
    width = len(str(progress.total))
    percent = 100 * progress.finished // progress.total if progress.total else 100
    parts = [
        f"[{progress.finished:>{width}}/{progress.total}] {percent:3d}%",
        f"created {progress.created}",
        f"activated {progress.activated}",
        f"documented {progress.documented}",
        f"failed {progress.failed}",
    ]
    if progress.previously_done:
        parts.append(f"done earlier {progress.previously_done}")
    if progress.rate_limited:
        parts.append(f"429s {progress.rate_limited} ({progress.paused_seconds:.0f} s paused)")
    parts.append(f"{progress.elapsed:.0f} s")
    if progress.stopping:
        parts.append("stopping")
    return "  ".join(parts)
