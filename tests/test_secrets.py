"""Secrets never leak: API keys, OAuth client secrets and access tokens stay out of every output.

Each test runs a workload against the emulator that includes 401s, 429s, retries and failures.
It collects every log record at DEBUG, every exception (str, repr, attributes and chained
causes), the repr and str of the objects involved, and the CLI's output and files. Then it
searches all of that for each secret.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from qlik_dataproducts import (
    ClientSettings,
    DataProductsClient,
    OAuthClientCredentials,
    QlikDataProductsError,
    Replace,
    RetryPolicy,
    TierLimit,
)
from qlik_dataproducts._operations import RawResponse, Request
from qlik_dataproducts._transport import Transport
from qlik_dataproducts.cli import main
from qlik_dataproducts.emulator import Emulator, Fault

API_KEY = "apikey-" + secrets.token_hex(16)
WRONG_API_KEY = "wrongkey-" + secrets.token_hex(16)
CLIENT_ID = "client-" + secrets.token_hex(8)
CLIENT_SECRET = "clientsecret-" + secrets.token_hex(16)
WRONG_CLIENT_SECRET = "wrongsecret-" + secrets.token_hex(16)
PROVIDER_TOKEN = "providertoken-" + secrets.token_hex(16)

RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, max_retry_after=2)
FAULTS = [
    Fault("status_503", probability=0.3),
    Fault("gateway_502_html", probability=0.05),
    Fault("reset_before", probability=0.03),
]
# The emulator's minute lasts 0.5 s here, and the client's buckets are scaled to match, so a
# 429 pauses a tier for milliseconds instead of draining it at the documented per-minute rate.
MINUTE_SECONDS = 0.5
EMULATOR_TIERS = {"tier1": 300, "tier2": 60}
CLIENT_TIERS = {
    name: TierLimit(limit, window_minutes=1, minute_seconds=MINUTE_SECONDS)
    for name, limit in EMULATOR_TIERS.items()
}
CATALOGUE_LINES = "".join(
    f'{{"name": "Secret test {n}", "activate": {"true" if n % 2 else "false"}}}\n' for n in range(8)
)


class Evidence:
    """Every text a run produced, searched for secrets at the end."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.exceptions = 0

    def add(self, *texts: str) -> None:
        self.texts.extend(texts)

    def add_object(self, value: object) -> None:
        self.add(repr(value), str(value))

    def add_exception(self, error: BaseException) -> None:
        # Walk __cause__ and __context__ as a traceback would, and every attribute too.
        pending: list[BaseException] = [error]
        visited: set[int] = set()
        while pending:
            current = pending.pop()
            if id(current) in visited:
                continue
            visited.add(id(current))
            self.exceptions += 1
            self.add(str(current), repr(current), repr(vars(current)), repr(current.args))
            pending.extend(
                chained
                for chained in (
                    current.__cause__,
                    current.__context__,
                    getattr(current, "cause", None),
                )
                if isinstance(chained, BaseException)
            )

    def add_results(self, results: Iterable[object]) -> None:
        for result in results:
            if isinstance(result, BaseException):
                self.add_exception(result)
            else:
                self.add_object(result)

    def add_records(self, records: Iterable[logging.LogRecord]) -> None:
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        for record in records:
            self.add(formatter.format(record), repr(record.args), repr(record.msg))

    def leaks(self, secret: str) -> list[str]:
        """Return the texts that contain ``secret`` or a 12-character piece of it."""
        pieces = {secret} | {secret[i : i + 12] for i in range(0, len(secret) - 11, 4)}
        return [text[:200] for text in self.texts if any(piece in text for piece in pieces)]


@pytest.fixture
def evidence() -> Evidence:
    return Evidence()


@pytest.fixture
def access_tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every access token the client receives, to search for them afterwards."""
    tokens: list[str] = []
    fetch_token = Transport.fetch_token

    async def recording(self: Transport, path: str, body: Mapping[str, str]) -> Mapping[str, Any]:
        answer = await fetch_token(self, path, body)
        tokens.append(str(answer.get("access_token")))
        return answer

    monkeypatch.setattr(Transport, "fetch_token", recording)
    return tokens


@pytest.fixture
def exchanges(monkeypatch: pytest.MonkeyPatch, evidence: Evidence) -> None:
    """Add the repr and str of every request and response the transport handles."""
    attempt = Transport._attempt

    async def recording(
        self: Transport, request: Request, token: str, timeout: float
    ) -> RawResponse:
        evidence.add_object(request)
        response = await attempt(self, request, token, timeout)
        evidence.add_object(response)
        evidence.add(repr(dict(response.headers)))
        return response

    monkeypatch.setattr(Transport, "_attempt", recording)


def check_no_leaks(evidence: Evidence, tokens: Iterable[str]) -> None:
    known = {
        "API key": API_KEY,
        "wrong API key": WRONG_API_KEY,
        "client secret": CLIENT_SECRET,
        "wrong client secret": WRONG_CLIENT_SECRET,
        "provider token": PROVIDER_TOKEN,
    }
    known.update({f"access token {n}": token for n, token in enumerate(tokens)})
    for name, secret in known.items():
        assert evidence.leaks(secret) == [], f"the {name} leaked"


def emulator(faults: list[Fault], **options: Any) -> Emulator:
    return Emulator(
        api_key=API_KEY,
        oauth_clients={CLIENT_ID: CLIENT_SECRET},
        faults=faults,
        seed=11,
        **options,
    )


async def workload(client: DataProductsClient, label: str) -> list[object]:
    """Create, read, change, page through and delete products, keeping errors as results."""

    async def one(number: int) -> object:
        product = await client.create(name=f"{label} {number}", tags=["secret-test"])
        await client.patch(product.id, [Replace("/description", f"v{number}")])
        pages = [page async for page in client.changelog_pages(product.id, limit=1)]
        await client.get(product.id)
        await client.delete(product.id)
        return len(pages)

    results: list[object] = list(
        await asyncio.gather(*(one(number) for number in range(40)), return_exceptions=True)
    )
    results.extend(
        await asyncio.gather(
            *(client.get("0123456789abcdef01234567") for _ in range(5)), return_exceptions=True
        )
    )
    return results


async def test_library_run_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
    evidence: Evidence,
    access_tokens: list[str],
    exchanges: None,
) -> None:
    caplog.set_level(logging.DEBUG)
    # Small tiers make the emulator return 429, and 0.3 s tokens expire during the run. The
    # OAuth client's clock does not move, so it keeps using expired tokens until a 401.
    injected_429 = Fault("status_429", probability=0.05, retry_after=0.05)
    async with emulator(
        [*FAULTS, injected_429],
        tier_limits=EMULATOR_TIERS,
        minute_seconds=MINUTE_SECONDS,
        window_minutes=1,
        token_lifetime=0.3,
    ) as server:
        oauth = OAuthClientCredentials(CLIENT_ID, CLIENT_SECRET, clock=lambda: 0.0)
        wrong_oauth = OAuthClientCredentials(CLIENT_ID, WRONG_CLIENT_SECRET)
        provider_calls = 0

        async def provider() -> str:
            nonlocal provider_calls
            provider_calls += 1
            return PROVIDER_TOKEN if provider_calls == 1 else API_KEY

        credentials: dict[str, dict[str, Any]] = {
            "oauth": {"oauth": oauth},
            "api key": {"api_key": API_KEY},
            "provider": {"token_provider": provider},
            "wrong key": {"api_key": WRONG_API_KEY},
            "wrong secret": {"oauth": wrong_oauth},
        }
        clients = {
            label: DataProductsClient(
                server.base_url, retry=RETRY, tier_limits=CLIENT_TIERS, **credential
            )
            for label, credential in credentials.items()
        }
        started = time.monotonic()
        for label, client in clients.items():
            async with client:
                evidence.add_results(await workload(client, label))
                evidence.add_object(client)
                evidence.add_object(client.stats)
        evidence.add_object(oauth)
        evidence.add_object(wrong_oauth)
        evidence.add_object(ClientSettings(server.base_url, api_key=API_KEY))
        evidence.add_object(
            ClientSettings(
                server.base_url, oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET
            )
        )
        evidence.add_object(server)
        statuses = [request.status for request in server.requests]
    evidence.add_records(caplog.records)

    # The run must have gone through every path it is meant to cover.
    assert time.monotonic() - started < 30
    assert statuses.count(401) >= 10
    assert statuses.count(429) >= 10
    assert statuses.count(503) >= 10
    assert len(access_tokens) >= 2
    assert provider_calls == 2
    assert evidence.exceptions >= 50
    assert any("retrying" in record.getMessage() for record in caplog.records)
    check_no_leaks(evidence, access_tokens)


async def test_settings_errors_leak_nothing(evidence: Evidence) -> None:
    attempts: list[dict[str, Any]] = [
        {"api_key": API_KEY, "oauth_client_id": CLIENT_ID, "oauth_client_secret": CLIENT_SECRET},
        {"oauth_client_secret": CLIENT_SECRET},
        {"oauth_client_id": CLIENT_ID, "api_key": API_KEY},
    ]
    for tenant in ("https://tenant.example.invalid", "", f"https://me:{CLIENT_SECRET}@t.invalid"):
        for credentials in attempts:
            with pytest.raises(QlikDataProductsError) as caught:
                ClientSettings(tenant, **credentials)
            evidence.add_exception(caught.value)

    assert evidence.exceptions >= 9
    check_no_leaks(evidence, [])


async def run_cli(arguments: list[str]) -> int:
    # main() runs its own event loop, so it needs a thread of its own.
    return await asyncio.to_thread(main, arguments)


@pytest.mark.parametrize(
    ("secret", "statuses"),
    [(CLIENT_SECRET, {0, 1}), (WRONG_CLIENT_SECRET, {3})],
    ids=["valid", "wrong"],
)
async def test_cli_oauth_run_leaks_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    evidence: Evidence,
    access_tokens: list[str],
    secret: str,
    statuses: set[int],
) -> None:
    caplog.set_level(logging.DEBUG)
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text(CATALOGUE_LINES, encoding="utf-8")
    outputs = ["--docs-dir", str(tmp_path / "docs"), "--results", str(tmp_path / "results.jsonl")]
    # Tokens live 0.2 s, so the CLI's client fetches several during the run. The CLI paces its
    # tiers at the documented rates, so no fault here pauses a tier. Its default retry backoff
    # is slower than the library test's, so fewer faults keep the run short.
    faults = [Fault("status_503", probability=0.15), Fault("gateway_502_html", probability=0.05)]
    async with emulator(faults, token_lifetime=0.2, latency=0.02) as server:
        monkeypatch.setenv("QLIK_TENANT_URL", server.base_url)
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("QLIK_OAUTH_CLIENT_SECRET", secret)
        monkeypatch.delenv("QLIK_API_KEY", raising=False)
        monkeypatch.delenv("QLIK_OAUTH_SCOPE", raising=False)
        status = await run_cli(["-vv", "migrate", "--concurrency", "2", str(catalogue), *outputs])
    captured = capsys.readouterr()
    files = [path for path in tmp_path.rglob("*") if path.is_file() and path != catalogue]
    evidence.add(captured.out, captured.err)
    evidence.add(*(path.read_text(encoding="utf-8") for path in files))
    evidence.add_records(caplog.records)

    assert status in statuses
    assert (tmp_path / "results.jsonl").is_file()
    assert (tmp_path / "results.jsonl.journal").is_file()
    if secret == CLIENT_SECRET:
        assert "DEBUG" in captured.err
        assert len(access_tokens) >= 2
        assert len(list((tmp_path / "docs").iterdir())) >= 1
    check_no_leaks(evidence, access_tokens)
