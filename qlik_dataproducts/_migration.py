"""Bulk migration: create, activate and document the data products of a catalogue.

``Migration`` reads a JSON Lines catalogue (see ``_migration_catalogue``) and runs a bounded
number of worker tasks. Each task takes one line at a time through its steps: create,
activate when the line sets ``activate``, and export the documentation to a Markdown file.
Every finished step is recorded in a journal, so an interrupted run can be resumed without
creating any product twice (see ``_migration_journal``). The client's tier buckets pace
the requests, so the workers never sleep on their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import ConfigurationError, OutcomeUnknownError, QlikDataProductsError
from ._migration_catalogue import (
    CatalogueEntry,
    LineError,
    count_entries,
    fingerprint,
    parse_line,
    read_catalogue,
)
from ._migration_errors import describe_error, is_fatal
from ._migration_files import doc_file_name, write_atomically
from ._migration_journal import (
    DONE,
    FAILED,
    INTERRUPTED,
    NOT_ATTEMPTED,
    PENDING,
    Journal,
    LineState,
    journal_path,
    load_previous_state,
    write_results,
)
from ._migration_report import MigrationProgress, MigrationReport, TierUsage
from ._models import KeyContact

if TYPE_CHECKING:
    from ._client import DataProductsClient

__all__ = ["Migration", "MigrationProgress", "MigrationReport", "TierUsage", "migrate"]

logger = logging.getLogger(__name__)

DEFAULT_DOCS_DIR = Path("migration-output/docs")
DEFAULT_RESULTS = Path("migration-output/results.jsonl")
DEFAULT_CONCURRENCY = 32

ProgressCallback = Callable[[MigrationProgress], None]


class _Fatal(Exception):
    """Raised inside a worker when an error means no other line can succeed either."""


class Migration:
    """One run of the migration of a catalogue into a tenant.

    Call ``run()`` once. ``stop()`` makes the run finish early: no new line or step
    starts, the steps in flight complete, and the journal and results are written.
    """

    def __init__(
        self,
        client: DataProductsClient,
        catalogue: Path,
        *,
        docs_dir: Path = DEFAULT_DOCS_DIR,
        results: Path = DEFAULT_RESULTS,
        concurrency: int = DEFAULT_CONCURRENCY,
        resume: bool = False,
        retry_unknown: bool = False,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
        self._client = client
        self.catalogue = catalogue
        self.docs_dir = docs_dir
        self.results = results
        self.journal_path = journal_path(results)
        self._concurrency = concurrency
        self._resume = resume
        self._retry_unknown = retry_unknown
        self._overwrite = overwrite
        self._on_progress = on_progress

        self._states: dict[int, LineState] = {}
        self._journal: Journal | None = None
        self._total = 0
        self._finished = 0
        self._failed = 0
        self._created = 0
        self._activated = 0
        self._documented = 0
        self._previously_done = 0
        self._warnings: list[str] = []
        self._fatal: str | None = None
        self._stopped = False
        self._started = 0.0

    def stop(self) -> None:
        """Finish the steps in flight, start no new ones, then write the results."""
        if not self._stopped:
            logger.info("stop requested; finishing the steps in flight")
        self._stopped = True

    def progress(self) -> MigrationProgress:
        """Return the counters of the run so far."""
        tiers = self._tier_usage()
        return MigrationProgress(
            total=self._total,
            finished=self._finished,
            created=self._created,
            activated=self._activated,
            documented=self._documented,
            failed=self._failed,
            previously_done=self._previously_done,
            rate_limited=sum(tier.rate_limited for tier in tiers),
            paused_seconds=sum(tier.paused_seconds for tier in tiers),
            elapsed=time.monotonic() - self._started if self._started else 0.0,
            stopping=self._stopped or self._fatal is not None,
        )

    async def run(self) -> MigrationReport:
        """Migrate every line of the catalogue and write the results file.

        Raises:
            ConfigurationError: the catalogue is missing, or earlier output exists and
                ``resume`` is false. Nothing was sent.
        """
        self._started = time.monotonic()
        self._check_paths()
        previous = load_previous_state(self.results) if self._resume else {}
        self._total = await asyncio.to_thread(count_entries, self.catalogue)
        lines = read_catalogue(self.catalogue)

        journal = Journal(self.journal_path)
        self._journal = journal
        try:
            journal.start_run(self.catalogue, resume=self._resume)
            await self._run_workers(lines, previous)
        finally:
            self._finish(lines, previous)
            write_results(self.results, self._states.values())
            journal.close()
            self._journal = None
        return self.report()

    async def _run_workers(
        self, lines: Iterator[tuple[int, bytes]], previous: dict[int, LineState]
    ) -> None:
        queue: asyncio.Queue[tuple[CatalogueEntry, LineState] | None] = asyncio.Queue(
            maxsize=self._concurrency
        )
        workers = [asyncio.create_task(self._work(queue)) for _ in range(self._concurrency)]
        try:
            await self._dispatch(queue, lines, previous)
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _dispatch(
        self,
        queue: asyncio.Queue[tuple[CatalogueEntry, LineState] | None],
        lines: Iterator[tuple[int, bytes]],
        previous: dict[int, LineState],
    ) -> None:
        for number, raw in lines:
            state = _take_state(previous, number)
            self._states[number] = state
            if self._should_stop():
                self._mark_unfinished(state)
                self._line_finished(state)
                continue

            if state.status == DONE:
                self._previously_done += 1
                if state.fingerprint is not None and state.fingerprint != fingerprint(raw):
                    self._warn(
                        f"line {number} changed since it was migrated to {state.product_id}; "
                        "it was not migrated again"
                    )
                self._line_finished(state)
                continue

            try:
                entry = parse_line(number, raw)
            except LineError as exc:
                self._fail(state, "parse", exc.reason, {"type": "LineError", "message": exc.detail})
                self._line_finished(state)
                continue
            if state.product_id is not None and state.fingerprint not in (None, entry.fingerprint):
                self._warn(
                    f"line {number} changed since it was created as {state.product_id}; "
                    "the remaining steps use the new line"
                )
            await queue.put((entry, state))

    async def _work(self, queue: asyncio.Queue[tuple[CatalogueEntry, LineState] | None]) -> None:
        while (item := await queue.get()) is not None:
            entry, state = item
            try:
                await self._migrate_line(entry, state)
            except _Fatal:
                pass
            self._line_finished(state)

    async def _migrate_line(self, entry: CatalogueEntry, state: LineState) -> None:
        if state.product_id is None:
            if self._should_stop():
                self._mark_unfinished(state)
                return
            if state.create_outcome_unknown and not self._retry_unknown:
                self._fail_unknown_from_previous_run(entry, state)
                return
            await self._create(entry, state)
            if state.product_id is None:
                return

        if entry.activate and not state.activated:
            if self._should_stop():
                self._mark_unfinished(state)
                return
            if not await self._activate(entry, state):
                return

        if _needs_docs(state):
            if self._should_stop():
                self._mark_unfinished(state)
                return
            if not await self._document(state):
                return

        state.clear_failure()
        state.status = DONE
        self._record(state, DONE)

    async def _create(self, entry: CatalogueEntry, state: LineState) -> None:
        state.clear_failure()
        state.fingerprint = entry.fingerprint
        state.create_started = True
        self._record(state, "creating", fingerprint=entry.fingerprint)
        arguments = dict(entry.create_arguments)
        if entry.key_contacts is not None:
            arguments["key_contacts"] = [
                KeyContact(user_id=user_id, role=role) for user_id, role in entry.key_contacts
            ]
        try:
            product = await self._client.create(**arguments)
        except Exception as exc:
            self._fail_step(state, "create", exc)
            return
        state.product_id = product.id
        state.name = product.name
        self._created += 1
        self._record(state, "created", id=product.id, name=product.name)

    async def _activate(self, entry: CatalogueEntry, state: LineState) -> bool:
        assert state.product_id is not None
        arguments: dict[str, Any] = {"name": entry.name}
        for key in ("tags", "description"):
            if key in entry.create_arguments:
                arguments[key] = entry.create_arguments[key]
        if entry.target_space_id is not None:
            arguments["space_id"] = entry.target_space_id
        try:
            await self._client.activate(state.product_id, **arguments)
        except Exception as exc:
            self._fail_step(state, "activate", exc)
            return False
        state.activated = True
        self._activated += 1
        self._record(state, "activated")
        return True

    async def _document(self, state: LineState) -> bool:
        assert state.product_id is not None
        try:
            markdown = await self._client.export_documentation(state.product_id)
        except Exception as exc:
            self._fail_step(state, "export", exc)
            return False
        path = self.docs_dir / doc_file_name(state.line, state.name or "", state.product_id)
        try:
            await asyncio.to_thread(write_atomically, path, markdown)
        except OSError as exc:
            reason = "cannot write documentation file"
            self._fail(state, "export", reason, {"type": type(exc).__name__, "message": str(exc)})
            return False
        state.docs = str(path)
        self._documented += 1
        self._record(state, "documented", docs=state.docs)
        return True

    def _fail_step(self, state: LineState, step: str, exc: Exception) -> None:
        """Record a failed step, and stop the whole run when the error is fatal."""
        reason, error = describe_error(exc)
        if isinstance(exc, OutcomeUnknownError):
            state.outcome_unknown = True
        if not isinstance(exc, QlikDataProductsError):
            logger.error("line %d: unexpected error in %s", state.line, step, exc_info=exc)
        self._fail(state, step, reason, error)
        if is_fatal(exc, step):
            if self._fatal is None:
                self._fatal = f"{reason}: {exc}"
                logger.error("stopping the migration after line %d: %s", state.line, exc)
            raise _Fatal from exc

    def _fail_unknown_from_previous_run(self, entry: CatalogueEntry, state: LineState) -> None:
        space = entry.create_arguments.get("space_id")
        where = f" in space {space}" if space else ""
        self._fail(
            state,
            "create",
            "create outcome unknown",
            {
                "type": "OutcomeUnknownError",
                "message": (
                    "an earlier run sent the create request but recorded no result, so the "
                    f"tenant may already hold a data product named {entry.name!r}{where}. "
                    "Check the tenant, then rerun with --retry-unknown to create it again."
                ),
            },
            outcome_unknown=True,
        )

    def _fail(
        self,
        state: LineState,
        step: str,
        reason: str,
        error: dict[str, Any],
        *,
        outcome_unknown: bool = False,
    ) -> None:
        state.status = FAILED
        state.step = step
        state.reason = reason
        state.error = error
        state.outcome_unknown = state.outcome_unknown or outcome_unknown
        logger.info("line %d failed at %s: %s", state.line, step, error.get("message", reason))
        self._record(
            state,
            FAILED,
            step=step,
            reason=reason,
            error=error,
            outcome_unknown=state.outcome_unknown,
        )

    def _mark_unfinished(self, state: LineState) -> None:
        """Mark a line the run stopped before reaching or finishing."""
        if state.status == DONE:
            return
        state.status = INTERRUPTED if state.product_id is not None else NOT_ATTEMPTED
        state.reason = "job aborted" if self._fatal is not None else "job stopped"

    def _finish(self, lines: Iterator[tuple[int, bytes]], previous: dict[int, LineState]) -> None:
        """Give every catalogue line a final status, including lines never read."""
        for state in self._states.values():
            if state.status == PENDING:
                self._mark_unfinished(state)
        for number, _raw in lines:
            state = _take_state(previous, number)
            self._states[number] = state
            if state.status == DONE:
                self._previously_done += 1
            else:
                self._mark_unfinished(state)
        for number, state in sorted(previous.items()):
            if state.product_id is not None:
                self._warn(
                    f"line {number} of an earlier run is no longer in the catalogue; "
                    f"its data product {state.product_id} is not listed in the results"
                )

    def _should_stop(self) -> bool:
        return self._stopped or self._fatal is not None

    def _record(self, state: LineState, event: str, **fields: Any) -> None:
        if self._journal is not None:
            self._journal.record(state.line, event, **fields)

    def _warn(self, message: str) -> None:
        logger.warning("%s", message)
        self._warnings.append(message)

    def _line_finished(self, state: LineState) -> None:
        """Count a line that needs no more work in this run, and report the progress."""
        self._finished += 1
        if state.status == FAILED:
            self._failed += 1
        if self._on_progress is not None:
            self._on_progress(self.progress())

    def _check_paths(self) -> None:
        if not self.catalogue.is_file():
            raise ConfigurationError(f"catalogue not found: {self.catalogue}")
        if self._overwrite and not self._resume:
            self._remove_earlier_output()
        if not self._resume:
            for path in (self.results, self.journal_path):
                if path.exists():
                    raise ConfigurationError(
                        f"{path} exists from an earlier run; pass --resume to continue that "
                        "run, --overwrite to replace it, or choose another --results path"
                    )
        try:
            self.docs_dir.mkdir(parents=True, exist_ok=True)
            self.results.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"cannot create the output folders: {exc}") from exc

    def _remove_earlier_output(self) -> None:
        # Only the files the earlier run wrote go: its results, its journal and the
        # documentation files its results name. Anything else in the folders stays.
        earlier_docs: list[Path] = []
        if self.results.is_file():
            for line in self.results.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                docs = record.get("docs") if isinstance(record, dict) else None
                if isinstance(docs, str):
                    earlier_docs.append(Path(docs))
        try:
            for path in (*earlier_docs, self.results, self.journal_path):
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"cannot remove the earlier output: {exc}") from exc

    def _tier_usage(self) -> list[TierUsage]:
        return [
            TierUsage(
                name=name,
                requests=stats.requests,
                rate_limited=stats.rate_limited,
                retries=stats.retries,
                paused_seconds=stats.paused_seconds,
                waited_seconds=stats.waited_seconds,
            )
            for name, stats in sorted(self._client.stats.tiers.items())
        ]

    def report(self) -> MigrationReport:
        """Return the report of the run, final once ``run()`` has returned or was cancelled."""
        states = [self._states[number] for number in sorted(self._states)]
        return MigrationReport(
            catalogue=self.catalogue,
            results=self.results,
            docs_dir=self.docs_dir,
            lines=tuple(states),
            created=self._created,
            activated=self._activated,
            documented=self._documented,
            previously_done=self._previously_done,
            fatal_error=self._fatal,
            stopped=self._stopped,
            elapsed=time.monotonic() - self._started,
            tiers=tuple(self._tier_usage()),
            warnings=tuple(self._warnings),
        )


async def migrate(client: DataProductsClient, catalogue: Path, **options: Any) -> MigrationReport:
    """Migrate a catalogue with ``client``; ``options`` are those of ``Migration``."""
    return await Migration(client, catalogue, **options).run()


def _take_state(previous: dict[int, LineState], number: int) -> LineState:
    """Return the earlier run's state of a line, or a fresh one."""
    if number in previous:
        return previous.pop(number)
    return LineState(line=number)


def _needs_docs(state: LineState) -> bool:
    return state.docs is None or not Path(state.docs).is_file()
