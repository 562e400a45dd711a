"""Tests of the emulator's OAuth2 client-credentials tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from qlik_dataproducts.emulator import Emulator
from tests.clock import FakeClock

BASE = "/api/data-governance/data-products"


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(clock=clock, token_lifetime=600.0) as running:
        yield running


@pytest.fixture
async def session(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(emulator.base_url) as client:
        yield client


def credentials(emulator: Emulator, **overrides: Any) -> dict[str, Any]:
    body = {
        "client_id": emulator.oauth_client_id,
        "client_secret": emulator.oauth_client_secret,
        "grant_type": "client_credentials",
    }
    body.update(overrides)
    return body


async def issue_token(session: aiohttp.ClientSession, emulator: Emulator) -> dict[str, Any]:
    async with session.post("/oauth/token", json=credentials(emulator)) as response:
        assert response.status == 200
        token: dict[str, Any] = await response.json()
        return token


async def get_status(session: aiohttp.ClientSession, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(f"{BASE}/missing", headers=headers) as response:
        return response.status


async def test_token_issued(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    token = await issue_token(session, emulator)

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 600
    assert isinstance(token["access_token"], str)
    assert emulator.token_requests == 1


async def test_token_expires_at_iso(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    before = datetime.now().astimezone()

    token = await issue_token(session, emulator)

    expires_at = datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
    assert token["expires_at"].endswith("Z")
    assert expires_at - before > timedelta(seconds=590)
    assert expires_at - before < timedelta(seconds=610)


async def test_token_authenticates(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    token = await issue_token(session, emulator)

    assert await get_status(session, token["access_token"]) == 404


async def test_token_principal_is_client_user(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    token = await issue_token(session, emulator)
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    async with session.post(BASE, json={"name": "Sales"}, headers=headers) as response:
        product = await response.json()

    assert product["ownerId"] == emulator.oauth_user_id(emulator.oauth_client_id)
    assert emulator.requests[-1].principal == product["ownerId"]


async def test_token_expires_by_clock(
    session: aiohttp.ClientSession, emulator: Emulator, clock: FakeClock
) -> None:
    token = await issue_token(session, emulator)

    clock.now += 599.9
    assert await get_status(session, token["access_token"]) == 404
    clock.now += 0.1
    assert await get_status(session, token["access_token"]) == 401


async def test_form_encoded_request(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    async with session.post("/oauth/token", data=credentials(emulator)) as response:
        assert response.status == 200


async def test_scope_accepted(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    body = credentials(emulator, scope="user_default")
    async with session.post("/oauth/token", json=body) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    "overrides",
    [{"client_secret": "wrong"}, {"client_id": "unknown"}],
)
async def test_bad_credentials_answer_401(
    session: aiohttp.ClientSession, emulator: Emulator, overrides: dict[str, str]
) -> None:
    async with session.post("/oauth/token", json=credentials(emulator, **overrides)) as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"] == "invalid_client"
    assert emulator.token_requests == 0


async def test_bad_grant_type_answers_400(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    body = credentials(emulator, grant_type="password")
    async with session.post("/oauth/token", json=body) as response:
        error = await response.json()

    assert response.status == 400
    assert error["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"grant_type": "client_credentials"}', b'{"client_id": "x"}'],
)
async def test_malformed_request_answers_400(session: aiohttp.ClientSession, body: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    async with session.post("/oauth/token", data=body, headers=headers) as response:
        error = await response.json()

    assert response.status == 400
    assert error["error"] in {"invalid_request", "unsupported_grant_type"}


async def test_record_hides_client_secret(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    token = await issue_token(session, emulator)

    record = emulator.requests[-1]
    assert record.operation == "oauth_token"
    assert record.body["client_secret"] == "***"
    assert emulator.oauth_client_secret not in repr(emulator.requests)
    assert token["access_token"] not in repr(emulator.requests)


async def test_configured_clients(clock: FakeClock) -> None:
    clients = {"client-a": "secret-a", "client-b": "secret-b"}
    async with (
        Emulator(clock=clock, oauth_clients=clients) as emulator,
        aiohttp.ClientSession(emulator.base_url) as session,
    ):
        body = {
            "client_id": "client-b",
            "client_secret": "secret-b",
            "grant_type": "client_credentials",
        }
        async with session.post("/oauth/token", json=body) as response:
            assert response.status == 200

    assert emulator.oauth_client_id == "client-a"


def test_empty_clients_rejected() -> None:
    with pytest.raises(ValueError, match="oauth_clients"):
        Emulator(oauth_clients={})
