"""Tests of the emulator's actions: activation, move, changelogs, documentation, quality."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from qlik_dataproducts.emulator import Emulator
from tests.clock import FakeClock

BASE = "/api/data-governance/data-products"


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(clock=clock) as running:
        yield running


async def create(session: aiohttp.ClientSession, **fields: Any) -> dict[str, Any]:
    async with session.post(BASE, json={"name": "Sales", **fields}) as response:
        assert response.status == 201, await response.text()
        product: dict[str, Any] = await response.json()
        return product


async def get(session: aiohttp.ClientSession, product_id: str) -> dict[str, Any]:
    async with session.get(f"{BASE}/{product_id}") as response:
        assert response.status == 200
        product: dict[str, Any] = await response.json()
        return product


async def activate(
    session: aiohttp.ClientSession, product_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"name": "Sales", **fields}
    async with session.post(f"{BASE}/{product_id}/actions/activate", json=body) as response:
        assert response.status == 201, await response.text()
        product: dict[str, Any] = await response.json()
        return product


async def patch_name(session: aiohttp.ClientSession, product_id: str, name: str) -> None:
    operations = [{"op": "replace", "path": "/name", "value": name}]
    async with session.patch(f"{BASE}/{product_id}", json=operations) as response:
        assert response.status == 204


async def changelog_page(session: aiohttp.ClientSession, url: str, **params: str) -> dict[str, Any]:
    async with session.get(url, params=params) as response:
        assert response.status == 200
        page: dict[str, Any] = await response.json()
        return page


async def test_activate_returns_product(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    activated = await activate(session, product["id"], spaceId="managed-1")

    assert activated["activated"] is True
    assert activated["activatedOn"] == ["managed-1"]
    assert "activatedAt" in activated
    assert await get(session, product["id"]) == activated


async def test_activate_without_space_picks_one(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    activated = await activate(session, product["id"])

    assert len(activated["activatedOn"]) == 1


async def test_activate_applies_given_fields(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    activated = await activate(session, product["id"], name="Sales v2", description="d", tags=["t"])

    assert activated["name"] == "Sales v2"
    assert activated["description"] == "d"
    assert activated["tags"] == ["t"]


async def test_activate_unknown_id_answers_404(session: aiohttp.ClientSession) -> None:
    async with session.post(f"{BASE}/missing/actions/activate", json={"name": "x"}) as response:
        assert response.status == 404


async def test_patch_after_activate_counts_pending(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    await activate(session, product["id"])

    await patch_name(session, product["id"], "Revenue")
    await patch_name(session, product["id"], "Sales")

    assert (await get(session, product["id"]))["pendingChangesCount"] == 2


async def test_patch_before_activate_no_pending(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    await patch_name(session, product["id"], "Revenue")

    assert (await get(session, product["id"]))["pendingChangesCount"] == 0


async def test_activate_resets_pending(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    await activate(session, product["id"])
    await patch_name(session, product["id"], "Revenue")

    activated = await activate(session, product["id"], name="Revenue")

    assert activated["pendingChangesCount"] == 0


async def test_deactivate_clears_activation(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    await activate(session, product["id"])

    async with session.post(f"{BASE}/{product['id']}/actions/deactivate") as response:
        assert response.status == 204
        assert await response.read() == b""
    deactivated = await get(session, product["id"])

    assert deactivated["activated"] is False
    assert deactivated["activatedOn"] == []


async def test_deactivate_inactive_answers_409(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    async with session.post(f"{BASE}/{product['id']}/actions/deactivate") as response:
        assert response.status == 409


async def test_delete_after_deactivate(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    await activate(session, product["id"])
    async with session.post(f"{BASE}/{product['id']}/actions/deactivate") as response:
        assert response.status == 204

    async with session.delete(f"{BASE}/{product['id']}") as response:
        assert response.status == 204


async def test_move_changes_space(session: aiohttp.ClientSession) -> None:
    product = await create(session, spaceId="s1")

    async with session.post(
        f"{BASE}/{product['id']}/actions/move", json={"spaceId": "s2"}
    ) as response:
        assert response.status == 204
        assert await response.read() == b""

    assert (await get(session, product["id"]))["spaceId"] == "s2"


async def test_move_to_same_space_answers_409(session: aiohttp.ClientSession) -> None:
    product = await create(session, spaceId="s1")

    async with session.post(
        f"{BASE}/{product['id']}/actions/move", json={"spaceId": "s1"}
    ) as response:
        assert response.status == 409


async def test_move_onto_taken_name_answers_409(session: aiohttp.ClientSession) -> None:
    await create(session, spaceId="s2")
    product = await create(session, spaceId="s1")

    async with session.post(
        f"{BASE}/{product['id']}/actions/move", json={"spaceId": "s2"}
    ) as response:
        assert response.status == 409


async def test_move_unknown_id_answers_404(session: aiohttp.ClientSession) -> None:
    async with session.post(f"{BASE}/missing/actions/move", json={"spaceId": "s"}) as response:
        assert response.status == 404


async def test_changelog_records_create(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    product = await create(session, tags=["t"])

    (entry,) = emulator.state.changelog(product["id"])

    assert entry["changes"] == [
        {"path": "/name", "value": "Sales", "operator": "add"},
        {"path": "/tags", "value": ["t"], "operator": "add"},
    ]
    assert entry["createdBy"] == emulator.api_key_user_id


async def test_changelog_records_patch(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    product = await create(session)
    operations = [
        {"op": "replace", "path": "/name", "value": "Revenue"},
        {"op": "replace", "path": "/description", "value": None},
    ]
    async with session.patch(f"{BASE}/{product['id']}", json=operations) as response:
        assert response.status == 204

    entry = emulator.state.changelog(product["id"])[-1]

    assert entry["changes"] == [
        {"path": "/name", "value": "Revenue", "operator": "replace"},
        {"path": "/description", "value": None, "operator": "replace"},
    ]


async def test_changelog_records_activation(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)
    await activate(session, product["id"], spaceId="m1")
    async with session.post(f"{BASE}/{product['id']}/actions/deactivate") as response:
        assert response.status == 204

    activation, deactivation = emulator.state.changelog(product["id"])[1:]

    assert activation["changes"] == [{"path": "/activatedOn", "value": ["m1"], "operator": "add"}]
    assert deactivation["changes"] == [
        {"path": "/activatedOn", "value": ["m1"], "operator": "remove"}
    ]


async def test_changelog_records_move(session: aiohttp.ClientSession, emulator: Emulator) -> None:
    product = await create(session)
    async with session.post(
        f"{BASE}/{product['id']}/actions/move", json={"spaceId": "s2"}
    ) as response:
        assert response.status == 204

    entry = emulator.state.changelog(product["id"])[-1]

    assert entry["changes"] == [{"path": "/spaceId", "value": "s2", "operator": "replace"}]


async def test_changelogs_default_newest_first(
    session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    product = await create(session)
    clock.now += 1
    await patch_name(session, product["id"], "Revenue")

    page = await changelog_page(session, f"{BASE}/{product['id']}/changelogs")

    assert page["data"][0]["changes"][0]["value"] == "Revenue"
    assert page["limit"] == 10
    assert page["page"] == 1


async def test_changelogs_ascending_sort(session: aiohttp.ClientSession, clock: FakeClock) -> None:
    product = await create(session)
    clock.now += 1
    await patch_name(session, product["id"], "Revenue")

    page = await changelog_page(session, f"{BASE}/{product['id']}/changelogs", sort="+createdAt")

    assert page["data"][0]["changes"][0]["operator"] == "add"


async def test_changelogs_tie_keeps_order(session: aiohttp.ClientSession) -> None:
    product = await create(session)
    for name in ("B", "C", "D"):
        await patch_name(session, product["id"], name)

    page = await changelog_page(session, f"{BASE}/{product['id']}/changelogs")

    values = [entry["changes"][0]["value"] for entry in page["data"]]
    assert values == ["D", "C", "B", "Sales"]


async def test_changelogs_unknown_id_answers_404(session: aiohttp.ClientSession) -> None:
    async with session.get(f"{BASE}/missing/changelogs") as response:
        assert response.status == 404


async def test_changelogs_walk_three_pages(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)
    for index in range(6):
        await patch_name(session, product["id"], f"Name {index}")
    url = f"{emulator.base_url}{BASE}/{product['id']}/changelogs"

    pages = [await changelog_page(session, url, limit="3", sort="+createdAt")]
    while "next" in pages[-1]["links"]:
        pages.append(await changelog_page(session, pages[-1]["links"]["next"]["href"]))

    assert len(pages) == 3
    assert [len(page["data"]) for page in pages] == [3, 3, 1]
    assert [page["page"] for page in pages] == [1, 2, 3]
    assert {page["pages"] for page in pages} == {3}
    assert {page["total"] for page in pages} == {7}
    entry_ids = [entry["id"] for page in pages for entry in page["data"]]
    assert len(set(entry_ids)) == 7


async def test_changelogs_links_of_middle_page(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)
    for index in range(6):
        await patch_name(session, product["id"], f"Name {index}")
    url = f"{emulator.base_url}{BASE}/{product['id']}/changelogs"

    links = (await changelog_page(session, url, limit="3", page="2", sort="+createdAt"))["links"]

    assert URL(links["self"]["href"]).query == {"page": "2", "limit": "3", "sort": "+createdAt"}
    assert URL(links["first"]["href"]).query["page"] == "1"
    assert URL(links["last"]["href"]).query["page"] == "3"
    assert URL(links["prev"]["href"]).query["page"] == "1"
    assert URL(links["next"]["href"]).query["page"] == "3"
    assert links["self"]["href"].startswith(url + "?")


async def test_changelogs_first_page_prev_null(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    links = (await changelog_page(session, f"{BASE}/{product['id']}/changelogs"))["links"]

    assert links["prev"] == {"href": None}
    assert "next" not in links


async def test_changelogs_page_past_end_empty(session: aiohttp.ClientSession) -> None:
    product = await create(session)

    page = await changelog_page(session, f"{BASE}/{product['id']}/changelogs", page="5")

    assert page["data"] == []
    assert page["pages"] == 1


async def test_changelogs_link_encodes_plus(
    session: aiohttp.ClientSession, emulator: Emulator
) -> None:
    product = await create(session)

    page = await changelog_page(session, f"{BASE}/{product['id']}/changelogs", sort="+createdAt")

    assert "sort=%2BcreatedAt" in page["links"]["self"]["href"]


async def test_export_documentation_markdown(session: aiohttp.ClientSession) -> None:
    product = await create(
        session,
        readMe="Read me first.",
        datasetIds=["ds-1", "ds-2"],
        keyContacts=[{"userId": "u1", "role": "Data | Steward"}],
    )

    async with session.get(f"{BASE}/{product['id']}/actions/export-documentation") as response:
        text = await response.text()

    assert response.status == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert text.startswith("# Sales\n")
    for heading in (
        "## Readme",
        "## Key contacts",
        "## Metadata",
        "## Data Quality",
        "## Datasets (2)",
    ):
        assert f"\n{heading}\n" in text, heading
    assert "| Name | Role |" in text
    assert "| u1 | Data \\| Steward |" in text
    assert "Read me first." in text


@pytest.mark.parametrize(
    "accept", [None, "*/*", "text/*", "text/markdown", "application/json, text/markdown;q=0.5"]
)
async def test_export_documentation_accepts(
    session: aiohttp.ClientSession, emulator: Emulator, accept: str | None
) -> None:
    product = await create(session)
    headers = {"Accept": accept} if accept is not None else {}
    url = f"{emulator.base_url}{BASE}/{product['id']}/actions/export-documentation"

    async with (
        aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {emulator.api_key}", **headers},
            skip_auto_headers=["Accept"],
        ) as client,
        client.get(url) as response,
    ):
        assert response.status == 200


@pytest.mark.parametrize("accept", ["application/json", "text/html", "text/markdown;q=0"])
async def test_export_documentation_406(session: aiohttp.ClientSession, accept: str) -> None:
    product = await create(session)
    url = f"{BASE}/{product['id']}/actions/export-documentation"

    async with session.get(url, headers={"Accept": accept}) as response:
        body = await response.json()

    assert response.status == 406
    assert body["errors"][0]["status"] == "406"


async def test_export_documentation_404(session: aiohttp.ClientSession) -> None:
    async with session.get(f"{BASE}/missing/actions/export-documentation") as response:
        assert response.status == 404


async def test_provider_url_invalid_host(session: aiohttp.ClientSession) -> None:
    url = f"{BASE}/actions/generate-provider-url"
    async with session.post(url, params={"dataSetId": "669144f5aa2d642638ef1dd0"}) as response:
        body = await response.json()

    assert response.status == 200
    assert body == {"url": "https://provider.example.invalid/datasets/669144f5aa2d642638ef1dd0"}


async def test_compute_quality_answers_202(session: aiohttp.ClientSession) -> None:
    product = await create(session, datasetIds=["ds-1", "ds-2"])
    url = f"{BASE}/{product['id']}/actions/compute-datasets-data-quality"

    async with session.post(url) as response:
        body = await response.json()

    assert response.status == 202
    location = "/api/data-governance/data-qualities/batch-computations/"
    assert response.headers["Location"] == location + body["batchComputationId"]
    assert [item["datasetId"] for item in body["datasetResponses"]] == ["ds-1", "ds-2"]
    assert {item["status"] for item in body["datasetResponses"]} == {"REQUESTED"}
    assert len({item["computationId"] for item in body["datasetResponses"]}) == 2


async def test_compute_quality_unknown_id(session: aiohttp.ClientSession) -> None:
    url = f"{BASE}/missing/actions/compute-datasets-data-quality"
    async with session.post(url) as response:
        assert response.status == 404
