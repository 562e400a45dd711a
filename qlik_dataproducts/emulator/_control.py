"""The OAuth token endpoint and the `/_emulator` control endpoints.

The control endpoints let a test or a script drive a standalone emulator over HTTP. The
pipeline requires the API key or an access token for them; they are neither rate-limited
nor subject to faults.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ._auth import TokenError
from ._context import CONTEXT_KEY
from ._errors import ApiError, error_response
from ._faults import Fault
from ._state import seed_items

__all__ = ["add_control_routes"]

CONTROL_PATH = "/_emulator"


async def oauth_token(request: web.Request) -> web.Response:
    """Issue an access token for the client-credentials grant, from JSON or a form."""
    context = request.app[CONTEXT_KEY]
    no_store = {"Cache-Control": "no-store"}
    params: Any
    if request.content_type == "application/x-www-form-urlencoded":
        params = dict(await request.post())
    else:
        try:
            params = json.loads((await request.read()).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            params = None
    if not isinstance(params, dict):
        error = TokenError(
            400, "invalid_request", "Send a JSON object or a form with the token parameters."
        )
        return web.json_response(error.body(), status=error.status, headers=no_store)
    try:
        token = context.auth.issue_token(params)
    except TokenError as exc:
        headers = dict(no_store)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="emulator"'
        return web.json_response(exc.body(), status=exc.status, headers=headers)
    return web.json_response(token, headers=no_store)


async def _json(request: web.Request) -> Any:
    try:
        return json.loads((await request.read()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc


async def add_faults(request: web.Request) -> web.Response:
    """Add the fault rules of a JSON list (or one JSON object) and return all rules."""
    injector = request.app[CONTEXT_KEY].faults
    body = await _json(request)
    items = body if isinstance(body, list) else [body]
    try:
        faults = [Fault.from_json(item) for item in items if isinstance(item, dict)]
    except ValueError as exc:
        return error_response(400, str(exc))
    if len(faults) != len(items):
        return error_response(400, "Each fault must be a JSON object.")
    for fault in faults:
        injector.add(fault)
    return web.json_response({"faults": [rule.to_json() for rule in injector.rules]})


async def clear_faults(request: web.Request) -> web.Response:
    """Remove every fault rule."""
    request.app[CONTEXT_KEY].faults.clear()
    return web.Response(status=204)


async def show_state(request: web.Request) -> web.Response:
    """Return the products and the counters of the emulator."""
    context = request.app[CONTEXT_KEY]
    body = {
        "products": context.state.snapshot(),
        "faults": [rule.to_json() for rule in context.faults.rules],
        "faultsFired": dict(context.faults.fired),
        "rateLimited": {
            "total": context.rate_limited.total,
            "byTier": dict(context.rate_limited.by_tier),
            "byOperation": dict(context.rate_limited.by_operation),
        },
        "tokenRequests": context.auth.token_requests,
        "requests": len(context.requests),
    }
    return web.json_response(body)


async def seed_products(request: web.Request) -> web.Response:
    """Load products from a JSON list, or an object of products by id, and return their ids."""
    body = await _json(request)
    try:
        ids = request.app[CONTEXT_KEY].state.seed(seed_items(body))
    except ValueError as exc:
        return error_response(400, str(exc))
    return web.json_response({"ids": ids})


def add_control_routes(app: web.Application) -> None:
    """Add the token endpoint and the control endpoints to an app."""
    router = app.router
    router.add_post("/oauth/token", oauth_token, name="oauth_token")
    router.add_post(CONTROL_PATH + "/faults", add_faults, name="control_add_faults")
    router.add_delete(CONTROL_PATH + "/faults", clear_faults, name="control_clear_faults")
    router.add_get(CONTROL_PATH + "/state", show_state, name="control_state", allow_head=False)
    router.add_post(CONTROL_PATH + "/seed", seed_products, name="control_seed")
