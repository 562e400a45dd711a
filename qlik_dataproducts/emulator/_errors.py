"""Error bodies in the shape the Data products API uses."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ["ApiError", "error_body", "error_response", "rate_limit_body"]


class ApiError(Exception):
    """An error response: one HTTP status and one or more error details."""

    def __init__(self, status: int, details: str | Sequence[str], *, code: str | None = None):
        self.status = status
        self.details = [details] if isinstance(details, str) else list(details)
        self.code = code or f"HTTP-{status}"
        super().__init__(f"{status}: {'; '.join(self.details)}")

    def to_response(self) -> web.Response:
        """Build the JSON error response."""
        return error_response(self.status, self.details, code=self.code)


def error_body(status: int, details: Sequence[str], *, code: str | None = None) -> dict[str, Any]:
    """Build `{"errors": [...], "traceId": ...}` with one entry per detail."""
    title = HTTPStatus(status).phrase
    errors = [
        {"code": code or f"HTTP-{status}", "title": title, "detail": detail, "status": str(status)}
        for detail in details
    ]
    return {"errors": errors, "traceId": secrets.token_hex(16)}


def error_response(
    status: int, details: str | Sequence[str], *, code: str | None = None
) -> web.Response:
    """Build a JSON error response with a fresh traceId."""
    detail_list = [details] if isinstance(details, str) else details
    return web.json_response(error_body(status, detail_list, code=code), status=status)


def rate_limit_body(wait: str) -> dict[str, Any]:
    """Build the 429 body, which has no `status` and no `traceId` unlike other errors."""
    return {
        "errors": [
            {
                "code": "HTTP-429",
                "title": "API rate limit reached.",
                "detail": f"You need to wait {wait} seconds until limit is lifted.",
            }
        ]
    }
