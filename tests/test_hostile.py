"""Hostile servers: traffic and credentials stay on the tenant's origin.

Every "foreign" server here is a second listener on loopback (another port of 127.0.0.1, or
127.0.0.2) that only counts the connections it receives. A session trace records every
request the client starts, so the tests also show that nothing was even attempted elsewhere.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

from qlik_dataproducts import (
    ChangelogPage,
    DataProductsClient,
    DecodeError,
    OAuthClientCredentials,
    UnsafeRequestError,
)
from tests.canned import Canned, CannedServer
from tests.conftest import FAST_RETRY

PRODUCT_ID = "0123456789abcdef01234567"
CHANGELOGS = f"/api/data-governance/data-products/{PRODUCT_ID}/changelogs"
TOKEN = {"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}


class Sink:
    """A TCP listener that sends nothing and counts the connections and bytes it receives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.connections = 0
        self.received = b""
        self._server: asyncio.Server | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Sink:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            self.received += await asyncio.wait_for(reader.read(65536), timeout=1.0)
        except asyncio.TimeoutError:
            pass
        writer.close()


class TlsCannedServer(CannedServer):
    """The scripted server of ``tests.canned`` behind HTTPS on 127.0.0.1."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self._context = context

    async def __aenter__(self) -> TlsCannedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._context)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"https://127.0.0.1:{port}"
        return self


def start_recorder(started: list[str]) -> aiohttp.TraceConfig:
    """Return a trace that appends the URL of every request the session starts to ``started``."""

    async def on_request_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        started.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace


@asynccontextmanager
async def traced_client(
    base_url: str, *, ssl_context: ssl.SSLContext | None = None, **credentials: Any
) -> AsyncIterator[tuple[DataProductsClient, list[str]]]:
    started: list[str] = []
    connector = aiohttp.TCPConnector(ssl=ssl_context) if ssl_context is not None else None
    async with aiohttp.ClientSession(
        connector=connector, trace_configs=[start_recorder(started)]
    ) as session:
        if not credentials:
            credentials = {"api_key": "key"}
        async with DataProductsClient(
            base_url, session=session, retry=FAST_RETRY, **credentials
        ) as client:
            yield client, started


def page(next_href: str | None, *, number: int = 1, pages: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": [], "page": number, "limit": 2}
    if pages is not None:
        body["pages"] = pages
    if next_href is not None:
        body["links"] = {"next": {"href": next_href}}
    return body


async def walk(client: DataProductsClient, pages: list[ChangelogPage]) -> None:
    async for current in client.changelog_pages(PRODUCT_ID, limit=2):
        pages.append(current)


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    async with Sink() as listening:
        yield listening


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed, and it makes the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    yield cert, key


@pytest.fixture
async def tls_tenant(certificate: tuple[Path, Path]) -> AsyncIterator[TlsCannedServer]:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    async with TlsCannedServer(server_context) as server:
        yield server


@pytest.fixture
def client_ssl(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    # Python 3.13 adds VERIFY_X509_STRICT to the default flags. The self-signed test
    # certificate is a trust anchor only and is not made to meet those extra rules.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context


# --- links.next --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "{base}" + CHANGELOGS + "?sort=-createdAt&limit=2&page=2",
        CHANGELOGS + "?sort=-createdAt&limit=2&page=2",
        "?sort=-createdAt&limit=2&page=2",
    ],
    ids=["absolute", "root-relative", "query-only"],
)
async def test_next_href_followed(canned: CannedServer, href: str) -> None:
    canned.add(Canned(200, page(href.format(base=canned.base_url))), Canned(200, page(None)))
    pages: list[ChangelogPage] = []
    async with traced_client(canned.base_url) as (client, _started):
        await walk(client, pages)

    assert len(pages) == 2
    assert canned.requests[1].path == CHANGELOGS
    assert canned.requests[1].query == {"sort": "-createdAt", "limit": "2", "page": "2"}


@pytest.mark.parametrize("href", ["?page=2", CHANGELOGS + "?page=2&limit=2&sort=-createdAt"])
async def test_next_query_never_duplicated(canned: CannedServer, href: str) -> None:
    canned.add(Canned(200, page(href)), Canned(200, page(None)))
    async with traced_client(canned.base_url) as (client, _started):
        await walk(client, [])
    raw_query = canned.requests[1].raw_path.partition("?")[2]
    names = [name for name, _value in parse_qsl(raw_query)]
    expected = [name for name, _value in parse_qsl(href.partition("?")[2])]

    assert names == expected
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "href",
    [
        "{sink}" + CHANGELOGS + "?page=2",
        "//127.0.0.1:{port}" + CHANGELOGS + "?page=2",
        "http://localhost:{port}/steal",
    ],
    ids=["other-port", "scheme-relative", "other-name"],
)
async def test_next_href_other_port_stops(canned: CannedServer, sink: Sink, href: str) -> None:
    target = href.format(sink=sink.origin, port=sink.port)
    canned.add(Canned(200, page(target)))
    pages: list[ChangelogPage] = []
    async with traced_client(canned.base_url) as (client, started):
        with pytest.raises(UnsafeRequestError, match="outside the tenant"):
            await walk(client, pages)

    assert len(pages) == 1
    assert sink.connections == 0
    assert all(url.startswith(canned.base_url) for url in started)
    assert len(canned.requests) == 1


async def test_next_href_other_host_stops(canned: CannedServer) -> None:
    port = int(canned.base_url.rsplit(":", 1)[1])
    try:
        foreign = await Sink("127.0.0.2", port).__aenter__()
    except OSError as exc:
        pytest.skip(f"cannot listen on 127.0.0.2 on this system: {exc}")
    try:
        canned.add(Canned(200, page(f"http://127.0.0.2:{port}{CHANGELOGS}?page=2")))
        async with traced_client(canned.base_url) as (client, started):
            with pytest.raises(UnsafeRequestError, match="outside the tenant"):
                await walk(client, [])
    finally:
        await foreign.__aexit__(None, None, None)

    assert foreign.connections == 0
    assert all(url.startswith(canned.base_url) for url in started)


async def test_next_href_with_password_stops(canned: CannedServer) -> None:
    host = canned.base_url.removeprefix("http://")
    canned.add(Canned(200, page(f"http://user:pw@{host}{CHANGELOGS}?page=2")))
    async with traced_client(canned.base_url) as (client, _started):
        with pytest.raises(UnsafeRequestError, match="user name or password") as caught:
            await walk(client, [])

    assert "pw" not in caught.value.url
    assert len(canned.requests) == 1


async def test_next_href_scheme_downgrade_stops(
    tls_tenant: TlsCannedServer, client_ssl: ssl.SSLContext, sink: Sink
) -> None:
    port = tls_tenant.base_url.rsplit(":", 1)[1]
    tls_tenant.add(
        Canned(200, page(f"http://127.0.0.1:{port}{CHANGELOGS}?page=2")),
        Canned(200, page(f"{sink.origin}{CHANGELOGS}?page=2")),
    )
    async with traced_client(tls_tenant.base_url, ssl_context=client_ssl) as (client, started):
        for _ in range(2):
            with pytest.raises(UnsafeRequestError, match="outside the tenant"):
                await walk(client, [])

    assert len(tls_tenant.requests) == 2
    assert all(url.startswith("https://") for url in started)
    assert sink.connections == 0


async def test_self_referencing_next_stops(canned: CannedServer) -> None:
    canned.add(Canned(200, page("?sort=-createdAt&limit=2")))
    pages: list[ChangelogPage] = []
    async with traced_client(canned.base_url) as (client, _started):
        with pytest.raises(DecodeError, match="already fetched"):
            await walk(client, pages)

    assert len(pages) == 1
    assert len(canned.requests) == 1


async def test_next_cycle_stops(canned: CannedServer) -> None:
    canned.add(
        Canned(200, page("?sort=-createdAt&limit=2&page=2")),
        Canned(200, page("?sort=-createdAt&limit=2", number=2)),
    )
    async with traced_client(canned.base_url) as (client, _started):
        with pytest.raises(DecodeError, match="already fetched"):
            await walk(client, [])

    assert len(canned.requests) == 2


async def test_next_fragment_cannot_evade_loop_check(canned: CannedServer) -> None:
    canned.add(Canned(200, page("?sort=-createdAt&limit=2#again")))
    async with traced_client(canned.base_url) as (client, _started):
        with pytest.raises(DecodeError, match="already fetched"):
            await walk(client, [])

    assert len(canned.requests) == 1


async def test_pages_past_count_stop(canned: CannedServer) -> None:
    canned.add(
        Canned(200, page("?page=2", pages=2)),
        Canned(200, page("?page=3", number=2, pages=2)),
        Canned(200, page(None, number=3, pages=2)),
    )
    pages: list[ChangelogPage] = []
    async with traced_client(canned.base_url) as (client, _started):
        with pytest.raises(DecodeError, match="says there are 2 pages"):
            await walk(client, pages)

    assert len(pages) == 2
    assert len(canned.requests) == 2


# --- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("operation", ["get", "create"])
async def test_redirect_elsewhere_not_followed(
    canned: CannedServer, sink: Sink, status: int, operation: str
) -> None:
    canned.add(Canned(status, headers={"Location": f"{sink.origin}/collect"}))
    async with traced_client(canned.base_url) as (client, started):
        with pytest.raises(UnsafeRequestError, match="another origin") as caught:
            if operation == "get":
                await client.get(PRODUCT_ID)
            else:
                await client.create(name="Moved")

    assert caught.value.url == f"{sink.origin}/collect"
    assert sink.connections == 0
    assert len(canned.requests) == 1
    assert len(started) == 1


async def test_redirect_same_origin_rejected(canned: CannedServer) -> None:
    canned.add(Canned(302, headers={"Location": f"{canned.base_url}/api/v2/elsewhere"}))
    async with traced_client(canned.base_url) as (client, started):
        with pytest.raises(UnsafeRequestError, match="the same origin") as caught:
            await client.get(PRODUCT_ID)

    assert "Point base_url at the final address" in str(caught.value)
    assert len(canned.requests) == 1
    assert len(started) == 1


async def test_redirect_downgrade_not_followed(
    tls_tenant: TlsCannedServer, client_ssl: ssl.SSLContext, sink: Sink
) -> None:
    tls_tenant.add(Canned(301, headers={"Location": f"{sink.origin}/api"}))
    async with traced_client(tls_tenant.base_url, ssl_context=client_ssl) as (client, started):
        with pytest.raises(UnsafeRequestError, match="another origin"):
            await client.get(PRODUCT_ID)

    assert sink.connections == 0
    assert all(url.startswith("https://") for url in started)


# --- plain HTTP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [
        {"api_key": "key"},
        {"oauth": OAuthClientCredentials("client", "secret")},
    ],
    ids=["api-key", "oauth"],
)
def test_plain_http_remote_rejected(credentials: dict[str, Any]) -> None:
    with pytest.raises(UnsafeRequestError, match="allow_insecure_http"):
        DataProductsClient("http://tenant.example.invalid", **credentials)


def test_plain_http_remote_opt_in() -> None:
    client = DataProductsClient(
        "http://tenant.example.invalid", api_key="key", allow_insecure_http=True
    )

    assert str(client.base_url) == "http://tenant.example.invalid/"


def test_plain_http_from_env_rejected() -> None:
    environ = {"QLIK_TENANT_URL": "http://tenant.example.invalid", "QLIK_API_KEY": "key"}

    with pytest.raises(UnsafeRequestError, match="allow_insecure_http"):
        DataProductsClient.from_env(environ)


# --- the OAuth token request -------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_token_redirect_not_followed(canned: CannedServer, sink: Sink, status: int) -> None:
    canned.add(Canned(status, headers={"Location": f"{sink.origin}/oauth/token"}))
    oauth = OAuthClientCredentials("client", "secret-value")
    async with traced_client(canned.base_url, oauth=oauth) as (client, started):
        with pytest.raises(UnsafeRequestError, match="redirects are not followed") as caught:
            await client.get(PRODUCT_ID)

    assert str(sink.origin) in str(caught.value)
    assert sink.connections == 0
    assert [seen.path for seen in canned.requests] == ["/oauth/token"]
    assert started == [f"{canned.base_url}/oauth/token"]


async def test_token_same_origin_redirect_rejected(canned: CannedServer) -> None:
    canned.add(Canned(307, headers={"Location": "/v2/oauth/token"}))
    oauth = OAuthClientCredentials("client", "secret-value")
    async with traced_client(canned.base_url, oauth=oauth) as (client, _started):
        with pytest.raises(UnsafeRequestError, match="the same origin"):
            await client.get(PRODUCT_ID)

    assert len(canned.requests) == 1


async def test_token_requests_stay_on_tenant(canned: CannedServer, sink: Sink) -> None:
    # A first token, a 401, a second token, then a changelog page whose next link leads to the
    # sink. The second token response also names the sink, which the client must ignore.
    canned.add(
        Canned(200, TOKEN),
        Canned(401, {"errors": [{"code": "HTTP-401", "title": "Unauthorized"}]}),
        Canned(200, {**TOKEN, "access_token": "token-2", "token_endpoint": sink.origin}),
        Canned(200, page(f"{sink.origin}{CHANGELOGS}?page=2")),
    )
    oauth = OAuthClientCredentials("client", "secret-value")
    async with traced_client(canned.base_url, oauth=oauth) as (client, started):
        with pytest.raises(UnsafeRequestError):
            await walk(client, [])
    token_requests = [seen for seen in canned.requests if seen.path == "/oauth/token"]
    api_requests = [seen for seen in canned.requests if seen.path != "/oauth/token"]

    assert sink.connections == 0
    assert all(url.startswith(canned.base_url) for url in started)
    assert len(token_requests) == 2
    assert all("Authorization" not in seen.headers for seen in token_requests)
    assert all(b"secret-value" in seen.body for seen in token_requests)
    assert all(b"secret-value" not in seen.body for seen in api_requests)
    assert [seen.headers["Authorization"] for seen in api_requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
