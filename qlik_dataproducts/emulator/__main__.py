"""Run the emulator as a standalone server: `python -m qlik_dataproducts.emulator`.

The server prints its base URL and credentials, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._server import Emulator
from ._state import seed_items

logger = logging.getLogger("qlik_dataproducts.emulator")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_parser(prog: str = "python -m qlik_dataproducts.emulator") -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve an in-memory emulator of the Qlik Cloud Data products API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    parser.add_argument("--api-key", help="API key to accept (default: a generated one)")
    parser.add_argument(
        "--seed-file",
        type=Path,
        help="JSON file of products to load: a list, or an object of products by id",
    )
    parser.add_argument(
        "--rate-limit-headers",
        action="store_true",
        help="send Ratelimit-Limit, Ratelimit-Remaining and Ratelimit-Reset headers",
    )
    parser.add_argument(
        "--minute-seconds",
        type=float,
        default=60.0,
        help="length of a rate-limit minute in seconds, to scale time (default 60)",
    )
    parser.add_argument(
        "--rate-limit-model",
        default="token-bucket",
        choices=["token-bucket", "sliding-window"],
        help="how each tier's limit is counted (default token-bucket)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not a loopback address",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (default INFO)",
    )
    return parser


def _load_seed(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as stream:
        return seed_items(json.load(stream))


async def serve(emulator: Emulator, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, printing the connection details once started."""
    await emulator.start()
    try:
        print(f"Emulator listening on {emulator.base_url}", flush=True)
        print(f"API key: {emulator.api_key}", flush=True)
        print(f"OAuth client id: {emulator.oauth_client_id}", flush=True)
        print(f"OAuth client secret: {emulator.oauth_client_secret}", flush=True)
        await stop.wait()
    finally:
        await emulator.close()


async def _main(arguments: argparse.Namespace) -> None:
    emulator = Emulator(
        host=arguments.host,
        port=arguments.port,
        api_key=arguments.api_key,
        rate_limit_headers=arguments.rate_limit_headers,
        minute_seconds=arguments.minute_seconds,
        rate_limit_model=arguments.rate_limit_model,
    )
    if arguments.seed_file is not None:
        ids = emulator.state.seed(_load_seed(arguments.seed_file))
        logger.info("Loaded %d products from %s", len(ids), arguments.seed_file)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        # Windows event loops do not support signal handlers; Ctrl-C still interrupts there.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal_number, stop.set)
    await serve(emulator, stop)
    logger.info("Emulator stopped")


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run the standalone emulator and return the process exit status."""
    parser = build_parser(prog) if prog else build_parser()
    arguments = parser.parse_args(argv)
    if not _is_loopback(arguments.host) and not arguments.allow_remote:
        parser.error(
            f"--host {arguments.host} is not a loopback address; "
            "pass --allow-remote to serve other hosts"
        )
    logging.basicConfig(
        level=arguments.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(_main(arguments))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
