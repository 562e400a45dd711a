"""Every operation of DataProductsClient against the emulator over loopback."""

from __future__ import annotations

import aiohttp
import pytest

from qlik_dataproducts import (
    ConfigurationError,
    ConflictError,
    DataProductsClient,
    KeyContact,
    NotFoundError,
    Replace,
    UnprocessableEntityError,
    UnsafeRequestError,
    ValidationError,
)
from qlik_dataproducts.emulator import Emulator

GLOSSARY_ID = "3f2b6c1e-8d4a-4b7e-9c2d-1a5e6f7b8c9d"


async def make_product(client: DataProductsClient, name: str = "Sales") -> str:
    product = await client.create(
        name=name,
        tags=["finance", "monthly"],
        read_me="# Sales\nMonthly figures.",
        space_id="space-a",
        dataset_ids=["ds-1", "ds-2"],
        description="Monthly sales",
        glossary_ids=[GLOSSARY_ID],
        key_contacts=[KeyContact("user-1", "Data Steward")],
        api_consumable_dataset_ids=["ds-2"],
    )
    return product.id


async def test_create_returns_stored_product(client: DataProductsClient) -> None:
    product = await client.create(name="Sales", tags=["finance"], dataset_ids=["ds-1"])
    assert (product.name, product.tags, product.dataset_ids) == ("Sales", ("finance",), ("ds-1",))


async def test_create_sets_server_fields(client: DataProductsClient) -> None:
    product = await client.create(name="Sales")
    assert product.qri == f"qri:data-product://{product.id}"
    assert product.created_at.tzinfo is not None
    assert product.activated is False


async def test_create_sends_every_field(client: DataProductsClient, emulator: Emulator) -> None:
    product_id = await make_product(client)
    stored = emulator.state.snapshot()[product_id]
    assert stored["keyContacts"] == [{"userId": "user-1", "role": "Data Steward"}]
    assert stored["apiConsumableDatasetIds"] == ["ds-2"]
    assert stored["glossaryIds"] == [GLOSSARY_ID]
    assert stored["readMe"] == "# Sales\nMonthly figures."


async def test_get_returns_product(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    product = await client.get(product_id)
    assert product.key_contacts == (KeyContact("user-1", "Data Steward"),)


async def test_get_unknown_is_not_found(client: DataProductsClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.get("0123456789abcdef01234567")
    assert caught.value.status == 404
    assert caught.value.trace_id


async def test_id_sent_as_one_segment(client: DataProductsClient, emulator: Emulator) -> None:
    with pytest.raises(NotFoundError):
        await client.get("a/b c?d")
    assert emulator.requests[-1].path == "/api/data-governance/data-products/a/b c?d"


async def test_patch_replaces_fields(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.patch(
        product_id,
        [
            Replace("/name", "Sales EU"),
            Replace("/tags", ["eu"]),
            Replace("/keyContacts", [KeyContact("user-2")]),
        ],
    )
    product = await client.get(product_id)
    assert (product.name, product.tags) == ("Sales EU", ("eu",))
    assert product.key_contacts == (KeyContact("user-2"),)


async def test_patch_null_clears_description(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.patch(product_id, [Replace("/description", None)])
    assert (await client.get(product_id)).description is None


async def test_patch_returns_none(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    assert await client.patch(product_id, [Replace("/readMe", "new")]) is None


async def test_delete_removes_product(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.delete(product_id)
    with pytest.raises(NotFoundError):
        await client.get(product_id)


async def test_delete_activated_conflicts(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.activate(product_id, name="Sales")
    with pytest.raises(ConflictError) as caught:
        await client.delete(product_id)
    assert caught.value.errors


async def test_activate_publishes(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    product = await client.activate(product_id, name="Sales", tags=["published"])
    assert product.activated is True
    assert product.activated_at is not None
    assert product.activated_on


async def test_deactivate_unpublishes(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.activate(product_id, name="Sales")
    await client.deactivate(product_id)
    assert (await client.get(product_id)).activated is False


async def test_deactivate_inactive_conflicts(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    with pytest.raises(ConflictError):
        await client.deactivate(product_id)


async def test_export_documentation_is_markdown(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    text = await client.export_documentation(product_id)
    assert text.startswith("# Sales")
    for heading in ("## Readme", "## Key contacts", "## Metadata", "## Datasets (2)"):
        assert heading in text


async def test_move_changes_space(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.move(product_id, "space-b")
    assert (await client.get(product_id)).space_id == "space-b"


async def test_move_to_same_space_conflicts(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    with pytest.raises(ConflictError):
        await client.move(product_id, "space-a")


async def test_generate_provider_url(client: DataProductsClient, emulator: Emulator) -> None:
    result = await client.generate_provider_url("ds-1")
    assert "ds-1" in result.url
    assert emulator.requests[-1].query == {"dataSetId": "ds-1"}


async def test_compute_data_quality(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    result = await client.compute_datasets_data_quality(product_id)
    assert [item.dataset_id for item in result.dataset_responses] == ["ds-1", "ds-2"]
    assert result.location is not None
    assert result.batch_computation_id in result.location


async def test_changelog_walks_pages(client: DataProductsClient, emulator: Emulator) -> None:
    product_id = await make_product(client)
    for number in range(6):
        await client.patch(product_id, [Replace("/description", f"v{number}")])
    pages = [page async for page in client.changelog_pages(product_id, limit=2)]
    assert len(pages) == 4
    assert [page.page for page in pages] == [1, 2, 3, 4]
    assert sum(len(page.data) for page in pages) == 7


async def test_changelog_entries_newest_first(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    for number in range(4):
        await client.patch(product_id, [Replace("/description", f"v{number}")])
    entries = [entry async for entry in client.changelogs(product_id, limit=2)]
    assert entries[0].changes[0].value == "v3"
    assert len(entries) == 5


async def test_changelog_oldest_first(client: DataProductsClient) -> None:
    product_id = await make_product(client)
    await client.patch(product_id, [Replace("/description", "later")])
    entries = [entry async for entry in client.changelogs(product_id, sort="+createdAt")]
    assert entries[-1].changes[0].value == "later"


async def test_changelog_query_not_repeated(client: DataProductsClient, emulator: Emulator) -> None:
    product_id = await make_product(client)
    for number in range(3):
        await client.patch(product_id, [Replace("/description", f"v{number}")])
    [entry async for entry in client.changelogs(product_id, limit=2)]
    walked = [r for r in emulator.requests if r.operation == "changelogs"]
    assert [r.query.get("page", "1") for r in walked] == ["1", "2"]


async def test_validation_sends_nothing(client: DataProductsClient, emulator: Emulator) -> None:
    before = len(emulator.requests)
    with pytest.raises(ValidationError) as caught:
        await client.create(name=" padded ")
    assert caught.value.field == "name"
    assert len(emulator.requests) == before


async def test_tenant_limit_is_unprocessable() -> None:
    async with Emulator(max_products=1) as emulator:
        async with DataProductsClient(emulator.base_url, api_key=emulator.api_key) as client:
            await client.create(name="First")
            with pytest.raises(UnprocessableEntityError):
                await client.create(name="Second")


async def test_duplicate_name_conflicts(client: DataProductsClient) -> None:
    await client.create(name="Twice", space_id="s1")
    with pytest.raises(ConflictError):
        await client.create(name="Twice", space_id="s1")


async def test_caller_session_left_open(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with DataProductsClient(
            emulator.base_url, api_key=emulator.api_key, session=session
        ) as client:
            await client.create(name="Kept")
        assert not session.closed


async def test_owned_session_closed(emulator: Emulator) -> None:
    client = DataProductsClient(emulator.base_url, api_key=emulator.api_key)
    async with client:
        session = client._transport.session()
    assert session.closed


def test_plain_http_to_remote_rejected() -> None:
    with pytest.raises(UnsafeRequestError, match="allow_insecure_http"):
        DataProductsClient("http://tenant.eu.qlikcloud.com", api_key="k")


def test_plain_http_opt_in_accepted() -> None:
    client = DataProductsClient(
        "http://tenant.internal.test", api_key="k", allow_insecure_http=True
    )
    assert client.base_url.scheme == "http"


@pytest.mark.parametrize("base", ["http://127.0.0.1:9", "http://[::1]:9", "http://localhost:9"])
def test_plain_http_loopback_accepted(base: str) -> None:
    assert DataProductsClient(base, api_key="k").base_url.scheme == "http"


def test_credentials_required() -> None:
    with pytest.raises(ConfigurationError, match="exactly one"):
        DataProductsClient("https://tenant.eu.qlikcloud.com")


def test_two_credentials_rejected() -> None:
    async def provider() -> str:
        return "t"

    with pytest.raises(ConfigurationError, match="api_key, token_provider"):
        DataProductsClient("https://t.eu.qlikcloud.com", api_key="k", token_provider=provider)


def test_base_url_with_userinfo_rejected() -> None:
    with pytest.raises(ConfigurationError, match="credentials"):
        DataProductsClient("https://user:pw@t.eu.qlikcloud.com", api_key="k")


def test_repr_hides_api_key() -> None:
    client = DataProductsClient("https://t.eu.qlikcloud.com", api_key="super-secret-key")
    assert "super-secret-key" not in repr(client)
