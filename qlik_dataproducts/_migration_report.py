"""Counters and the final report of a migration run, and their plain-text summary."""

from __future__ import annotations

from pathlib import Path

import attrs

from ._migration_journal import DONE, FAILED, INTERRUPTED, NOT_ATTEMPTED, LineState

__all__ = [
    "EXIT_ABORTED",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "MigrationProgress",
    "MigrationReport",
    "TierUsage",
    "format_summary",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ABORTED = 3
EXIT_INTERRUPTED = 130

# Maximum number of line numbers printed per failure reason. The results file lists them all.
_MAX_LINES_SHOWN = 20


@attrs.frozen
class TierUsage:
    """Request counters of one rate-limit tier, copied from the client's statistics."""

    name: str
    requests: int
    rate_limited: int
    retries: int
    paused_seconds: float
    waited_seconds: float


@attrs.frozen
class MigrationProgress:
    """Counters of a running migration, passed to the progress callback."""

    total: int
    finished: int
    created: int
    activated: int
    documented: int
    failed: int
    previously_done: int
    rate_limited: int
    paused_seconds: float
    elapsed: float
    stopping: bool


@attrs.frozen
class MigrationReport:
    """Outcome of a migration run.

    ``created``, ``activated`` and ``documented`` count the steps of this run only. Lines
    finished by an earlier run are counted in ``previously_done``.
    """

    catalogue: Path
    results: Path
    docs_dir: Path
    lines: tuple[LineState, ...]
    created: int
    activated: int
    documented: int
    previously_done: int
    fatal_error: str | None
    stopped: bool
    elapsed: float
    tiers: tuple[TierUsage, ...]
    warnings: tuple[str, ...]

    @property
    def failed(self) -> list[LineState]:
        """Lines that failed at some step."""
        return [state for state in self.lines if state.status == FAILED]

    @property
    def unfinished(self) -> list[LineState]:
        """Lines not attempted or interrupted between steps, because the run ended early."""
        return [state for state in self.lines if state.status in (NOT_ATTEMPTED, INTERRUPTED)]

    @property
    def succeeded(self) -> bool:
        """Whether every line is done."""
        return all(state.status == DONE for state in self.lines)

    @property
    def exit_status(self) -> int:
        """Process exit status: 0 all done, 1 some lines failed, 3 aborted, 130 stopped."""
        if self.stopped:
            return EXIT_INTERRUPTED
        if self.fatal_error is not None:
            return EXIT_ABORTED
        return EXIT_OK if self.succeeded else EXIT_FAILED

    def failures_by_reason(self) -> dict[str, list[int]]:
        """Return the failed line numbers grouped by reason, in order of first appearance."""
        groups: dict[str, list[int]] = {}
        for state in self.failed:
            groups.setdefault(state.reason or "unknown error", []).append(state.line)
        return groups


def format_summary(report: MigrationReport) -> str:
    """Return the multi-line plain-text summary printed at the end of a run."""
    lines: list[str] = []
    if report.stopped:
        lines.append("Migration stopped before the end; rerun with --resume to continue.")
    elif report.fatal_error is not None:
        lines.append(f"Migration aborted: {report.fatal_error}")
        lines.append("Fix the cause, then rerun with --resume to continue.")
    lines.append(f"Catalogue:       {report.catalogue} ({len(report.lines)} lines)")
    if report.previously_done:
        lines.append(f"Done earlier:    {report.previously_done}")
    lines.append(f"Created:         {report.created}")
    lines.append(f"Activated:       {report.activated}")
    lines.append(f"Documented:      {report.documented}")

    failed = report.failed
    lines.append(f"Failed:          {len(failed)}")
    for reason, numbers in report.failures_by_reason().items():
        lines.append(f"  {reason} ({len(numbers)}): {_line_list(numbers)}")
        example = _failure_detail(report, numbers[0], reason)
        if example:
            lines.append(f"    line {numbers[0]}: {example}")
    if failed:
        lines.append(f"  Every failed line's full error is in {report.results}.")
    unfinished = report.unfinished
    if unfinished:
        numbers = [state.line for state in unfinished]
        lines.append(f"Not finished:    {len(unfinished)}: {_line_list(numbers)}")

    rate_limited = sum(tier.rate_limited for tier in report.tiers)
    paused = sum(tier.paused_seconds for tier in report.tiers)
    lines.append(
        f"Rate limits:     {rate_limited} responses with status 429, {paused:.1f} s paused"
    )
    for tier in report.tiers:
        if tier.requests or tier.rate_limited:
            lines.append(
                f"  {tier.name}: {tier.requests} requests, {tier.rate_limited} with status 429, "
                f"{tier.retries} retries, {tier.paused_seconds:.1f} s paused, "
                f"{tier.waited_seconds:.1f} s queued"
            )
    lines.append(f"Elapsed:         {report.elapsed:.1f} s")
    lines.append(f"Results:         {report.results}")
    lines.append(f"Documentation:   {report.docs_dir}")
    for warning in report.warnings:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)


def _failure_detail(report: MigrationReport, line: int, reason: str) -> str | None:
    """Return the part of ``line``'s error that its group's reason leaves out, if any."""
    state = next((state for state in report.failed if state.line == line), None)
    if state is None or not state.error:
        return None
    # An API error's detail names the conflicting value; other errors carry it in the message.
    detail = state.error.get("detail") or state.error.get("message")
    if not isinstance(detail, str) or not detail or detail in reason:
        return None
    rule = state.error.get("rule")
    if isinstance(rule, str) and detail.endswith(f": {rule}"):
        # A validation message repeats the rule of the reason; keep the value it names.
        detail = detail.removesuffix(f": {rule}")
    return detail if len(detail) <= 160 else detail[:157] + "..."


def _line_list(numbers: list[int]) -> str:
    word = "line" if len(numbers) == 1 else "lines"
    shown = ", ".join(str(number) for number in numbers[:_MAX_LINES_SHOWN])
    if len(numbers) > _MAX_LINES_SHOWN:
        shown += f" and {len(numbers) - _MAX_LINES_SHOWN} more"
    return f"{word} {shown}"
