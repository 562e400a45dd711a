"""Routes and handlers of the Data products API operations.

Handlers run after the pipeline has authenticated the request and applied the rate limits
and faults. They raise `ApiError`, which the pipeline turns into the JSON error response.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ._context import CONTEXT_KEY, EmulatorContext, request_principal
from ._control import add_control_routes
from ._docs import accepts_markdown, render_documentation
from ._errors import ApiError
from ._pipeline import pipeline
from ._validation import (
    parse_changelog_query,
    validate_activate,
    validate_create,
    validate_dataset_id,
    validate_move,
    validate_patch,
)

__all__ = ["BASE_PATH", "create_app"]

BASE_PATH = "/api/data-governance/data-products"
PROVIDER_URL_BASE = "https://provider.example.invalid/datasets/"
QUALITY_LOCATION_BASE = "/api/data-governance/data-qualities/batch-computations/"
# Large enough for a create body with a 100,000-character readMe of 4-byte characters.
MAX_BODY_BYTES = 8 * 1024 * 1024


def _context(request: web.Request) -> EmulatorContext:
    return request.app[CONTEXT_KEY]


def _product_id(request: web.Request) -> str:
    return request.match_info["product_id"]


def _is_json_media_type(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json_body(request: web.Request) -> Any:
    """Return the parsed JSON body, or raise ApiError(400) for a missing or invalid one."""
    if "Content-Type" not in request.headers:
        raise ApiError(400, "The Content-Type header is missing; send application/json.")
    if not _is_json_media_type(request.content_type):
        raise ApiError(400, f"Content-Type must be application/json, got {request.content_type!r}.")
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "The request body is empty; send a JSON document.")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc


async def create(request: web.Request) -> web.Response:
    """Create a data product."""
    fields = validate_create(await read_json_body(request))
    product = _context(request).state.create(fields, request_principal(request).user_id)
    return web.json_response(product, status=201)


async def get(request: web.Request) -> web.Response:
    """Return one data product."""
    return web.json_response(_context(request).state.get(_product_id(request)))


async def patch(request: web.Request) -> web.Response:
    """Apply JSON Patch replace operations to a data product."""
    state = _context(request).state
    state.ensure_exists(_product_id(request))
    operations = validate_patch(await read_json_body(request))
    state.patch(_product_id(request), operations, request_principal(request).user_id)
    return web.Response(status=204)


async def delete(request: web.Request) -> web.Response:
    """Delete a data product."""
    _context(request).state.delete(_product_id(request))
    return web.Response(status=204)


async def activate(request: web.Request) -> web.Response:
    """Activate a data product and return it."""
    state = _context(request).state
    state.ensure_exists(_product_id(request))
    fields = validate_activate(await read_json_body(request))
    product = state.activate(_product_id(request), fields, request_principal(request).user_id)
    return web.json_response(product, status=201)


async def deactivate(request: web.Request) -> web.Response:
    """Deactivate a data product."""
    _context(request).state.deactivate(_product_id(request), request_principal(request).user_id)
    return web.Response(status=204)


async def move(request: web.Request) -> web.Response:
    """Move a data product to another space."""
    state = _context(request).state
    state.ensure_exists(_product_id(request))
    space_id = validate_move(await read_json_body(request))
    state.move(_product_id(request), space_id, request_principal(request).user_id)
    return web.Response(status=204)


async def export_documentation(request: web.Request) -> web.Response:
    """Return the product documentation as Markdown."""
    accept = request.headers.get("Accept")
    if not accepts_markdown(accept):
        raise ApiError(
            406, f"The Accept header {accept!r} excludes text/markdown, the only format offered."
        )
    product = _context(request).state.get(_product_id(request))
    return web.Response(
        text=render_documentation(product), content_type="text/markdown", charset="utf-8"
    )


def _page_link(request: web.Request, page: int, limit: int, sort: str) -> dict[str, str | None]:
    url = request.url.with_query({"page": str(page), "limit": str(limit), "sort": sort})
    return {"href": str(url)}


async def changelogs(request: web.Request) -> web.Response:
    """Return one page of a product's changelog."""
    page, limit, sort = parse_changelog_query(request.query)
    entries, total = _context(request).state.changelog_page(
        _product_id(request), page=page, limit=limit, sort=sort
    )
    pages = max(1, math.ceil(total / limit))
    links: dict[str, dict[str, str | None]] = {
        "self": _page_link(request, page, limit, sort),
        "first": _page_link(request, 1, limit, sort),
        "last": _page_link(request, pages, limit, sort),
        # NOTE: the published schema types `href` as a string, but the service's examples send
        # null here; schema checks flag this field on page 1.
        "prev": _page_link(request, page - 1, limit, sort) if page > 1 else {"href": None},
    }
    if page < pages:
        links["next"] = _page_link(request, page + 1, limit, sort)
    body = {
        "data": entries,
        "page": page,
        "limit": limit,
        "pages": pages,
        "total": total,
        "links": links,
    }
    return web.json_response(body)


async def generate_provider_url(request: web.Request) -> web.Response:
    """Return a provider URL on a `.invalid` host, which never resolves."""
    dataset_id = validate_dataset_id(request.query.get("dataSetId"))
    return web.json_response({"url": PROVIDER_URL_BASE + quote(dataset_id, safe="")})


async def compute_data_quality(request: web.Request) -> web.Response:
    """Accept a data quality computation for every dataset of a product."""
    body = _context(request).state.compute_data_quality(_product_id(request))
    location = QUALITY_LOCATION_BASE + body["batchComputationId"]
    return web.json_response(body, status=202, headers={"Location": location})


def create_app(context: EmulatorContext) -> web.Application:
    """Build the aiohttp application that serves the API from one emulator context."""
    app = web.Application(middlewares=[pipeline], client_max_size=MAX_BODY_BYTES)
    app[CONTEXT_KEY] = context

    # Each route name is the operation name that selects the rate-limit tier, matches fault
    # rules and labels the request record.
    item = BASE_PATH + "/{product_id}"
    router = app.router
    router.add_post(BASE_PATH, create, name="create")
    router.add_post(
        BASE_PATH + "/actions/generate-provider-url",
        generate_provider_url,
        name="generate_provider_url",
    )
    router.add_get(item, get, name="get", allow_head=False)
    router.add_patch(item, patch, name="patch")
    router.add_delete(item, delete, name="delete")
    router.add_post(item + "/actions/activate", activate, name="activate")
    router.add_post(item + "/actions/deactivate", deactivate, name="deactivate")
    router.add_get(
        item + "/actions/export-documentation",
        export_documentation,
        name="export_documentation",
        allow_head=False,
    )
    router.add_post(item + "/actions/move", move, name="move")
    router.add_get(item + "/changelogs", changelogs, name="changelogs", allow_head=False)
    router.add_post(
        item + "/actions/compute-datasets-data-quality",
        compute_data_quality,
        name="compute_data_quality",
    )

    add_control_routes(app)
    return app
