"""One description per API operation, and the pure functions that build and decode requests.

Nothing here does I/O: the transport sends what ``build_*`` returns and hands the raw response
back to ``decode_*``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import attrs
from multidict import CIMultiDictProxy
from yarl import URL

from ._converter import decode
from ._errors import DecodeError
from ._limits import DATA_QUALITY, TIER_1, TIER_2

__all__ = [
    "OPERATIONS",
    "Operation",
    "RawResponse",
    "Request",
    "build_request",
    "decode_json",
    "decode_markdown",
    "json_content_type",
    "product_url",
]

T = TypeVar("T")

COLLECTION_PATH = "api/data-governance/data-products"


@attrs.frozen
class Operation:
    """What the client must know about one API operation.

    ``safe_to_repeat`` is true when sending the request twice leaves the same state as sending
    it once; only such operations are retried after a failure that may have reached the server.
    """

    name: str
    method: str
    path: str
    tier: str
    safe_to_repeat: bool
    accept: str = "application/json"


# Paths are relative to the base URL; "{id}" is replaced by the percent-encoded product id.
OPERATIONS: Mapping[str, Operation] = {
    op.name: op
    for op in (
        Operation("create", "POST", "", TIER_2, safe_to_repeat=False),
        Operation("get", "GET", "{id}", TIER_1, safe_to_repeat=True),
        Operation("patch", "PATCH", "{id}", TIER_2, safe_to_repeat=True),
        Operation("delete", "DELETE", "{id}", TIER_2, safe_to_repeat=True),
        Operation("activate", "POST", "{id}/actions/activate", TIER_2, safe_to_repeat=False),
        Operation("deactivate", "POST", "{id}/actions/deactivate", TIER_2, safe_to_repeat=True),
        Operation(
            "export_documentation",
            "GET",
            "{id}/actions/export-documentation",
            TIER_1,
            safe_to_repeat=True,
            accept="text/markdown",
        ),
        Operation("move", "POST", "{id}/actions/move", TIER_2, safe_to_repeat=True),
        Operation("changelogs", "GET", "{id}/changelogs", TIER_1, safe_to_repeat=True),
        Operation(
            "generate_provider_url",
            "POST",
            "actions/generate-provider-url",
            TIER_2,
            safe_to_repeat=True,
        ),
        Operation(
            "compute_data_quality",
            "POST",
            "{id}/actions/compute-datasets-data-quality",
            DATA_QUALITY,
            safe_to_repeat=False,
        ),
    )
}


@attrs.frozen
class Request:
    """A request ready to send: the operation, the full URL and the JSON body, if any."""

    operation: Operation
    url: URL
    body: Any = None
    product_id: str | None = None

    @property
    def has_body(self) -> bool:
        return self.body is not None


@attrs.frozen
class RawResponse:
    """A response as the transport read it: nothing decoded yet.

    ``resent`` is true when the HTTP library sent the request more than once to get it.
    """

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: URL
    resent: bool = False


def product_url(base_url: URL, path: str, product_id: str | None = None) -> URL:
    """Join the collection path and an operation path to ``base_url``.

    The product id becomes exactly one percent-encoded path segment, so an id such as
    ``a/b c?d`` can neither add a segment nor start a query string.
    """
    if "{id}" in path:
        if product_id is None:
            raise ValueError(f"path {path!r} needs a product id")
        path = path.replace("{id}", quote(product_id, safe=""))
    prefix = base_url.raw_path.rstrip("/")
    tail = f"{COLLECTION_PATH}/{path}".rstrip("/")
    return base_url.with_path(f"{prefix}/{tail}", encoded=True)


def build_request(
    operation_name: str,
    base_url: URL,
    *,
    product_id: str | None = None,
    body: Any = None,
    query: Mapping[str, str | int] | None = None,
) -> Request:
    """Describe one call of ``operation_name``; ``body`` must already be JSON-ready."""
    operation = OPERATIONS[operation_name]
    url = product_url(base_url, operation.path, product_id)
    if query:
        url = url.with_query({key: str(value) for key, value in query.items()})
    return Request(operation, url, body, product_id)


def json_content_type(headers: Mapping[str, str]) -> bool:
    """Tell whether a response declares a JSON body (``application/json`` or ``+json``)."""
    media_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def decode_json(response: RawResponse, cls: type[T], operation: str) -> T:
    """Decode a successful JSON response into ``cls``, or raise ``DecodeError``."""
    url = str(response.url)
    if not json_content_type(response.headers):
        content_type = response.headers.get("Content-Type", "none")
        raise DecodeError(
            f"expected application/json, got {content_type} ({_excerpt(response.body)!r})",
            operation=operation,
            url=url,
        )
    try:
        data = json.loads(response.body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(
            f"body is not valid JSON ({exc}); it may have been cut short: "
            f"{_excerpt(response.body)!r}",
            operation=operation,
            url=url,
        ) from exc
    return decode(cls, data, operation=operation)


def decode_markdown(response: RawResponse, operation: str) -> str:
    """Decode a Markdown body: the charset the response names, else UTF-8; drop a BOM."""
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in ("text/markdown", "text/plain", "text/x-markdown"):
        raise DecodeError(
            f"expected text/markdown, got {content_type or 'no content type'} "
            f"({_excerpt(response.body)!r})",
            operation=operation,
            url=str(response.url),
        )
    charset = _charset(content_type) or "utf-8"
    try:
        text = response.body.decode(charset)
    except LookupError as exc:
        raise DecodeError(
            f"unknown charset {charset!r}", operation=operation, url=str(response.url)
        ) from exc
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"body is not valid {charset}: {exc}", operation=operation, url=str(response.url)
        ) from exc
    return text.removeprefix("\ufeff")


def error_excerpt(body: bytes, limit: int = 200) -> str:
    """Return the start of a body as one line of text, for error messages."""
    return _excerpt(body, limit)


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
