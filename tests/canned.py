"""A loopback HTTP server that responds from a script of canned responses.

It imitates the odd servers that the emulator does not: gateways with HTML pages,
wrong content types, redirects and hostile pagination links.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

import attrs
from aiohttp import web


@attrs.define
class Canned:
    """One scripted response."""

    status: int = 200
    json_body: Any = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = attrs.field(factory=dict)
    truncate: bool = False
    delay: float = 0.0


@attrs.define
class Seen:
    """One request the server received."""

    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class CannedServer:
    """Serve ``Canned`` responses in order on 127.0.0.1, repeating the last when the script ends."""

    def __init__(self) -> None:
        self.script: deque[Canned] = deque()
        self.requests: list[Seen] = []
        self._last = Canned(404, {"errors": [{"code": "HTTP-404", "title": "No script"}]})
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def add(self, *answers: Canned) -> None:
        self.script.extend(answers)

    async def __aenter__(self) -> CannedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Seen(
                request.method,
                request.path,
                request.raw_path,
                dict(request.query),
                dict(request.headers),
                await request.read(),
            )
        )
        answer = self.script.popleft() if self.script else self._last
        self._last = answer
        if answer.delay:
            await asyncio.sleep(answer.delay)
        body = answer.body
        if body is None:
            body = b"" if answer.json_body is None else json.dumps(answer.json_body).encode()
        headers = dict(answer.headers)
        if answer.status != 204:
            headers.setdefault("Content-Type", answer.content_type)
        if answer.truncate:
            response = web.StreamResponse(status=answer.status, headers=headers)
            response.content_length = len(body) + 50
            await response.prepare(request)
            await response.write(body)
            assert request.transport is not None
            request.transport.close()
            return response
        return web.Response(status=answer.status, body=body or None, headers=headers)


def error_body(status: int, code: str | None = None, title: str = "Failed") -> dict[str, Any]:
    """Return an error body shaped as the API documents it."""
    return {
        "errors": [
            {"code": code or f"HTTP-{status}", "title": title, "detail": "d", "status": str(status)}
        ],
        "traceId": f"trace-{status}",
    }
