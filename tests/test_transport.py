"""Retries, timeouts, redirects and cancellation, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from qlik_dataproducts import (
    DataProductsClient,
    InternalServerError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    TransportError,
    UnsafeRequestError,
)
from qlik_dataproducts.emulator import Emulator, Fault
from tests.canned import Canned, CannedServer, error_body
from tests.conftest import FAST_RETRY

PRODUCT_ID = "0123456789abcdef01234567"
PRODUCT = {
    "id": PRODUCT_ID,
    "qri": f"qri:data-product://{PRODUCT_ID}",
    "name": "Sales",
    "tags": [],
    "ownerId": "u",
    "tenantId": "t",
    "createdAt": "2026-01-01T00:00:00Z",
    "createdBy": "u",
    "updatedAt": "2026-01-01T00:00:00Z",
    "updatedBy": "u",
    "datasetIds": [],
    "activatedOn": [],
    "glossaryIds": [],
    "keyContacts": [],
    "apiConsumableDatasetIds": [],
}


@pytest.fixture
async def retrying(canned: CannedServer) -> AsyncIterator[DataProductsClient]:
    async with DataProductsClient(canned.base_url, api_key="k", retry=FAST_RETRY) as client:
        yield client


async def test_503_retried_for_create(canned: CannedServer, retrying: DataProductsClient) -> None:
    canned.add(Canned(503, error_body(503)), Canned(201, PRODUCT))
    product = await retrying.create(name="Sales")
    assert product.id == PRODUCT_ID
    assert len(canned.requests) == 2


async def test_500_retried_for_get(canned: CannedServer, retrying: DataProductsClient) -> None:
    canned.add(Canned(500, error_body(500)), Canned(200, PRODUCT))
    assert (await retrying.get(PRODUCT_ID)).name == "Sales"


async def test_500_not_repeated_for_create(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(500, error_body(500)), Canned(201, PRODUCT))
    with pytest.raises(OutcomeUnknownError) as caught:
        await retrying.create(name="Sales")
    assert isinstance(caught.value.cause, InternalServerError)
    assert len(canned.requests) == 1


async def test_outcome_unknown_message_says_check(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(504, error_body(504)))
    with pytest.raises(OutcomeUnknownError, match="check its state before sending it again"):
        await retrying.activate(PRODUCT_ID, name="Sales")


async def test_retries_exhausted_raise_last_error(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(503, error_body(503)))
    with pytest.raises(Exception, match="503"):
        await retrying.get(PRODUCT_ID)
    assert len(canned.requests) == FAST_RETRY.max_attempts


async def test_429_retried_after_wait(canned: CannedServer, retrying: DataProductsClient) -> None:
    canned.add(Canned(429, error_body(429), headers={"retry-after": "0.2"}), Canned(201, PRODUCT))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await retrying.create(name="Sales")
    assert loop.time() - started >= 0.2
    assert retrying.stats.tiers["tier2"].rate_limited == 1


async def test_429_http_date_retry_after(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(
        Canned(429, error_body(429), headers={"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}),
        Canned(200, PRODUCT),
    )
    assert (await retrying.get(PRODUCT_ID)).id == PRODUCT_ID


async def test_429_without_header_backs_off(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(429, error_body(429)), Canned(200, PRODUCT))
    assert (await retrying.get(PRODUCT_ID)).id == PRODUCT_ID


async def test_429_too_long_raises_at_once(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(429, error_body(429), headers={"retry-after": "3600"}))
    with pytest.raises(RateLimitError) as caught:
        await retrying.get(PRODUCT_ID)
    assert caught.value.retry_after == 3600.0
    assert len(canned.requests) == 1


async def test_429_pauses_other_tasks_same_tier(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(429, error_body(429), headers={"retry-after": "0.3"}))
    canned.add(*(Canned(200, PRODUCT) for _ in range(3)))
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.ensure_future(retrying.get(PRODUCT_ID))
    await asyncio.sleep(0.05)
    # The tier is paused now: a new task of the same tier waits for the pause too.
    await retrying.get(PRODUCT_ID)
    assert loop.time() - started >= 0.3
    await first


async def test_429_leaves_other_tier_running(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(429, error_body(429), headers={"retry-after": "0.5"}))
    canned.add(Canned(204), Canned(200, PRODUCT))
    loop = asyncio.get_running_loop()
    paused = asyncio.ensure_future(retrying.get(PRODUCT_ID))
    await asyncio.sleep(0.05)
    started = loop.time()
    await retrying.deactivate(PRODUCT_ID)
    assert loop.time() - started < 0.3
    await paused


async def test_per_call_retry_override(canned: CannedServer, retrying: DataProductsClient) -> None:
    canned.add(Canned(503, error_body(503)), Canned(200, PRODUCT))
    with pytest.raises(Exception, match="503"):
        await retrying.get(PRODUCT_ID, retry=RetryPolicy(max_attempts=1))


async def test_timeout_per_call(canned: CannedServer, retrying: DataProductsClient) -> None:
    canned.add(Canned(200, PRODUCT, delay=1.0))
    with pytest.raises(RequestTimeoutError):
        await retrying.get(PRODUCT_ID, timeout=0.1, retry=RetryPolicy(max_attempts=1))


async def test_timeout_on_create_outcome_unknown(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(201, PRODUCT, delay=1.0))
    with pytest.raises(OutcomeUnknownError) as caught:
        await retrying.create(name="Sales", timeout=0.1)
    assert isinstance(caught.value.cause, RequestTimeoutError)


async def test_deadline_covers_retries(canned: CannedServer) -> None:
    slow_retry = RetryPolicy(max_attempts=10, backoff_base=0.2, backoff_max=0.2)
    canned.add(Canned(503, error_body(503), headers={"retry-after": "0.2"}))
    async with DataProductsClient(canned.base_url, api_key="k", retry=slow_retry) as client:
        with pytest.raises(RequestTimeoutError, match="deadline"):
            await client.get(PRODUCT_ID, deadline=0.5)


async def test_connection_refused_is_transport_error() -> None:
    async with CannedServer() as server:
        base_url = server.base_url
    async with DataProductsClient(base_url, api_key="k", retry=FAST_RETRY) as client:
        with pytest.raises(TransportError, match="cannot connect"):
            await client.get(PRODUCT_ID)


async def test_truncated_body_retried_for_get(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(200, PRODUCT, truncate=True), Canned(200, PRODUCT))
    assert (await retrying.get(PRODUCT_ID)).id == PRODUCT_ID


async def test_truncated_body_on_create_unknown(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(201, PRODUCT, truncate=True))
    with pytest.raises(OutcomeUnknownError):
        await retrying.create(name="Sales")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirect_not_followed(
    canned: CannedServer, retrying: DataProductsClient, status: int
) -> None:
    canned.add(Canned(status, headers={"Location": "http://127.0.0.2:9/steal"}))
    with pytest.raises(UnsafeRequestError, match="redirects are not followed"):
        await retrying.get(PRODUCT_ID)
    assert len(canned.requests) == 1


async def test_same_origin_redirect_refused(
    canned: CannedServer, retrying: DataProductsClient
) -> None:
    canned.add(Canned(307, headers={"Location": "/elsewhere"}))
    with pytest.raises(UnsafeRequestError, match="same origin"):
        await retrying.create(name="Sales")


async def test_delete_retry_finding_404_succeeds(emulator: Emulator) -> None:
    async with DataProductsClient(
        emulator.base_url, api_key=emulator.api_key, retry=FAST_RETRY
    ) as client:
        product = await client.create(name="Gone")
        emulator.faults.add(Fault("reset_after", operations={"delete"}, probability=1, count=1))
        assert await client.delete(product.id) is None
    assert product.id not in emulator.state.snapshot()


async def test_create_reset_after_is_unknown(emulator: Emulator) -> None:
    emulator.faults.add(Fault("reset_after", operations={"create"}, probability=1, count=1))
    async with DataProductsClient(
        emulator.base_url, api_key=emulator.api_key, retry=FAST_RETRY
    ) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.create(name="Maybe")
    # The server applied it once, and the client did not send it twice.
    assert len(emulator.state.snapshot()) == 1


async def test_create_reset_before_is_unknown(emulator: Emulator) -> None:
    emulator.faults.add(Fault("reset_before", operations={"create"}, probability=1, count=1))
    async with DataProductsClient(
        emulator.base_url, api_key=emulator.api_key, retry=FAST_RETRY
    ) as client:
        with pytest.raises(OutcomeUnknownError):
            await client.create(name="Maybe")
    assert emulator.state.snapshot() == {}


async def test_retry_logged_at_debug(
    canned: CannedServer, retrying: DataProductsClient, caplog: pytest.LogCaptureFixture
) -> None:
    canned.add(Canned(503, error_body(503)), Canned(200, PRODUCT))
    with caplog.at_level(logging.DEBUG, logger="qlik_dataproducts"):
        await retrying.get(PRODUCT_ID)
    retries = [r for r in caplog.records if "retrying get" in r.getMessage()]
    assert len(retries) == 1
    assert "trace-503" in retries[0].getMessage()


async def test_close_cancels_running_calls(canned: CannedServer) -> None:
    canned.add(Canned(200, PRODUCT, delay=0.8))
    client = DataProductsClient(canned.base_url, api_key="k")
    async with client:
        calls = [asyncio.ensure_future(client.get(PRODUCT_ID)) for _ in range(5)]
        await asyncio.sleep(0.1)
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)


async def test_cancel_one_call_others_finish(canned: CannedServer) -> None:
    canned.add(Canned(200, PRODUCT, delay=0.3))
    async with DataProductsClient(canned.base_url, api_key="k") as client:
        calls = [asyncio.ensure_future(client.get(PRODUCT_ID)) for _ in range(4)]
        await asyncio.sleep(0.05)
        calls[0].cancel()
        results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert all(getattr(result, "id", None) == PRODUCT_ID for result in results[1:])


async def test_call_after_close_fails(canned: CannedServer) -> None:
    client = DataProductsClient(canned.base_url, api_key="k")
    async with client:
        pass
    with pytest.raises(TransportError, match="closed"):
        await client.get(PRODUCT_ID)


def test_repeated_asyncio_run_no_warnings(recwarn: pytest.WarningsRecorder) -> None:
    async def one_run() -> str:
        async with Emulator() as emulator:
            async with DataProductsClient(emulator.base_url, api_key=emulator.api_key) as client:
                return (await client.create(name="Run")).name

    for _ in range(3):
        assert asyncio.run(one_run()) == "Run"
    assert len(recwarn) == 0
