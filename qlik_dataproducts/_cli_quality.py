"""The ``compute-data-quality`` command: start the data quality computation of products.

Each product id gets one request to the compute-datasets-data-quality action, which has its
own rate-limit tier of 10 requests a minute. The client's bucket for that tier paces the
requests: a burst of up to 49, then one every 6 seconds. The command prints one line per
product with the batch computation id and the location where its progress can be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

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
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    QlikDataProductsError,
    RequestTimeoutError,
    TransportError,
    UnsafeRequestError,
)
from ._limits import DATA_QUALITY, DEFAULT_TIER_LIMITS
from ._migration_report import EXIT_ABORTED, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

__all__ = ["COMMAND", "QualityOutcome", "add_parser", "request_quality", "run"]

COMMAND = "compute-data-quality"
EXIT_USAGE = 2

_DESCRIPTION = """\
Request the data quality computation of every dataset of each data product given. The
action has a rate-limit tier of its own, 10 requests a minute: a burst of up to 49
requests goes out at once, then one every 6 seconds.
"""

_EPILOG = f"""\
output:
  One line per product on stdout, in the order given: the product id, the batch
  computation id, the location of the batch's progress and the number of datasets,
  separated by tabs. With --json, one JSON object per line instead, with each dataset's
  computation id and status. Failures go to stderr, one line per product.

exit status:
  0    a computation was requested for every product
  1    at least one product failed (not found, invalid id, service error)
  2    usage or configuration error: bad option, no tenant URL or credentials
  3    aborted: authentication failed or the tenant cannot be reached. The products
       not requested are listed on stderr
  {EXIT_INTERRUPTED}  stopped by Ctrl-C

environment:
  {TENANT_URL_VARIABLE}, {API_KEY_VARIABLE}, {OAUTH_CLIENT_ID_VARIABLE}, \
{OAUTH_CLIENT_SECRET_VARIABLE} and {OAUTH_SCOPE_VARIABLE}
  as for migrate: an option replaces its variable.

example:
  {API_KEY_VARIABLE}=... qlik-dataproducts {COMMAND} \\
      --tenant-url https://TENANT.REGION.qlikcloud.com 694e8c78cb095e700317789d
"""


@attrs.frozen
class QualityOutcome:
    """The result for one product: the computation requested, or the error that stopped it."""

    product_id: str
    batch_computation_id: str | None = None
    location: str | None = None
    datasets: tuple[dict[str, Any], ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object that --json prints for this product."""
        if self.error is not None:
            return {"productId": self.product_id, "error": self.error}
        return {
            "productId": self.product_id,
            "batchComputationId": self.batch_computation_id,
            "location": self.location,
            "datasets": list(self.datasets),
        }

    def to_line(self) -> str:
        """Return the tab-separated line printed for this product."""
        count = len(self.datasets)
        noun = "dataset" if count == 1 else "datasets"
        return f"{self.product_id}\t{self.batch_computation_id}\t{self.location}\t{count} {noun}"


def add_parser(commands: Any) -> None:
    """Add the subcommand to the subparsers of the main parser."""
    parser = commands.add_parser(
        COMMAND,
        help="start the data quality computation of data products, paced at 10 a minute",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "product_ids",
        nargs="+",
        metavar="PRODUCT_ID",
        help="data product id (a repeated id is requested once)",
    )
    target = parser.add_argument_group("target tenant (--tenant-url or --context)")
    target.add_argument(
        "--tenant-url",
        metavar="URL",
        help=f"tenant URL, such as https://TENANT.REGION.qlikcloud.com "
        f"(default: ${TENANT_URL_VARIABLE})",
    )
    credential = target.add_mutually_exclusive_group()
    credential.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"API key (default: ${API_KEY_VARIABLE}). Prefer the variable, because other "
        "users can read command lines",
    )
    credential.add_argument(
        "--oauth-client-id",
        metavar="ID",
        help=f"OAuth client id (default: ${OAUTH_CLIENT_ID_VARIABLE}). The secret is read "
        f"from ${OAUTH_CLIENT_SECRET_VARIABLE} only",
    )
    target.add_argument(
        "--context", metavar="NAME", help="use the server and credential of this qlik-cli context"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per product instead"
    )


def run(arguments: argparse.Namespace) -> int:
    """Check the options, request the computations and return the exit status."""
    try:
        settings = tenant_settings(arguments, os.environ)
    except ConfigurationError as exc:
        return _usage_error(str(exc))
    product_ids = list(dict.fromkeys(arguments.product_ids))
    _warn_about_pacing(len(product_ids), sys.stderr)

    try:
        outcomes = asyncio.run(_request_with(settings, product_ids, arguments.json))
    except (ConfigurationError, UnsafeRequestError) as exc:
        return _usage_error(str(exc))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print(f"qlik-dataproducts: {COMMAND} cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED

    requested = {outcome.product_id for outcome in outcomes}
    not_reached = [product_id for product_id in product_ids if product_id not in requested]
    if not_reached:
        print(
            f"qlik-dataproducts: aborted, not requested: {' '.join(not_reached)}",
            file=sys.stderr,
        )
        return EXIT_ABORTED
    return EXIT_FAILED if any(outcome.error for outcome in outcomes) else EXIT_OK


async def _request_with(
    settings: ClientSettings, product_ids: Sequence[str], as_json: bool
) -> list[QualityOutcome]:
    async with DataProductsClient.from_settings(settings) as client:
        return await request_quality(client, product_ids, out=sys.stdout, as_json=as_json)


async def request_quality(
    client: DataProductsClient,
    product_ids: Sequence[str],
    *,
    out: TextIO,
    as_json: bool = False,
    errors: TextIO | None = None,
) -> list[QualityOutcome]:
    """Request the computation of each product in turn and print each outcome as it comes.

    The client's data-quality bucket paces the requests. An error that no later request can
    avoid (authentication failed, the tenant unreachable) stops the run: the products after
    it get no outcome.

    Returns:
        One outcome per product that was requested, in order.
    """
    errors = errors if errors is not None else sys.stderr
    outcomes: list[QualityOutcome] = []
    for product_id in product_ids:
        try:
            computation = await client.compute_datasets_data_quality(product_id)
        except QlikDataProductsError as exc:
            print(f"qlik-dataproducts: {product_id}: {exc}", file=errors)
            if _is_fatal(exc):
                break
            outcome = QualityOutcome(product_id, error=str(exc))
        else:
            datasets = tuple(
                {
                    "datasetId": dataset.dataset_id,
                    "status": dataset.status,
                    "computationId": dataset.computation_id,
                    **({"error": dataset.error} if dataset.error is not None else {}),
                }
                for dataset in computation.dataset_responses
            )
            outcome = QualityOutcome(
                product_id, computation.batch_computation_id, computation.location, datasets
            )
            print(json.dumps(outcome.to_json()) if as_json else outcome.to_line(), file=out)
        out.flush()
        outcomes.append(outcome)
    return outcomes


def _is_fatal(exc: QlikDataProductsError) -> bool:
    """Return whether an error means that no later request can succeed either."""
    if isinstance(exc, AuthenticationError | ConfigurationError | UnsafeRequestError):
        return True
    # The action is not safe to repeat, so the client raises TransportError only when its
    # retries could not deliver the request at all.
    return isinstance(exc, TransportError) and not isinstance(exc, RequestTimeoutError)


def _warn_about_pacing(count: int, stream: TextIO) -> None:
    limit = DEFAULT_TIER_LIMITS[DATA_QUALITY]
    burst = int(limit.capacity)
    if count <= burst:
        return
    minutes = (count - burst) / limit.requests_per_minute
    print(
        f"qlik-dataproducts: {count} products exceed the burst of {burst} data quality "
        f"requests, so the rest go out at {limit.requests_per_minute:g} a minute "
        f"(about {minutes:.1f} minutes)",
        file=stream,
    )


def _usage_error(message: str) -> int:
    print(f"qlik-dataproducts: error: {message}", file=sys.stderr)
    return EXIT_USAGE
