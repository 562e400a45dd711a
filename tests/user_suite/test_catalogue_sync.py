"""Tests of catalogue_sync, written the way a user of qlik-dataproducts writes them.

They use only the public API and the fixtures of the qlik_dataproducts pytest plugin, and
run in pytest-asyncio's strict mode as well as its auto mode.
"""

from __future__ import annotations

import pytest
from catalogue_sync import Entry, sync_catalogue

from qlik_dataproducts import DataProductsClient, UnprocessableEntityError
from qlik_dataproducts.emulator import (
    Emulator,
    Fault,
    FaultInjector,
    RecordedRequest,
    VirtualClock,
)

pytestmark = pytest.mark.asyncio

SALES_ID = "65f0a1b2c3d4e5f6a7b8c9d0"
STOCK_ID = "65f0a1b2c3d4e5f6a7b8c9d1"
SALES = Entry("Sales", "Orders and invoices", ("finance",), ("ds-orders", "ds-invoices"))
STOCK = Entry("Stock", dataset_ids=("ds-stock",))


async def test_sync_creates_missing_products(
    qlik_client: DataProductsClient, qlik_emulator: Emulator
) -> None:
    lock: dict[str, str] = {}

    report = await sync_catalogue(qlik_client, {"sales": SALES, "stock": STOCK}, lock)
    products = qlik_emulator.state.snapshot()

    assert report.created == ["sales", "stock"]
    assert products[lock["sales"]]["datasetIds"] == ["ds-orders", "ds-invoices"]
    assert products[lock["stock"]]["name"] == "Stock"
    assert sorted(report.quality_batches) == ["sales", "stock"]


@pytest.mark.qlik_seed("seed.json")
async def test_sync_replaces_drifted_fields(
    qlik_client: DataProductsClient,
    qlik_emulator: Emulator,
    qlik_requests: list[RecordedRequest],
) -> None:
    lock = {"sales": SALES_ID, "stock": STOCK_ID}
    renamed = Entry("Sales EMEA", SALES.description, SALES.tags, SALES.dataset_ids)

    report = await sync_catalogue(qlik_client, {"sales": renamed, "stock": STOCK}, lock)
    patches = [request.body for request in qlik_requests if request.operation == "patch"]

    assert report.updated == ["sales"]
    assert report.unchanged == ["stock"]
    assert report.quality_batches == {}
    assert patches == [[{"op": "replace", "path": "/name", "value": "Sales EMEA"}]]
    assert qlik_emulator.state.snapshot()[SALES_ID]["name"] == "Sales EMEA"
    assert qlik_emulator.state.changelog(SALES_ID)[-1]["changes"][0]["path"] == "/name"


@pytest.mark.qlik_seed([{"id": STOCK_ID, "name": "Stock", "datasetIds": ["ds-old"]}])
async def test_sync_requests_quality_after_dataset_change(
    qlik_client: DataProductsClient, qlik_requests: list[RecordedRequest]
) -> None:
    report = await sync_catalogue(qlik_client, {"stock": STOCK}, {"stock": STOCK_ID})
    quality = [request for request in qlik_requests if request.operation == "compute_data_quality"]

    assert report.updated == ["stock"]
    assert list(report.quality_batches) == ["stock"]
    assert [request.status for request in quality] == [202]


async def test_sync_recreates_deleted_product(
    qlik_client: DataProductsClient, qlik_requests: list[RecordedRequest]
) -> None:
    lock = {"stock": "65f0a1b2c3d4e5f6a7b8ffff"}

    report = await sync_catalogue(qlik_client, {"stock": STOCK}, lock)

    assert report.created == ["stock"]
    assert lock["stock"] != "65f0a1b2c3d4e5f6a7b8ffff"
    assert [(request.operation, request.status) for request in qlik_requests[:2]] == [
        ("get", 404),
        ("create", 201),
    ]


@pytest.mark.qlik_seed("seed.json")
@pytest.mark.qlik_virtual_time
async def test_sync_retries_unavailable_service(
    qlik_client: DataProductsClient,
    qlik_faults: FaultInjector,
    qlik_requests: list[RecordedRequest],
) -> None:
    qlik_faults.add(Fault("status_503", operations="get", probability=1.0, count=2))

    report = await sync_catalogue(qlik_client, {"stock": STOCK}, {"stock": STOCK_ID})
    gets = [request.status for request in qlik_requests if request.operation == "get"]

    assert report.unchanged == ["stock"]
    assert gets == [503, 503, 200]


@pytest.mark.qlik_emulator(max_products=1)
async def test_sync_stops_at_product_limit(
    qlik_client: DataProductsClient, qlik_emulator: Emulator
) -> None:
    lock: dict[str, str] = {}

    with pytest.raises(UnprocessableEntityError):
        await sync_catalogue(qlik_client, {"sales": SALES, "stock": STOCK}, lock)

    assert list(lock) == ["sales"]
    assert len(qlik_emulator.state.snapshot()) == 1


async def test_quality_requests_stay_in_tier(
    qlik_virtual_clock: VirtualClock, qlik_client: DataProductsClient, qlik_emulator: Emulator
) -> None:
    # 60 new products with datasets: 60 data quality requests against a tier of 10 a minute.
    catalogue = {
        f"p{index}": Entry(f"Product {index}", dataset_ids=("ds-1",)) for index in range(60)
    }

    report = await sync_catalogue(qlik_client, catalogue, {})

    assert len(report.quality_batches) == 60
    assert qlik_emulator.rate_limited.total == 0
    # A fresh client bursts 49 requests, then sends one every 6 s: over a minute in all.
    assert qlik_virtual_clock.jumped > 60
