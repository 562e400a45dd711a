"""OAuth token requests meeting the emulator's injected faults."""

from __future__ import annotations

import pytest

from qlik_dataproducts import (
    DataProductsClient,
    OAuthClientCredentials,
    RetryPolicy,
    ServiceUnavailableError,
)
from qlik_dataproducts.emulator import Emulator, Fault

FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05)


def oauth_client(emulator: Emulator, retry: RetryPolicy = FAST_RETRY) -> DataProductsClient:
    credentials = OAuthClientCredentials(emulator.oauth_client_id, emulator.oauth_client_secret)
    return DataProductsClient(emulator.base_url, oauth=credentials, retry=retry)


@pytest.mark.parametrize("kind", ["status_503", "status_500", "reset_before", "truncated"])
async def test_token_fault_retried(kind: str) -> None:
    fault = Fault(kind, operations={"oauth_token"}, probability=1, count=1)
    async with Emulator(faults=[fault]) as emulator:
        async with oauth_client(emulator) as client:
            product = await client.create(name="Behind a flaky token endpoint")
        assert emulator.faults.fired[kind] == 1
        assert product.id in emulator.state.snapshot()


async def test_token_outage_raises_typed_error() -> None:
    fault = Fault("status_503", operations={"oauth_token"}, probability=1)
    async with Emulator(faults=[fault]) as emulator:
        async with oauth_client(emulator) as client:
            with pytest.raises(ServiceUnavailableError):
                await client.get("0123456789abcdef01234567")
        assert emulator.state.snapshot() == {}


def test_fault_names_token_endpoint() -> None:
    assert Fault("status_503", operations={"oauth_token"}).matches("oauth_token")


def test_fault_rejects_unknown_operation() -> None:
    with pytest.raises(ValueError, match="oauth_token"):
        Fault("status_503", operations={"token"})
