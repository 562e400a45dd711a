"""Command line of qlik-dataproducts: ``migrate`` a catalogue, or run the ``emulator``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from . import _cli_quality
from ._cli_settings import tenant_settings
from ._client import DataProductsClient
from ._config import (
    API_KEY_VARIABLE,
    OAUTH_CLIENT_ID_VARIABLE,
    OAUTH_CLIENT_SECRET_VARIABLE,
    OAUTH_SCOPE_VARIABLE,
    TENANT_URL_VARIABLE,
    ClientSettings,
)
from ._contexts import CONTEXTS_HOME_VARIABLE
from ._errors import ConfigurationError, UnsafeRequestError
from ._migration import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DOCS_DIR,
    DEFAULT_RESULTS,
    Migration,
    MigrationReport,
)
from ._migration_journal import journal_path
from ._migration_progress import ProgressPrinter
from ._migration_report import EXIT_INTERRUPTED, format_summary

__all__ = ["main"]

logger = logging.getLogger(__name__)

EXIT_USAGE = 2

_MIGRATE_DESCRIPTION = """\
Create the data products listed in a JSON Lines catalogue, activate those marked
"activate": true, and export each product's documentation to a Markdown file.

Each non-blank line is a JSON object: the create request body in camelCase (name, tags,
readMe, spaceId, datasetIds, description, glossaryIds, keyContacts,
apiConsumableDatasetIds), plus the optional "activate": true and "targetSpaceId" (the
managed space to activate into; only allowed with "activate"). Blank lines are skipped.
JSON Lines has no comments, so a line starting with # is reported as invalid.
"""

_MIGRATE_EPILOG = f"""\
output files:
  RESULTS            one JSON object per non-blank catalogue line, in catalogue order:
                     {{"line", "status" (done, failed, interrupted or not_attempted),
                     "id", "name", "activated", "docs", "fingerprint" (a hash of the
                     line, to notice edits between runs)}}, and for a line not done
                     "step", "reason" and "error". Written at the end, atomically.
  RESULTS.journal    every finished step, appended as it happens; --resume reads it.
  DOCS_DIR/<line>-<name>-<id>.md   the exported documentation of each product.
  The API key, the OAuth client secret and access tokens are never written to any
  file or printed.

exit status:
  0    every line succeeded
  1    at least one line failed (see the summary and the results file)
  2    usage or configuration error: bad option, missing catalogue, no tenant URL or
       credentials, output of an earlier run present without --resume
  3    aborted by a fatal error (authentication failed, cannot connect); the lines not
       reached are reported as not attempted
  {EXIT_INTERRUPTED}  stopped by Ctrl-C after the steps in flight; the journal and results
       are written first. A second Ctrl-C cancels the requests in flight too, and
       --resume then reports a cancelled create as outcome unknown.

credentials:
  Give one of: an API key, an OAuth client (machine-to-machine) id and secret, or a
  qlik-cli context. --api-key replaces the OAuth variables below and --oauth-client-id
  replaces {API_KEY_VARIABLE}, so an option always wins over the environment. --context
  takes the tenant URL and the credential from the context alone.

environment:
  {TENANT_URL_VARIABLE}           tenant URL used when --tenant-url is not given
  {API_KEY_VARIABLE}              API key used when --api-key is not given
  {OAUTH_CLIENT_ID_VARIABLE}      OAuth client id used when --oauth-client-id is not given
  {OAUTH_CLIENT_SECRET_VARIABLE}  OAuth client secret (there is no option for it)
  {OAUTH_SCOPE_VARIABLE}          OAuth scopes to request, space-separated (optional)
  {CONTEXTS_HOME_VARIABLE}    folder of qlik-cli's contexts.yml (default: ~/.qlik)

example:
  qlik-dataproducts migrate --emulator examples/catalogue.jsonl
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit status."""
    parser = build_parser()
    tokens = list(sys.argv[1:] if argv is None else argv)
    # Everything after "emulator" belongs to the emulator's own parser, which argparse
    # cannot pass through unchanged once an option such as --port follows.
    command_index = next((i for i, token in enumerate(tokens) if not token.startswith("-")), None)
    emulator_tokens: list[str] = []
    if command_index is not None and tokens[command_index] == "emulator":
        tokens, emulator_tokens = tokens[: command_index + 1], tokens[command_index + 1 :]
    try:
        arguments = parser.parse_args(tokens)
    except SystemExit as exc:
        # argparse exits 0 after --help and 2 on a usage error; return that instead.
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    if arguments.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    remove_logging = _configure_logging(arguments.verbose)
    try:
        if arguments.command == "emulator":
            return run_emulator(emulator_tokens)
        if arguments.command == _cli_quality.COMMAND:
            return _cli_quality.run(arguments)
        return run_migrate(arguments)
    finally:
        remove_logging()


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="qlik-dataproducts",
        description="Client tools for the Qlik Cloud Data products API.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more to stderr: -v for each line's failures, -vv for every request",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    migrate = commands.add_parser(
        "migrate",
        help="create, activate and document the data products of a catalogue",
        description=_MIGRATE_DESCRIPTION,
        epilog=_MIGRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    migrate.add_argument("catalogue", type=Path, help="JSON Lines file, one data product a line")
    target = migrate.add_argument_group(
        "target tenant (one of --emulator, --tenant-url or --context)"
    )
    target.add_argument(
        "--emulator",
        action="store_true",
        help="run against an embedded emulator on 127.0.0.1 (random port), stopped at the end",
    )
    target.add_argument(
        "--tenant-url",
        metavar="URL",
        help=f"tenant URL, such as https://TENANT.REGION.qlikcloud.com "
        f"(default: ${TENANT_URL_VARIABLE})",
    )
    target.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"API key (default: ${API_KEY_VARIABLE}; prefer the variable, because other "
        "users can read command lines)",
    )
    target.add_argument(
        "--oauth-client-id",
        metavar="ID",
        help=f"OAuth client id (default: ${OAUTH_CLIENT_ID_VARIABLE}); the client secret is "
        f"read from ${OAUTH_CLIENT_SECRET_VARIABLE} only, never from the command line",
    )
    target.add_argument(
        "--context",
        metavar="NAME",
        help="use the server and credential of this qlik-cli context, read from "
        f"${CONTEXTS_HOME_VARIABLE}/contexts.yml or ~/.qlik/contexts.yml (needs PyYAML)",
    )
    migrate.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="lines migrated at the same time (default: %(default)s); "
        "the rate-limit tiers pace the requests",
    )
    migrate.add_argument(
        "--docs-dir",
        type=Path,
        default=DEFAULT_DOCS_DIR,
        metavar="DIR",
        help="folder for the exported documentation (default: ./%(default)s)",
    )
    migrate.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        metavar="FILE",
        help="results file; its journal is FILE.journal (default: ./%(default)s)",
    )
    migrate.add_argument(
        "--resume",
        action="store_true",
        help="continue an earlier run from its journal: lines done are skipped, lines "
        "created but not activated or documented continue from that step",
    )
    migrate.add_argument(
        "--retry-unknown",
        action="store_true",
        help="with --resume, create again the lines whose earlier create request got no "
        "answer (check the tenant first: this can make duplicates)",
    )
    migrate.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results, journal and documentation files of an earlier run "
        "instead of stopping with exit status 2",
    )
    migrate.add_argument("--quiet", action="store_true", help="print no progress, only the summary")

    commands.add_parser(
        "emulator",
        help="run the emulator as a server until Ctrl-C",
        description="Run the Data products API emulator, as python -m qlik_dataproducts.emulator.",
        add_help=False,
    )
    _cli_quality.add_parser(commands)
    return parser


def run_migrate(arguments: argparse.Namespace) -> int:
    """Check the migrate options, run the migration and print its summary."""
    catalogue: Path = arguments.catalogue
    if not catalogue.is_file():
        return _usage_error(f"catalogue not found: {catalogue}")
    if arguments.retry_unknown and not arguments.resume:
        return _usage_error("--retry-unknown only applies together with --resume")
    if arguments.overwrite and arguments.resume:
        return _usage_error("--overwrite and --resume contradict each other; choose one")
    earlier = [p for p in (arguments.results, journal_path(arguments.results)) if p.exists()]
    if earlier and not (arguments.resume or arguments.overwrite):
        # Checked here as well as in the job, so nothing starts or prints before the error.
        return _usage_error(
            f"{earlier[0]} exists from an earlier run; pass --resume to continue that run, "
            "--overwrite to replace it, or choose another --results path"
        )

    settings = None
    if arguments.emulator:
        if arguments.tenant_url or arguments.api_key or arguments.oauth_client_id:
            return _usage_error(
                "--emulator cannot be combined with --tenant-url, --api-key or --oauth-client-id"
            )
        if arguments.context:
            return _usage_error("--emulator cannot be combined with --context")
    else:
        try:
            settings = tenant_settings(
                arguments,
                os.environ,
                no_tenant_hint=", or pass --emulator to try the migration against a local emulator",
            )
        except ConfigurationError as exc:
            return _usage_error(str(exc))

    printer = None if arguments.quiet else ProgressPrinter(sys.stderr)
    try:
        report = asyncio.run(_migrate(arguments, settings=settings, printer=printer))
    except (ConfigurationError, UnsafeRequestError) as exc:
        return _usage_error(str(exc))
    except OSError as exc:
        return _usage_error(f"cannot read or write the migration files: {exc}")
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("qlik-dataproducts: migration cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if printer is not None:
            printer.close()

    print(format_summary(report))
    return report.exit_status


async def _migrate(
    arguments: argparse.Namespace,
    *,
    settings: ClientSettings | None,
    printer: ProgressPrinter | None,
) -> MigrationReport:
    if arguments.emulator:
        # Imported here so that a tenant migration never loads the emulator.
        from .emulator import Emulator

        async with Emulator() as emulator:
            print(f"qlik-dataproducts: emulator listening on {emulator.base_url}", file=sys.stderr)
            local = ClientSettings(emulator.base_url, api_key=emulator.api_key)
            return await _migrate_with(arguments, local, printer=printer)
    assert settings is not None
    return await _migrate_with(arguments, settings, printer=printer)


async def _migrate_with(
    arguments: argparse.Namespace,
    settings: ClientSettings,
    *,
    printer: ProgressPrinter | None,
) -> MigrationReport:
    async with DataProductsClient.from_settings(settings) as client:
        migration = Migration(
            client,
            arguments.catalogue,
            docs_dir=arguments.docs_dir,
            results=arguments.results,
            concurrency=arguments.concurrency,
            resume=arguments.resume,
            retry_unknown=arguments.retry_unknown,
            overwrite=arguments.overwrite,
            on_progress=printer.update if printer is not None else None,
        )
        run = asyncio.create_task(migration.run())
        ticker = asyncio.create_task(_tick(migration, printer)) if printer else None
        remove_handler = _handle_interrupts(migration, run, sys.stderr)
        try:
            return await run
        except asyncio.CancelledError:
            if not run.cancelled():
                raise
            # The second Ctrl-C cancelled the run, whose cleanup wrote the journal and results.
            return migration.report()
        finally:
            remove_handler()
            if ticker is not None:
                ticker.cancel()
            if printer is not None:
                printer.update(migration.progress(), force=True)


async def _tick(migration: Migration, printer: ProgressPrinter) -> None:
    """Refresh the progress every second, so that it moves while requests wait."""
    while True:
        await asyncio.sleep(1.0)
        printer.update(migration.progress())


def _handle_interrupts(
    migration: Migration, run: asyncio.Task[MigrationReport], stream: TextIO
) -> Callable[[], None]:
    """Make the first Ctrl-C stop the migration after its steps in flight, the second cancel it.

    Returns the function that restores the default handling.
    """
    loop = asyncio.get_running_loop()
    presses = 0

    def on_interrupt() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            stream.write(
                "\nqlik-dataproducts: stopping after the steps in flight; "
                "press Ctrl-C again to cancel them\n"
            )
            stream.flush()
            migration.stop()
        else:
            run.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    except (NotImplementedError, RuntimeError, ValueError):
        # Without loop signal handlers (Windows, or not the main thread) Ctrl-C raises
        # KeyboardInterrupt, and asyncio.run cancels the run, which still writes its files.
        return lambda: None

    def remove_handler() -> None:
        loop.remove_signal_handler(signal.SIGINT)

    return remove_handler


def run_emulator(emulator_arguments: Sequence[str]) -> int:
    """Run the emulator's own command line with the arguments after ``emulator``."""
    # Imported here so that the migrate command never loads the emulator without --emulator.
    from .emulator.__main__ import main as emulator_main

    return emulator_main(emulator_arguments, prog="qlik-dataproducts emulator")


def _configure_logging(verbosity: int) -> Callable[[], None]:
    """Send the package's log records to stderr, and return the function that undoes it.

    The handler goes on the package logger rather than the root logger, so that calling
    ``main()`` from a program or a test leaves that program's logging as it was.
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    package_logger = logging.getLogger("qlik_dataproducts")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous_level = package_logger.level
    package_logger.addHandler(handler)
    package_logger.setLevel(level)

    def remove_handler() -> None:
        package_logger.removeHandler(handler)
        package_logger.setLevel(previous_level)

    return remove_handler


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _usage_error(message: str) -> int:
    print(f"qlik-dataproducts: error: {message}", file=sys.stderr)
    return EXIT_USAGE
