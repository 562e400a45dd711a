"""Per-line state of a migration, its append-only journal and its results file.

The journal (``<results>.journal``) gets one JSON object per finished step, flushed as
soon as the step ends, so a crash loses at most the steps still in flight::

    {"event": "run", "catalogue": "...", "resume": false, "started_at": "..."}
    {"line": 3, "event": "creating", "fingerprint": "..."}
    {"line": 3, "event": "created", "id": "...", "name": "..."}
    {"line": 3, "event": "activated"}
    {"line": 3, "event": "documented", "docs": "migration-output/docs/3-sales-....md"}
    {"line": 3, "event": "done"}
    {"line": 4, "event": "failed", "step": "create", "reason": "...", "error": {...}}

A ``creating`` event without a later ``created`` or ``failed`` event means the create
request was in flight when the run stopped, so the server may or may not hold the product.

The results file has one object per non-blank catalogue line, in catalogue order (see
``LineState.to_result``). Neither file ever contains the API key: only catalogue data,
product ids and error messages, which name URLs without credentials.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import attrs

from ._migration_files import write_atomically

__all__ = ["Journal", "LineState", "journal_path", "load_previous_state", "write_results"]

logger = logging.getLogger(__name__)

DONE = "done"
FAILED = "failed"
INTERRUPTED = "interrupted"
NOT_ATTEMPTED = "not_attempted"
PENDING = "pending"


@attrs.define
class LineState:
    """Progress of the migration for one catalogue line."""

    line: int
    fingerprint: str | None = None
    status: str = PENDING
    product_id: str | None = None
    name: str | None = None
    create_started: bool = False
    activated: bool = False
    docs: str | None = None
    step: str | None = None
    reason: str | None = None
    error: dict[str, Any] | None = None
    outcome_unknown: bool = False

    @property
    def create_outcome_unknown(self) -> bool:
        """Whether a create request may have reached the server without a recorded result."""
        if self.product_id is not None or not self.create_started:
            return False
        return self.outcome_unknown or self.status != FAILED

    def clear_failure(self) -> None:
        """Forget the previous failure before a new attempt."""
        self.status = PENDING
        self.step = None
        self.reason = None
        self.error = None
        self.outcome_unknown = False

    def apply(self, event: Mapping[str, Any]) -> None:
        """Update the state with one journal event."""
        kind = event.get("event")
        if kind == "creating":
            self.clear_failure()
            self.create_started = True
            self.fingerprint = event.get("fingerprint", self.fingerprint)
        elif kind == "created":
            self.product_id = event.get("id")
            self.name = event.get("name")
        elif kind == "activated":
            self.activated = True
        elif kind == "documented":
            self.docs = event.get("docs")
        elif kind == DONE:
            self.clear_failure()
            self.status = DONE
        elif kind == FAILED:
            self.status = FAILED
            self.step = event.get("step")
            self.reason = event.get("reason")
            self.error = event.get("error")
            self.outcome_unknown = bool(event.get("outcome_unknown", False))

    def to_result(self) -> dict[str, Any]:
        """Return the line's record for the results file."""
        record: dict[str, Any] = {"line": self.line, "status": self.status}
        if self.product_id is not None:
            record["id"] = self.product_id
        if self.name is not None:
            record["name"] = self.name
        if self.product_id is not None:
            record["activated"] = self.activated
        if self.docs is not None:
            record["docs"] = self.docs
        if self.status != DONE:
            if self.step is not None:
                record["step"] = self.step
            if self.reason is not None:
                record["reason"] = self.reason
            if self.error is not None:
                record["error"] = self.error
            if self.outcome_unknown:
                record["outcome_unknown"] = True
        if self.fingerprint is not None:
            record["fingerprint"] = self.fingerprint
        return record

    @classmethod
    def from_result(cls, record: Mapping[str, Any]) -> LineState:
        """Rebuild a state from a results file record."""
        state = cls(line=int(record["line"]), fingerprint=record.get("fingerprint"))
        state.status = str(record.get("status", PENDING))
        state.product_id = record.get("id")
        state.name = record.get("name")
        state.create_started = state.product_id is not None or bool(
            record.get("outcome_unknown", False)
        )
        state.activated = bool(record.get("activated", False))
        state.docs = record.get("docs")
        state.step = record.get("step")
        state.reason = record.get("reason")
        state.error = record.get("error")
        state.outcome_unknown = bool(record.get("outcome_unknown", False))
        return state


def journal_path(results: Path) -> Path:
    """Return the journal path that belongs to a results file."""
    return results.with_name(results.name + ".journal")


class Journal:
    """Append-only journal file, flushed after every event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        cut_short = _ends_without_newline(path)
        self._stream: IO[str] | None = path.open("a", encoding="utf-8", newline="\n")
        if cut_short:
            # A crash cut the last line short: start on a fresh line so the next event
            # stays readable.
            self._stream.write("\n")

    def start_run(self, catalogue: Path, *, resume: bool) -> None:
        """Record the start of a run."""
        started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._write(
            {
                "event": "run",
                "catalogue": str(catalogue),
                "resume": resume,
                "started_at": started_at,
            }
        )

    def record(self, line: int, event: str, **fields: Any) -> None:
        """Append one event of a catalogue line."""
        self._write({"line": line, "event": event, **fields})

    def _write(self, event: Mapping[str, Any]) -> None:
        if self._stream is None:
            raise RuntimeError(f"journal {self.path} is closed")
        self._stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        # Flushing hands the line to the operating system, which keeps it if the process
        # dies. Only close() calls fsync, so a power loss may still drop the last lines.
        self._stream.flush()

    def close(self) -> None:
        """Flush the journal to disk and close it."""
        if self._stream is None:
            return
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        self._stream = None


def load_previous_state(results: Path) -> dict[int, LineState]:
    """Load the line states recorded by earlier runs in the results file and the journal.

    The results file is read first. Journal events come after it because the journal is
    appended to across runs and contains every step, including those of a run that crashed
    before writing its results.
    """
    states: dict[int, LineState] = {}
    if results.exists():
        for number, record in _read_json_lines(results):
            try:
                state = LineState.from_result(record)
            except (KeyError, TypeError, ValueError):
                logger.warning("ignoring invalid record on line %d of %s", number, results)
                continue
            states[state.line] = state
    journal = journal_path(results)
    if journal.exists():
        for number, event in _read_json_lines(journal):
            line = event.get("line")
            if not isinstance(line, int):
                if event.get("event") != "run":
                    logger.warning("ignoring invalid event on line %d of %s", number, journal)
                continue
            states.setdefault(line, LineState(line=line)).apply(event)
    return states


def write_results(path: Path, states: Iterable[LineState]) -> None:
    """Write the results file atomically, one record per line in catalogue order."""
    ordered = sorted(states, key=lambda state: state.line)
    text = "".join(json.dumps(state.to_result(), ensure_ascii=False) + "\n" for state in ordered)
    write_atomically(path, text)


def _read_json_lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8", errors="replace") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                # A crash can cut the last journal line short. The lines before it stay valid.
                logger.warning("ignoring unreadable line %d of %s", number, path)
                continue
            if isinstance(value, dict):
                yield number, value


def _ends_without_newline(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            if stream.tell() == 0:
                return False
            stream.seek(-1, os.SEEK_END)
            return stream.read(1) != b"\n"
    except FileNotFoundError:
        return False
