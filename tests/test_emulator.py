"""Tests of the emulator's product operations, authentication and request record."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from qlik_dataproducts.emulator import TENANT_ID, Emulator
from tests.clock import FakeClock

BASE = "/api/data-governance/data-products"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(clock=FakeClock()) as running:
        yield running


async def create(session: aiohttp.ClientSession, **fields: Any) -> dict[str, Any]:
    body = {"name": "Sales", **fields}
    async with session.post(BASE, json=body) as response:
        assert response.status == 201, await response.text()
        product: dict[str, Any] = await response.json()
        return product


async def get(session: aiohttp.ClientSession, product_id: str) -> dict[str, Any]:
    async with session.get(f"{BASE}/{product_id}") as response:
        assert response.status == 200
        product: dict[str, Any] = await response.json()
        return product


async def test_create_answers_201(session: aiohttp.ClientSession) -> None:
    async with session.post(BASE, json={"name": "Sales"}) as response:
        assert response.status == 201
        assert response.content_type == "application/json"


async def test_create_fills_server_fields(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)

    assert re.fullmatch(r"[0-9a-f]{24}", product["id"])
    assert product["qri"] == f"qri:data-product://{product['id']}"
    assert product["tenantId"] == TENANT_ID
    assert product["ownerId"] == emulator.api_key_user_id
    assert product["createdBy"] == emulator.api_key_user_id
    assert product["updatedBy"] == emulator.api_key_user_id
    assert TIMESTAMP.fullmatch(product["createdAt"])
    assert product["updatedAt"] == product["createdAt"]
    assert product["activated"] is False
    assert product["pendingChangesCount"] == 0


async def test_create_lists_default_empty(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    for field in (
        "tags",
        "datasetIds",
        "glossaryIds",
        "keyContacts",
        "activatedOn",
        "apiConsumableDatasetIds",
    ):
        assert product[field] == [], field


async def test_create_keeps_given_fields(session: aiohttp.ClientSession) -> None:
    fields = {
        "description": "Monthly sales",
        "readMe": "# Sales",
        "spaceId": "space-1",
        "tags": ["finance"],
        "datasetIds": ["ds-1", "ds-2"],
        "glossaryIds": ["0f8fad5b-d9cb-469f-a165-70867728950e"],
        "keyContacts": [{"userId": "u1", "role": "Data Steward"}],
        "apiConsumableDatasetIds": ["ds-2"],
    }
    product = await create(session, **fields)

    for key, value in fields.items():
        assert product[key] == value, key


async def test_create_without_datasets_omits_scores(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    assert "quality" not in product
    assert "trustScore" not in product


async def test_create_with_datasets_derives_scores(session: aiohttp.ClientSession) -> None:
    product = await create(session, datasetIds=["ds-1", "ds-2"])

    assert set(product["quality"]) == {"validity", "completeness"}
    assert product["trustScore"]["applicableDatasets"] == 2
    dimension_ids = [dimension["id"] for dimension in product["trustScore"]["dimensions"]]
    assert dimension_ids == [
        "USAGE",
        "DIVERSITY",
        "COMPLETENESS",
        "VALIDITY",
        "DISCOVERABILITY",
        "TIMELINESS",
        "ACCURACY",
    ]


async def test_scores_repeat_for_same_datasets(session: aiohttp.ClientSession) -> None:
    first = await create(session, name="A", datasetIds=["ds-1"])
    second = await create(session, name="B", datasetIds=["ds-1"])

    assert first["quality"] == second["quality"]
    assert first["trustScore"] == second["trustScore"]


async def test_get_returns_created_product(session: aiohttp.ClientSession) -> None:
    product = await create(session, description="d")

    assert await get(session, product["id"]) == product


async def test_get_unknown_id_answers_404(session: aiohttp.ClientSession) -> None:
    async with session.get(f"{BASE}/000000000000000000000000") as response:
        body = await response.json()

    assert response.status == 404
    assert body["errors"][0]["status"] == "404"
    assert body["errors"][0]["code"] == "HTTP-404"
    assert "000000000000000000000000" in body["errors"][0]["detail"]
    assert isinstance(body["traceId"], str)


async def test_error_trace_ids_differ(session: aiohttp.ClientSession) -> None:
    trace_ids = set()
    for _ in range(2):
        async with session.get(f"{BASE}/missing") as response:
            trace_ids.add((await response.json())["traceId"])

    assert len(trace_ids) == 2


async def test_get_encoded_slash_id(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.seed([{"id": "a/b c", "name": "Odd id"}])
    url = aiohttp.client.URL(f"{emulator.base_url}{BASE}/a%2Fb%20c", encoded=True)

    async with session.get(url) as response:
        body = await response.json()

    assert response.status == 200
    assert body["id"] == "a/b c"


async def test_patch_answers_204_without_body(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    operations = [{"op": "replace", "path": "/name", "value": "Revenue"}]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 204
        assert await response.read() == b""


async def test_patch_replaces_fields(session: aiohttp.ClientSession) -> None:
    product = await create(session, tags=["a"])
    operations = [
        {"op": "replace", "path": "/name", "value": "Revenue"},
        {"op": "replace", "path": "/tags", "value": ["b", "c"]},
        {"op": "replace", "path": "/keyContacts", "value": [{"userId": "u2"}]},
    ]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 204
    patched = await get(session, product["id"])

    assert patched["name"] == "Revenue"
    assert patched["tags"] == ["b", "c"]
    assert patched["keyContacts"] == [{"userId": "u2"}]


async def test_patch_null_clears_values(session: aiohttp.ClientSession) -> None:
    product = await create(session, description="d", readMe="r", tags=["a"])
    operations = [
        {"op": "replace", "path": "/description", "value": None},
        {"op": "replace", "path": "/readMe", "value": None},
        {"op": "replace", "path": "/tags", "value": None},
    ]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 204
    patched = await get(session, product["id"])

    assert "description" not in patched
    assert "readMe" not in patched
    assert patched["tags"] == []


async def test_patch_datasets_recomputes_scores(session: aiohttp.ClientSession) -> None:
    product = await create(session, datasetIds=["ds-1"])
    operations = [{"op": "replace", "path": "/datasetIds", "value": ["ds-1", "ds-2"]}]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 204
    patched = await get(session, product["id"])

    assert patched["trustScore"]["applicableDatasets"] == 2


async def test_patch_unknown_id_answers_404(session: aiohttp.ClientSession) -> None:
    operations = [{"op": "replace", "path": "/name", "value": "x"}]

    async with session.patch(f"{BASE}/missing", json=operations) as response:
        assert response.status == 404


async def test_patch_rejected_changes_nothing(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    operations = [
        {"op": "replace", "path": "/name", "value": "Revenue"},
        {"op": "replace", "path": "/tags", "value": "not a list"},
    ]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 400

    assert (await get(session, product["id"]))["name"] == "Sales"


async def test_patch_updates_timestamp_and_user(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)
    assert isinstance(emulator.clock, FakeClock)
    emulator.clock.now += 5
    operations = [{"op": "replace", "path": "/name", "value": "Revenue"}]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 204
    patched = await get(session, product["id"])

    assert patched["updatedAt"] > product["updatedAt"]
    assert patched["createdAt"] == product["createdAt"]


async def test_delete_removes_product(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    async with session.delete(f"{BASE}/{product['id']}") as response:
        assert response.status == 204
        assert await response.read() == b""
    async with session.get(f"{BASE}/{product['id']}") as response:
        assert response.status == 404


async def test_delete_unknown_id_answers_404(session: aiohttp.ClientSession) -> None:
    async with session.delete(f"{BASE}/missing") as response:
        assert response.status == 404


async def test_delete_activated_answers_409(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    activate_url = f"{BASE}/{product['id']}/actions/activate"
    async with session.post(activate_url, json={"name": "Sales"}) as response:
        assert response.status == 201

    async with session.delete(f"{BASE}/{product['id']}") as response:
        body = await response.json()

    assert response.status == 409
    assert "Deactivate" in body["errors"][0]["detail"]


async def test_create_taken_name_answers_409(session: aiohttp.ClientSession) -> None:
    await create(session, spaceId="s1")

    async with session.post(BASE, json={"name": "Sales", "spaceId": "s1"}) as response:
        assert response.status == 409


async def test_create_taken_name_other_space(session: aiohttp.ClientSession) -> None:
    await create(session, spaceId="s1")

    async with session.post(BASE, json={"name": "Sales", "spaceId": "s2"}) as response:
        assert response.status == 201


async def test_patch_taken_name_answers_409(session: aiohttp.ClientSession) -> None:
    await create(session, name="A")
    product = await create(session, name="B")
    operations = [{"op": "replace", "path": "/name", "value": "A"}]

    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 409


async def test_create_past_max_answers_422() -> None:
    async with (
        Emulator(max_products=1) as emulator,
        aiohttp.ClientSession(
            emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as session,
    ):
        await create(session, name="A")
        async with session.post(BASE, json={"name": "B"}) as response:
            body = await response.json()

    assert response.status == 422
    assert body["errors"][0]["status"] == "422"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-key", "Basic abc", "Bearer", "bearer "],
)
async def test_bad_credentials_answer_401(emulator: Emulator, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with aiohttp.ClientSession(emulator.base_url, headers=headers) as session:
        async with session.get(f"{BASE}/missing") as response:
            body = await response.json()

    assert response.status == 401
    assert body["errors"][0]["status"] == "401"
    assert "traceId" in body


async def test_unauthorized_request_changes_nothing(emulator: Emulator) -> None:
    async with aiohttp.ClientSession(emulator.base_url) as session:
        async with session.post(BASE, json={"name": "Sales"}) as response:
            assert response.status == 401

    assert emulator.state.snapshot() == {}


async def test_unknown_route_answers_json_404(session: aiohttp.ClientSession) -> None:
    async with session.get("/api/unknown") as response:
        body = await response.json()

    assert response.status == 404
    assert body["errors"][0]["status"] == "404"


async def test_wrong_method_answers_405(session: aiohttp.ClientSession) -> None:
    async with session.put(f"{BASE}/x") as response:
        assert response.status == 405
        assert "PATCH" in response.headers["Allow"]


async def test_record_keeps_request_details(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    await create(session, tags=["a"])

    record = emulator.requests[-1]
    assert record.operation == "create"
    assert record.method == "POST"
    assert record.path == BASE
    assert record.body == {"name": "Sales", "tags": ["a"]}
    assert record.status == 201
    assert record.principal == emulator.api_key_user_id
    assert record.time == 1000.0
    assert record.fault is None


async def test_record_never_holds_api_key(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    await create(session)

    assert emulator.api_key not in repr(emulator.requests)
    assert emulator.api_key not in repr(emulator)


async def test_record_names_each_operation(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)
    async with session.get(f"{BASE}/{product['id']}/changelogs", params={"limit": "5"}):
        pass

    record = emulator.requests[-1]
    assert record.operation == "changelogs"
    assert record.query == {"limit": "5"}


async def test_snapshot_returns_copies(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    product = await create(session)
    snapshot = emulator.state.snapshot()
    snapshot[product["id"]]["name"] = "Changed"

    assert emulator.state.snapshot()[product["id"]]["name"] == "Sales"


async def test_seed_fills_missing_fields(emulator: Emulator) -> None:
    (product_id,) = emulator.state.seed([{"name": "Seeded", "datasetIds": ["ds-1"]}])
    product = emulator.state.snapshot()[product_id]

    assert product["qri"] == f"qri:data-product://{product_id}"
    assert product["tenantId"] == TENANT_ID
    assert product["tags"] == []
    assert product["activated"] is False
    assert product["trustScore"]["applicableDatasets"] == 1


async def test_seed_keeps_given_fields(emulator: Emulator) -> None:
    emulator.state.seed([{"id": "p1", "name": "Seeded", "ownerId": "owner-7"}])

    assert emulator.state.snapshot()["p1"]["ownerId"] == "owner-7"


async def test_seed_rejects_nameless_product(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="name"):
        emulator.state.seed([{"id": "p1"}])


async def test_seeded_product_served(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    emulator.state.seed([{"id": "p1", "name": "Seeded"}])

    assert (await get(session, "p1"))["name"] == "Seeded"


async def test_changelog_accessor_unknown_id(emulator: Emulator) -> None:
    with pytest.raises(KeyError):
        emulator.state.changelog("missing")


async def test_same_seed_gives_same_ids() -> None:
    ids = []
    for _ in range(2):
        emulator = Emulator(seed=7)
        ids.append(emulator.state.seed([{"name": "A"}])[0])

    assert ids[0] == ids[1]


async def test_base_url_before_start_raises() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = Emulator().base_url


async def test_base_url_has_no_trailing_slash(emulator: Emulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.base_url)
