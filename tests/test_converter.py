"""Tests for the converter: canned payloads, strict decoding, error paths and round trips.

The samples under ``samples/`` are the API reference's example responses. ``error.json`` and
``datasets_computation.json`` follow the OpenAPI schemas because the reference shows no example
for them, and ``error_429.json`` is the documented rate-limit body.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_dataproducts._converter import decode, encode, make_converter
from qlik_dataproducts._errors import DecodeError, ErrorEntry
from qlik_dataproducts._models import (
    ActivateDataProductRequest,
    Change,
    ChangelogEntry,
    ChangelogPage,
    CreateDataProductRequest,
    DataProduct,
    DatasetComputation,
    DatasetsComputation,
    ErrorResponse,
    KeyContact,
    Link,
    MoveDataProductRequest,
    PageLinks,
    ProviderUrl,
    Quality,
    Replace,
    TrustScore,
    TrustScoreDimension,
)

SAMPLES = Path(__file__).parent / "samples"
UTC = timezone.utc


def _load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _product_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = _load("data_product.json")
    data.update(changes)
    return data


# Canned samples


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("data_product.json", DataProduct),
        ("changelog_page.json", ChangelogPage),
        ("provider_url.json", ProviderUrl),
        ("error.json", ErrorResponse),
        ("error_429.json", ErrorResponse),
        ("datasets_computation.json", DatasetsComputation),
    ],
)
def test_sample_round_trip(name: str, cls: type[Any]) -> None:
    sample = _load(name)
    assert encode(decode(cls, sample)) == sample


def test_sample_data_product_fields() -> None:
    product = decode(DataProduct, _load("data_product.json"))
    assert product.created_at == datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)
    assert product.key_contacts == (KeyContact(user_id="exampleUserId", role="Data Steward"),)
    assert product.quality == Quality(validity=42.0, completeness=42.0)
    assert product.trust_score == TrustScore(
        score=42.0,
        applicable_datasets=42.0,
        dimensions=(
            TrustScoreDimension(
                id="string", applicable_datasets=42.0, score=42.0, previous_score=42.0
            ),
        ),
        previous_score=42.0,
    )
    assert product.pending_changes_count == 42
    assert product.api_consumable_dataset_ids == ("string",)
    assert product.activated is True


def test_sample_changelog_fields() -> None:
    page = decode(ChangelogPage, _load("changelog_page.json"))
    assert page.data[0].changes == (Change(path="/name", operator="replace", value="string"),)
    assert page.links is not None
    assert page.links.self_ == Link(href="string")
    assert page.total == 42


def test_sample_error_429_fields() -> None:
    response = decode(ErrorResponse, _load("error_429.json"))
    assert response.errors[0].code == "HTTP-429"
    assert response.errors[0].status is None
    assert response.trace_id is None


def test_sample_computation_fields() -> None:
    computation = decode(DatasetsComputation, _load("datasets_computation.json"))
    assert computation.dataset_responses[1] == DatasetComputation(
        dataset_id="669144f5aa2d642638ef1dd1",
        status="FAILED",
        computation_id="string",
        error="string",
    )
    assert computation.location is None


# Tolerance of real server output


def test_unknown_keys_ignored() -> None:
    product = decode(DataProduct, _product_json(semanticModel={"id": "x"}, newField=1))
    assert product.name == "string"


def test_unknown_enum_values_kept() -> None:
    page = decode(
        ChangelogPage,
        {"data": [{"changes": [{"path": "/futureField", "operator": "move", "value": "x"}]}]},
    )
    change = page.data[0].changes[0]
    assert change.path == "/futureField"
    assert change.operator == "move"


def test_semantic_model_path_accepted() -> None:
    # The reference's changelog path enum lacks /semanticModel, but the OpenAPI spec lists it
    # with an always-null value, so decoding follows the spec.
    entry = decode(ChangelogEntry, {"changes": [{"path": "/semanticModel", "operator": "add"}]})
    assert entry.changes[0] == Change(path="/semanticModel", operator="add", value=None)


def test_unknown_computation_status_kept() -> None:
    result = decode(
        DatasetComputation, {"datasetId": "d1", "status": "RUNNING", "computationId": "c1"}
    )
    assert result.status == "RUNNING"


@pytest.mark.parametrize(
    "field",
    [
        "mainId",
        "readMe",
        "quality",
        "spaceId",
        "activated",
        "trustScore",
        "activatedAt",
        "description",
        "pendingChangesCount",
    ],
)
@pytest.mark.parametrize("present", ["absent", "null"])
def test_optional_absent_or_null(field: str, present: str) -> None:
    data = _product_json()
    if present == "absent":
        del data[field]
    else:
        data[field] = None
    product = decode(DataProduct, data)
    attribute = {
        "mainId": "main_id",
        "readMe": "read_me",
        "spaceId": "space_id",
        "trustScore": "trust_score",
        "activatedAt": "activated_at",
        "pendingChangesCount": "pending_changes_count",
    }.get(field, field)
    assert getattr(product, attribute) is None


@pytest.mark.parametrize(
    ("cls", "data", "attribute"),
    [
        (ChangelogEntry, {"changes": None}, "changes"),
        (ChangelogEntry, {}, "changes"),
        (ChangelogPage, {"data": None}, "data"),
        (ChangelogPage, {}, "data"),
        (DataProduct, _product_json(tags=None), "tags"),
        (DataProduct, _product_json(keyContacts=None), "key_contacts"),
    ],
)
def test_null_list_is_empty(cls: type[Any], data: dict[str, Any], attribute: str) -> None:
    assert getattr(decode(cls, data), attribute) == ()


def test_empty_list_is_empty_tuple() -> None:
    assert decode(DataProduct, _product_json(datasetIds=[])).dataset_ids == ()


def test_null_dimensions_is_none() -> None:
    score = decode(TrustScore, {"score": 1, "applicableDatasets": 2, "dimensions": None})
    assert score.dimensions is None


def test_prev_href_null() -> None:
    links = decode(PageLinks, {"prev": {"href": None}, "self": {"href": "https://t/x"}})
    assert links.prev == Link(href=None)
    assert links.next is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-03-20T09:12:28Z", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T09:12:28.123456789Z", datetime(2018, 3, 20, 9, 12, 28, 123456, tzinfo=UTC)),
        ("2018-03-20T10:12:28+01:00", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T10:12:28.5+0100", datetime(2018, 3, 20, 9, 12, 28, 500000, tzinfo=UTC)),
    ],
)
def test_timestamp_forms(text: str, expected: datetime) -> None:
    product = decode(DataProduct, _product_json(createdAt=text))
    assert product.created_at == expected
    assert product.created_at.tzinfo is not None


# Strict scalar hooks


@pytest.mark.parametrize(("raw", "expected"), [(42, 42), (42.0, 42), (0, 0), (-3.0, -3)])
def test_int_accepted(raw: object, expected: int) -> None:
    count = decode(DataProduct, _product_json(pendingChangesCount=raw)).pending_changes_count
    assert count == expected
    assert type(count) is int


@pytest.mark.parametrize("raw", [42.5, "42", True, False, [], {}, float("inf"), float("nan")])
def test_int_rejected(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, _product_json(pendingChangesCount=raw))
    assert info.value.path == "$.pendingChangesCount"
    assert "expected an integer" in str(info.value)


@pytest.mark.parametrize(("raw", "expected"), [(1, 1.0), (0.25, 0.25), (-2, -2.0)])
def test_float_accepted(raw: object, expected: float) -> None:
    quality = decode(Quality, {"validity": raw, "completeness": 1})
    assert quality.validity == expected
    assert type(quality.validity) is float


@pytest.mark.parametrize("raw", ["0.5", True, None, [1], {"v": 1}, 10**400])
def test_float_rejected(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(Quality, {"validity": raw, "completeness": 1})
    assert info.value.path == "$.validity"


@pytest.mark.parametrize("raw", [5, 5.0, True, ["a"], {"a": 1}])
def test_str_rejected(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, _product_json(name=raw))
    assert info.value.path == "$.name"
    assert "expected a string" in str(info.value)


@pytest.mark.parametrize("raw", [1, 0, "true", "false"])
def test_bool_rejected(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, _product_json(activated=raw))
    assert info.value.path == "$.activated"


@pytest.mark.parametrize("raw", ["abc", {"a": 1}, 5])
def test_list_field_rejects_non_array(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, _product_json(tags=raw))
    assert info.value.path == "$.tags"
    assert "expected an array" in str(info.value)


@pytest.mark.parametrize("raw", [5, "yesterday", "2018-03-20", None])
def test_timestamp_rejected(raw: object) -> None:
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, _product_json(updatedAt=raw))
    assert info.value.path == "$.updatedAt"


# Change and patch values keep their shape


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab", "ab"),
        ("", ""),
        (None, None),
        ([], ()),
        (["a", "b"], ("a", "b")),
        (["ab"], ("ab",)),
        ([{"userId": "u1"}], (KeyContact(user_id="u1"),)),
        (
            [{"userId": "u1", "role": "Owner"}, {"userId": "u2", "extra": 1}],
            (KeyContact(user_id="u1", role="Owner"), KeyContact(user_id="u2")),
        ),
    ],
)
def test_change_value_shape(raw: object, expected: object) -> None:
    assert decode(Change, {"value": raw}).value == expected


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (5, "$.value"),
        (True, "$.value"),
        ({}, "$.value"),
        ({"userId": "u1"}, "$.value"),
        (["a", 1], "$.value[1]"),
        (["a", {"userId": "u1"}], "$.value[1]"),
        ([{"userId": "u1"}, "a"], "$.value[1]"),
        ([1, 2], "$.value[0]"),
        ([None], "$.value[0]"),
        ([["a"]], "$.value[0]"),
        ([{"role": "Owner"}], "$.value[0].userId"),
        ([{"userId": 5}], "$.value[0].userId"),
    ],
)
def test_change_value_rejected(raw: object, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(Change, {"value": raw})
    assert info.value.path == path


def test_change_absent_value_none() -> None:
    assert decode(Change, {"path": "/name"}).value is None


def test_patch_value_shape() -> None:
    operations = decode(
        tuple[Replace, ...],
        [
            {"op": "replace", "path": "/name", "value": "ab"},
            {"op": "replace", "path": "/tags", "value": ["a"]},
            {"op": "replace", "path": "/keyContacts", "value": [{"userId": "u1"}]},
            {"op": "replace", "path": "/readMe", "value": None},
            {"op": "replace", "path": "/description"},
        ],
    )
    assert [operation.value for operation in operations] == [
        "ab",
        ("a",),
        (KeyContact(user_id="u1"),),
        None,
        None,
    ]


def test_patch_op_other_rejected() -> None:
    with pytest.raises(DecodeError) as info:
        decode(tuple[Replace, ...], [{"op": "replace", "path": "/x"}, {"op": "add", "path": "/x"}])
    assert info.value.path == "$[1].op"


# Error paths


@pytest.mark.parametrize(
    ("cls", "data", "path"),
    [
        (DataProduct, _product_json(keyContacts=[{"role": "Owner"}]), "$.keyContacts[0].userId"),
        (DataProduct, _product_json(keyContacts=[{"userId": 7}]), "$.keyContacts[0].userId"),
        (
            DataProduct,
            _product_json(apiConsumableDatasetIds=["a", 1]),
            "$.apiConsumableDatasetIds[1]",
        ),
        (DataProduct, _product_json(quality={"validity": 1}), "$.quality.completeness"),
        (
            DataProduct,
            _product_json(
                trustScore={"score": 1, "applicableDatasets": 1, "dimensions": [{"id": "USAGE"}]}
            ),
            "$.trustScore.dimensions[0].applicableDatasets",
        ),
        (ChangelogPage, {"data": [{}, {}, {"createdAt": "soon"}]}, "$.data[2].createdAt"),
        (ChangelogPage, {"links": {"self": {"href": 5}}}, "$.links.self.href"),
        (ChangelogPage, {"links": {"self": "https://t/x"}}, "$.links.self"),
        (ChangelogPage, {"data": [{"changes": [{"value": 5}]}]}, "$.data[0].changes[0].value"),
        (ChangelogPage, [], "$"),
        (ChangelogPage, None, "$"),
        (DatasetsComputation, {"batchComputationId": "b"}, "$.datasetResponses"),
        (
            DatasetsComputation,
            {"batchComputationId": "b", "datasetResponses": [{"datasetId": "d", "status": "S"}]},
            "$.datasetResponses[0].computationId",
        ),
        (tuple[KeyContact, ...], [{"userId": "a"}, {}], "$[1].userId"),
    ],
)
def test_error_path(cls: Any, data: object, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode(cls, data)
    assert info.value.path == path


def test_error_missing_field_named() -> None:
    data = _product_json()
    del data["ownerId"]
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, data)
    assert info.value.path == "$.ownerId"
    assert "required field ownerId is missing" in str(info.value)


def test_error_message_expected_received() -> None:
    with pytest.raises(DecodeError) as info:
        decode(DataProduct, _product_json(pendingChangesCount="42"))
    assert "expected an integer, received the string '42'" in str(info.value)


def test_error_counts_other_failures() -> None:
    with pytest.raises(DecodeError) as info:
        decode(KeyContact, {"userId": 1, "role": 2})
    assert "and 1 more invalid field" in str(info.value)


def test_error_carries_operation() -> None:
    with pytest.raises(DecodeError) as info:
        decode(ProviderUrl, {}, operation="generate-provider-url")
    assert info.value.operation == "generate-provider-url"
    assert str(info.value).startswith("generate-provider-url: ")


def test_error_chains_cause() -> None:
    with pytest.raises(DecodeError) as info:
        decode(ProviderUrl, {"url": 1})
    assert info.value.__cause__ is not None


# Encoding


def test_encode_create_omits_none() -> None:
    request = CreateDataProductRequest(
        name="Sales",
        read_me="# Sales",
        key_contacts=[KeyContact(user_id="u1")],
        api_consumable_dataset_ids=["d1"],
        dataset_ids=["d1"],
    )
    assert encode(request) == {
        "name": "Sales",
        "readMe": "# Sales",
        "datasetIds": ["d1"],
        "keyContacts": [{"userId": "u1"}],
        "apiConsumableDatasetIds": ["d1"],
    }


def test_encode_keeps_empty_lists() -> None:
    assert encode(CreateDataProductRequest(name="Sales", tags=[])) == {"name": "Sales", "tags": []}


def test_encode_activate() -> None:
    request = ActivateDataProductRequest(name="Sales", tags=["a"], space_id="s1")
    assert encode(request) == {"name": "Sales", "tags": ["a"], "spaceId": "s1"}


def test_encode_move() -> None:
    assert encode(MoveDataProductRequest(space_id="s1")) == {"spaceId": "s1"}


def test_encode_replace_null_value() -> None:
    assert encode(Replace(path="/description", value=None)) == {
        "op": "replace",
        "path": "/description",
        "value": None,
    }


def test_encode_replace_op_first() -> None:
    assert list(encode(Replace(path="/name", value="x"))) == ["op", "path", "value"]


def test_encode_replace_contacts() -> None:
    operation = Replace(path="/keyContacts", value=[KeyContact(user_id="u1", role="Owner")])
    assert encode(operation)["value"] == [{"userId": "u1", "role": "Owner"}]


def test_encode_replace_string_whole() -> None:
    assert encode(Replace(path="/name", value="ab"))["value"] == "ab"


def test_encode_patch_list() -> None:
    body = encode([Replace(path="/name", value="x"), Replace(path="/tags", value=["a"])])
    assert body == [
        {"op": "replace", "path": "/name", "value": "x"},
        {"op": "replace", "path": "/tags", "value": ["a"]},
    ]


def test_encode_self_link_key() -> None:
    assert encode(PageLinks(self_=Link(href="h"))) == {"self": {"href": "h"}}


def test_encode_timestamp_utc_z() -> None:
    entry = ChangelogEntry(
        created_at=datetime(2018, 3, 20, 10, 12, 28, tzinfo=timezone(timedelta(hours=1)))
    )
    assert encode(entry)["createdAt"] == "2018-03-20T09:12:28Z"


def test_encode_is_json_serialisable() -> None:
    product = decode(DataProduct, _load("data_product.json"))
    assert json.loads(json.dumps(encode(product))) == encode(product)


def test_make_converter_independent() -> None:
    first = make_converter()
    second = make_converter()
    assert first is not second
    assert first.structure({"userId": "u"}, KeyContact) == KeyContact(user_id="u")


# Round trips


_text = st.text(max_size=20)
_optional_text = st.none() | _text
_number = st.floats(allow_nan=False, allow_infinity=False)
_timestamp = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
_contact = st.builds(KeyContact, user_id=_text, role=_optional_text)
_strings = st.lists(_text, max_size=4).map(tuple)
_contacts = st.lists(_contact, max_size=3).map(tuple)
_change_value = st.one_of(st.none(), _text, _strings, _contacts)
_dimension = st.builds(
    TrustScoreDimension,
    id=_text,
    applicable_datasets=_number,
    score=st.none() | _number,
    previous_score=st.none() | _number,
)
_trust_score = st.builds(
    TrustScore,
    score=_number,
    applicable_datasets=_number,
    dimensions=st.none() | st.lists(_dimension, max_size=2).map(tuple),
    previous_score=st.none() | _number,
)
_product = st.builds(
    DataProduct,
    id=_text,
    qri=_text,
    name=_text,
    tags=_strings,
    owner_id=_text,
    tenant_id=_text,
    created_at=_timestamp,
    created_by=_text,
    updated_at=_timestamp,
    updated_by=_text,
    dataset_ids=_strings,
    activated_on=_strings,
    glossary_ids=_strings,
    key_contacts=_contacts,
    api_consumable_dataset_ids=_strings,
    main_id=_optional_text,
    read_me=_optional_text,
    quality=st.none() | st.builds(Quality, validity=_number, completeness=_number),
    space_id=_optional_text,
    activated=st.none() | st.booleans(),
    trust_score=st.none() | _trust_score,
    activated_at=st.none() | _timestamp,
    description=_optional_text,
    pending_changes_count=st.none() | st.integers(min_value=-(2**31), max_value=2**31 - 1),
)
_link = st.none() | st.builds(Link, href=_optional_text)
_page = st.builds(
    ChangelogPage,
    data=st.lists(
        st.builds(
            ChangelogEntry,
            id=_optional_text,
            changes=st.lists(
                st.builds(
                    Change, path=_optional_text, operator=_optional_text, value=_change_value
                ),
                max_size=3,
            ).map(tuple),
            created_at=st.none() | _timestamp,
            created_by=_optional_text,
        ),
        max_size=3,
    ).map(tuple),
    page=st.none() | st.integers(),
    limit=st.none() | st.integers(),
    pages=st.none() | st.integers(),
    total=st.none() | st.integers(),
    links=st.none()
    | st.builds(PageLinks, self_=_link, first=_link, last=_link, prev=_link, next=_link),
)


@given(_product)
def test_product_round_trip(product: DataProduct) -> None:
    assert decode(DataProduct, json.loads(json.dumps(encode(product)))) == product


@given(_page)
def test_changelog_round_trip(page: ChangelogPage) -> None:
    assert decode(ChangelogPage, json.loads(json.dumps(encode(page)))) == page


@given(st.builds(Replace, path=_text, value=_change_value))
def test_replace_round_trip(operation: Replace) -> None:
    assert decode(Replace, encode(operation)) == operation


@given(
    st.builds(
        ErrorResponse,
        errors=st.lists(
            st.builds(
                ErrorEntry,
                code=_optional_text,
                title=_optional_text,
                detail=_optional_text,
                status=_optional_text,
            ),
            max_size=2,
        ).map(tuple),
        trace_id=_optional_text,
    )
)
def test_error_response_round_trip(response: ErrorResponse) -> None:
    assert decode(ErrorResponse, encode(response)) == response


@given(_change_value)
def test_change_value_json_shape(value: object) -> None:
    encoded = encode(Change(value=value))  # type: ignore[arg-type]
    assert decode(Change, json.loads(json.dumps(encoded))).value == value


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)


def _with_keys(model_json: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={key: _json for key in model_json})


@given(_json | _with_keys(_product_json()))
def test_decode_raises_only_decode_error(data: object) -> None:
    try:
        decode(DataProduct, data)
    except DecodeError as exc:
        assert exc.path.startswith("$")


@given(_json | st.fixed_dictionaries({}, optional={"data": _json, "links": _json, "page": _json}))
def test_decode_changelog_raises_only_decode_error(data: object) -> None:
    try:
        decode(ChangelogPage, data)
    except DecodeError as exc:
        assert exc.path.startswith("$")
