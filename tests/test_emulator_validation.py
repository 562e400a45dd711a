"""Tests of the emulator's request validation: a broken field limit gives 400 naming the field."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_dataproducts.emulator import Emulator
from qlik_dataproducts.emulator._validation import matches_name_pattern

BASE = "/api/data-governance/data-products"
GLOSSARY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as running:
        yield running


@pytest.fixture
async def product_id(session: aiohttp.ClientSession) -> str:
    body = {"name": "Sales", "datasetIds": ["ds-1", "ds-2"]}
    async with session.post(BASE, json=body) as response:
        assert response.status == 201
        created: dict[str, Any] = await response.json()
        return str(created["id"])


async def error_details(response: aiohttp.ClientResponse) -> str:
    body = await response.json()
    assert body["errors"][0]["code"] == "HTTP-400"
    assert body["errors"][0]["status"] == "400"
    return " ".join(error["detail"] for error in body["errors"])


def contacts(count: int) -> list[dict[str, str]]:
    return [{"userId": f"user-{index}"} for index in range(count)]


INVALID_CREATE = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": " Sales"}, "name"),
    ({"name": "Sales "}, "name"),
    ({"name": "Sa\nles"}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": 5}, "name"),
    ({"name": None}, "name"),
    ({"description": "x" * 1025}, "description"),
    ({"description": 1}, "description"),
    ({"readMe": "x" * 100_001}, "readMe"),
    ({"spaceId": ["s"]}, "spaceId"),
    ({"tags": ["t"] * 51}, "tags"),
    ({"tags": "t"}, "tags"),
    ({"tags": [1]}, "tags[0]"),
    ({"datasetIds": [f"ds-{index}" for index in range(101)]}, "datasetIds"),
    ({"datasetIds": ["ds-1", "ds-1"]}, "datasetIds"),
    ({"datasetIds": ["bad id"]}, "datasetIds[0]"),
    ({"datasetIds": ["x" * 37]}, "datasetIds[0]"),
    ({"datasetIds": [""]}, "datasetIds[0]"),
    ({"glossaryIds": ["not-a-uuid"]}, "glossaryIds[0]"),
    ({"glossaryIds": [GLOSSARY_ID.upper()]}, "glossaryIds[0]"),
    ({"glossaryIds": ["0f8fad5b-d9cb-169f-a165-70867728950e"]}, "glossaryIds[0]"),
    ({"glossaryIds": [GLOSSARY_ID] * 101}, "glossaryIds"),
    ({"keyContacts": contacts(101)}, "keyContacts"),
    ({"keyContacts": [{"role": "Steward"}]}, "keyContacts[0].userId"),
    ({"keyContacts": [{"userId": "u", "role": "x" * 201}]}, "keyContacts[0].role"),
    ({"keyContacts": [{"userId": "u"}, {"userId": "u"}]}, "keyContacts[1].userId"),
    ({"keyContacts": ["u"]}, "keyContacts[0]"),
    ({"keyContacts": {"userId": "u"}}, "keyContacts"),
    ({"apiConsumableDatasetIds": ["ds-9"], "datasetIds": ["ds-1"]}, "apiConsumableDatasetIds"),
    ({"apiConsumableDatasetIds": ["ds-1"]}, "apiConsumableDatasetIds"),
    (
        {"apiConsumableDatasetIds": ["ds-1", "ds-1"], "datasetIds": ["ds-1"]},
        "apiConsumableDatasetIds",
    ),
]


@pytest.mark.parametrize(("fields", "field_name"), INVALID_CREATE)
async def test_create_invalid_field(
    session: aiohttp.ClientSession, fields: dict[str, Any], field_name: str
) -> None:
    body = {"name": "Sales", **fields} if "name" not in fields and fields else fields
    async with session.post(BASE, json=body) as response:
        assert response.status == 400
        assert field_name in await error_details(response)


VALID_CREATE = [
    {"name": "x" * 200},
    {"name": "a"},
    {"name": "Sales Q1 — ünïcode"},
    {"description": "x" * 1024},
    {"readMe": "x" * 100_000},
    {"tags": ["t"] * 50},
    {"datasetIds": [f"ds-{index}" for index in range(100)]},
    {"datasetIds": ["x" * 36, "669144f5aa2d642638ef1dd0"]},
    {"glossaryIds": [GLOSSARY_ID] * 100},
    {"keyContacts": contacts(100)},
    {"keyContacts": [{"userId": "u", "role": "x" * 200}]},
    {"apiConsumableDatasetIds": []},
    {"unknownField": 1},
    # The schemas set no minimum length for these, and the reference is silent.
    {"spaceId": ""},
    {"keyContacts": [{"userId": ""}]},
]


@pytest.mark.parametrize("fields", VALID_CREATE)
async def test_create_limit_accepted(
    session: aiohttp.ClientSession, fields: dict[str, Any]
) -> None:
    async with session.post(BASE, json={"name": "Sales", **fields}) as response:
        assert response.status == 201, await response.text()


async def test_create_drops_unknown_fields(session: aiohttp.ClientSession) -> None:
    body = {"name": "Sales", "unknownField": 1, "keyContacts": [{"userId": "u", "extra": 1}]}
    async with session.post(BASE, json=body) as response:
        product = await response.json()

    assert "unknownField" not in product
    assert product["keyContacts"] == [{"userId": "u"}]


async def test_create_lists_every_problem(session: aiohttp.ClientSession) -> None:
    body = {"name": " x", "description": 1, "tags": "t"}
    async with session.post(BASE, json=body) as response:
        errors = (await response.json())["errors"]

    assert len(errors) == 3


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b'{"name": NaN}', "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"name": "Sales"}', "text/plain"),
        (b"name=Sales", "application/x-www-form-urlencoded"),
    ],
)
async def test_create_bad_body_answers_400(
    session: aiohttp.ClientSession, data: bytes, content_type: str
) -> None:
    async with session.post(BASE, data=data, headers={"Content-Type": content_type}) as response:
        assert response.status == 400


async def test_create_missing_content_type(session: aiohttp.ClientSession) -> None:
    async with session.post(BASE, data=b'{"name": "Sales"}') as response:
        assert response.status == 400
        assert "Content-Type" in await error_details(response)


async def test_create_non_object_body(session: aiohttp.ClientSession) -> None:
    async with session.post(BASE, json=["Sales"]) as response:
        assert response.status == 400
        assert "object" in await error_details(response)


async def test_create_json_charset_accepted(session: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    async with session.post(BASE, data=b'{"name": "Sales"}', headers=headers) as response:
        assert response.status == 201


def replace(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


INVALID_PATCH = [
    ({"op": "replace", "path": "/name", "value": "x"}, "array"),
    ([replace("/description", "d")] * 9, "at most 8"),
    (["replace"], "[0]"),
    ([{"op": "add", "path": "/name", "value": "x"}], "[0].op"),
    ([{"path": "/name", "value": "x"}], "[0].op"),
    ([{"op": "replace", "path": "/spaceId", "value": "x"}], "[0].path"),
    ([{"op": "replace", "value": "x"}], "[0].path"),
    ([replace("/name", None)], "name"),
    ([replace("/name", "")], "name"),
    ([replace("/name", " x")], "name"),
    ([replace("/name", "x" * 201)], "name"),
    ([replace("/name", ["x"])], "name"),
    ([replace("/description", "x" * 1025)], "description"),
    ([replace("/description", 5)], "description"),
    ([replace("/readMe", "x" * 100_001)], "readMe"),
    ([replace("/tags", ["a", "a"])], "tags"),
    ([replace("/tags", [f"t{index}" for index in range(51)])], "tags"),
    ([replace("/tags", "a")], "tags"),
    ([replace("/datasetIds", ["bad id"])], "datasetIds"),
    ([replace("/datasetIds", ["a", "a"])], "datasetIds"),
    ([replace("/glossaryIds", ["nope"])], "glossaryIds"),
    ([replace("/glossaryIds", [GLOSSARY_ID, GLOSSARY_ID])], "glossaryIds"),
    ([replace("/keyContacts", [{"role": "r"}])], "userId"),
    ([replace("/keyContacts", [{"userId": "u"}, {"userId": "u"}])], "userId"),
    ([replace("/keyContacts", "u")], "keyContacts"),
    ([replace("/apiConsumableDatasetIds", ["ds-9"])], "apiConsumableDatasetIds"),
    ([replace("/apiConsumableDatasetIds", ["ds-1", "ds-1"])], "apiConsumableDatasetIds"),
    (
        [replace("/datasetIds", ["ds-3"]), replace("/apiConsumableDatasetIds", ["ds-1"])],
        "apiConsumableDatasetIds",
    ),
]


@pytest.mark.parametrize(("operations", "detail_part"), INVALID_PATCH)
async def test_patch_invalid_operation(
    session: aiohttp.ClientSession, product_id: str, operations: Any, detail_part: str
) -> None:
    async with session.patch(f"{BASE}/{product_id}", json=operations) as response:
        assert response.status == 400
        assert detail_part in await error_details(response)


VALID_PATCH = [
    [replace("/description", "d")] * 8,
    [replace("/apiConsumableDatasetIds", ["ds-1"])],
    [replace("/datasetIds", ["ds-3"]), replace("/apiConsumableDatasetIds", ["ds-3"])],
    [replace("/glossaryIds", [GLOSSARY_ID])],
    [replace("/keyContacts", None)],
    [replace("/datasetIds", None)],
    [{"op": "replace", "path": "/readMe"}],
    # The patch schema sets no minItems.
    [],
]


@pytest.mark.parametrize("operations", VALID_PATCH)
async def test_patch_valid_operations(
    session: aiohttp.ClientSession, product_id: str, operations: Any
) -> None:
    async with session.patch(f"{BASE}/{product_id}", json=operations) as response:
        assert response.status == 204, await response.text()


async def test_patch_unknown_id_before_body(session: aiohttp.ClientSession) -> None:
    async with session.patch(f"{BASE}/missing", json={"bad": "body"}) as response:
        assert response.status == 404


INVALID_ACTIVATE = [
    ({}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "n", "tags": ["t"] * 51}, "tags"),
    ({"name": "n", "description": "x" * 1025}, "description"),
    ({"name": "n", "spaceId": 3}, "spaceId"),
    (["n"], "object"),
]


@pytest.mark.parametrize(("body", "detail_part"), INVALID_ACTIVATE)
async def test_activate_invalid_body(
    session: aiohttp.ClientSession, product_id: str, body: Any, detail_part: str
) -> None:
    url = f"{BASE}/{product_id}/actions/activate"
    async with session.post(url, json=body) as response:
        assert response.status == 400
        assert detail_part in await error_details(response)


@pytest.mark.parametrize(
    ("body", "detail_part"),
    [({}, "spaceId"), ({"spaceId": 1}, "spaceId"), ([], "object")],
)
async def test_move_invalid_body(
    session: aiohttp.ClientSession, product_id: str, body: Any, detail_part: str
) -> None:
    async with session.post(f"{BASE}/{product_id}/actions/move", json=body) as response:
        assert response.status == 400
        assert detail_part in await error_details(response)


async def test_activate_empty_name_and_space(
    session: aiohttp.ClientSession, product_id: str
) -> None:
    url = f"{BASE}/{product_id}/actions/activate"
    async with session.post(url, json={"name": "", "spaceId": ""}) as response:
        product = await response.json()

    assert response.status == 201
    assert product["name"] == ""
    assert product["activatedOn"] != [""]


async def test_move_empty_space(session: aiohttp.ClientSession, product_id: str) -> None:
    async with session.post(f"{BASE}/{product_id}/actions/move", json={"spaceId": ""}) as moved:
        assert moved.status == 204
    async with session.get(f"{BASE}/{product_id}") as response:
        product = await response.json()

    assert product["spaceId"] == ""


async def test_empty_patch_changes_nothing(
    session: aiohttp.ClientSession, emulator: Emulator, product_id: str
) -> None:
    before = emulator.state.snapshot()[product_id]
    async with session.patch(f"{BASE}/{product_id}", json=[]) as response:
        assert response.status == 204

    assert emulator.state.snapshot()[product_id] == before
    assert len(emulator.state.changelog(product_id)) == 1


# Java reads \s as ASCII whitespace and lets . match anything but five line terminators.
_JAVA_NON_SPACE = r"[^ \t\n\x0b\f\r]"
_JAVA_ANY = r"[^\n\r\x85\u2028\u2029]"
JAVA_NAME_PATTERN = re.compile(
    f"({_JAVA_NON_SPACE}{_JAVA_ANY}*{_JAVA_NON_SPACE}|{_JAVA_NON_SPACE})*"
)


@given(st.text(alphabet="ab \t\x0b\f\r\n\x1d\x85\xa0\u2028\u2029", max_size=10))
def test_name_pattern_reads_java_semantics(name: str) -> None:
    assert matches_name_pattern(name) == bool(JAVA_NAME_PATTERN.fullmatch(name))


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("\x1dSales", True),
        ("Sales\xa0", True),
        ("Sa\u2028les", True),
        ("Sales \u2028", True),
        ("Sa \u2028 les", False),
        ("Sa\rles", False),
        ("Sales\t", False),
    ],
)
async def test_create_name_java_whitespace(
    session: aiohttp.ClientSession, name: str, accepted: bool
) -> None:
    async with session.post(BASE, json={"name": name}) as response:
        assert response.status == (201 if accepted else 400)


@pytest.mark.parametrize(
    ("query", "detail_part"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("sort=createdAt", "sort"),
        ("sort=+createdAt", "%2B"),
        ("sort=-updatedAt", "sort"),
    ],
)
async def test_changelogs_invalid_query(
    session: aiohttp.ClientSession,
    emulator: Emulator,
    product_id: str,
    query: str,
    detail_part: str,
) -> None:
    url = aiohttp.client.URL(
        f"{emulator.base_url}{BASE}/{product_id}/changelogs?{query}", encoded=True
    )
    async with session.get(url) as response:
        assert response.status == 400
        assert detail_part in await error_details(response)


@pytest.mark.parametrize(
    "query",
    ["", "?dataSetId=", "?dataSetId=bad%20id", f"?dataSetId={'x' * 37}"],
)
async def test_provider_url_invalid_dataset(
    session: aiohttp.ClientSession, emulator: Emulator, query: str
) -> None:
    url = aiohttp.client.URL(
        f"{emulator.base_url}{BASE}/actions/generate-provider-url{query}", encoded=True
    )
    async with session.post(url) as response:
        assert response.status == 400
        assert "dataSetId" in await error_details(response)
