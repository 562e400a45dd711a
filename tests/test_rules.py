"""Tests for the client-side validation rules: each limit passes at the limit and fails past it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_dataproducts._errors import ValidationError
from qlik_dataproducts._models import (
    PATCH_PATHS,
    ActivateDataProductRequest,
    CreateDataProductRequest,
    KeyContact,
    MoveDataProductRequest,
    Replace,
)
from qlik_dataproducts._rules import (
    validate_activate,
    validate_changelog_query,
    validate_create,
    validate_dataset_id,
    validate_move,
    validate_patch,
    validate_product_id,
)

GLOSSARY_ID = "3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f"


def _glossary_ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{index:012x}" for index in range(count)]


def _contacts(count: int) -> list[KeyContact]:
    return [KeyContact(user_id=f"user-{index}") for index in range(count)]


def _create(**fields: Any) -> CreateDataProductRequest:
    fields.setdefault("name", "Sales")
    return CreateDataProductRequest(**fields)


def _rejects(call: Any, *args: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    return info.value


# create


def test_create_minimal_passes() -> None:
    validate_create(_create())


def test_create_full_passes() -> None:
    validate_create(
        _create(
            tags=["finance", "finance"],
            read_me="# Sales",
            space_id="space-1",
            dataset_ids=["669144f5aa2d642638ef1dd0", "d-2"],
            description="Sales data",
            glossary_ids=[GLOSSARY_ID, GLOSSARY_ID],
            key_contacts=[KeyContact(user_id="u1", role="Data Steward"), KeyContact("u2")],
            api_consumable_dataset_ids=["d-2"],
        )
    )


@pytest.mark.parametrize(
    "name", ["x", "x" * 200, "Sales data", "a\tb", "\u00a0Sales", "Sales \u00e9t\u00e9"]
)
def test_create_name_valid(name: str) -> None:
    validate_create(_create(name=name))


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("", "must not be empty"),
        ("x" * 201, "at most 200 characters (got 201)"),
        (" Sales", "whitespace"),
        ("Sales ", "whitespace"),
        ("\tSales", "whitespace"),
        ("Sales\n", "whitespace"),
        ("Sales\nEurope", "line break"),
        ("Sales\rEurope", "line break"),
        ("Sales\u2028Europe", "line break"),
        (" ", "whitespace"),
    ],
)
def test_create_name_invalid(name: str, fix: str) -> None:
    error = _rejects(validate_create, _create(name=name))
    assert error.field == "name"
    assert error.value == name
    assert fix in error.rule


def test_create_name_not_string() -> None:
    error = _rejects(validate_create, _create(name=5))
    assert error.field == "name"
    assert "must be a string" in error.rule


def test_create_name_rule_names_fix() -> None:
    error = _rejects(validate_create, _create(name="x" * 231))
    assert error.rule == "must be at most 200 characters (got 231); shorten it"


# The spec's create name pattern, read with ASCII \s as Java reads it. Python's . matches the
# other Java line terminators, so the generated names leave them out.
_SPEC_NAME = re.compile(r"^(\S.*\S|\S)*$", re.ASCII)


@given(st.text(alphabet=st.sampled_from("ab \t\n\x0b\f\u00a0\u00e9"), min_size=1, max_size=10))
def test_create_name_matches_spec_pattern(name: str) -> None:
    expected = _SPEC_NAME.fullmatch(name) is not None
    try:
        validate_create(_create(name=name))
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == expected


@pytest.mark.parametrize(
    ("field", "key", "limit"),
    [
        ("description", "description", 1024),
        ("read_me", "readMe", 100_000),
    ],
)
def test_create_text_limits(field: str, key: str, limit: int) -> None:
    validate_create(_create(**{field: "x" * limit}))
    error = _rejects(validate_create, _create(**{field: "x" * (limit + 1)}))
    assert error.field == key
    assert f"at most {limit:,} characters (got {limit + 1:,})" in error.rule


@pytest.mark.parametrize("field", ["description", "read_me", "space_id"])
def test_create_text_type(field: str) -> None:
    error = _rejects(validate_create, _create(**{field: 5}))
    assert "must be a string" in error.rule


def test_create_empty_strings_pass() -> None:
    validate_create(_create(description="", read_me=""))


def test_create_tags_limit() -> None:
    validate_create(_create(tags=[f"t{index}" for index in range(50)]))
    error = _rejects(validate_create, _create(tags=[f"t{index}" for index in range(51)]))
    assert error.field == "tags"
    assert "at most 50 items (got 51); remove 1 item" in error.rule


def test_create_tag_not_string() -> None:
    error = _rejects(validate_create, _create(tags=["a", "b", "c", 4]))
    assert error.field == "tags[3]"
    assert error.value == 4


def test_create_dataset_ids_limit() -> None:
    validate_create(_create(dataset_ids=[f"d{index}" for index in range(100)]))
    error = _rejects(validate_create, _create(dataset_ids=[f"d{index}" for index in range(101)]))
    assert error.field == "datasetIds"
    assert "at most 100 items (got 101)" in error.rule


def test_create_dataset_ids_unique() -> None:
    error = _rejects(validate_create, _create(dataset_ids=["a", "b", "a"]))
    assert error.field == "datasetIds[2]"
    assert "repeats datasetIds[0]" in error.rule


@pytest.mark.parametrize("dataset_id", ["a", "A-1", "x" * 36, "669144f5aa2d642638ef1dd0"])
def test_create_dataset_id_format_valid(dataset_id: str) -> None:
    validate_create(_create(dataset_ids=[dataset_id]))


@pytest.mark.parametrize("dataset_id", ["", "x" * 37, "a_b", "a b", "a/b", "\u00e9", "a\n"])
def test_create_dataset_id_format_invalid(dataset_id: str) -> None:
    error = _rejects(validate_create, _create(dataset_ids=["ok", dataset_id]))
    assert error.field == "datasetIds[1]"
    assert "1 to 36 ASCII letters, digits or hyphens" in error.rule


def test_create_glossary_ids_limit() -> None:
    validate_create(_create(glossary_ids=_glossary_ids(100)))
    error = _rejects(validate_create, _create(glossary_ids=_glossary_ids(101)))
    assert error.field == "glossaryIds"


def test_create_glossary_uppercase_hint() -> None:
    error = _rejects(validate_create, _create(glossary_ids=[GLOSSARY_ID.upper()]))
    assert error.field == "glossaryIds[0]"
    assert "use lowercase" in error.rule
    assert GLOSSARY_ID in error.rule


@pytest.mark.parametrize(
    "glossary_id",
    [
        "",
        "not-a-uuid",
        "3f2b8c1e-9a4d-1c6b-8e2f-1a2b3c4d5e6f",
        "3f2b8c1e-9a4d-4c6b-ce2f-1a2b3c4d5e6f",
        "3f2b8c1e9a4d4c6b8e2f1a2b3c4d5e6f",
        "{3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f}",
        GLOSSARY_ID + "0",
    ],
)
def test_create_glossary_id_invalid(glossary_id: str) -> None:
    error = _rejects(validate_create, _create(glossary_ids=[glossary_id]))
    assert error.field == "glossaryIds[0]"
    assert "UUIDv4" in error.rule


@given(st.uuids(version=4))
def test_create_glossary_uuid4_passes(value: Any) -> None:
    validate_create(_create(glossary_ids=[str(value)]))


def test_create_key_contacts_limit() -> None:
    validate_create(_create(key_contacts=_contacts(100)))
    error = _rejects(validate_create, _create(key_contacts=_contacts(101)))
    assert error.field == "keyContacts"
    assert "at most 100 items (got 101)" in error.rule


def test_create_role_limit() -> None:
    validate_create(_create(key_contacts=[KeyContact("u1", role="r" * 200)]))
    error = _rejects(
        validate_create, _create(key_contacts=[KeyContact("u0"), KeyContact("u1", role="r" * 201)])
    )
    assert error.field == "keyContacts[1].role"


def test_create_user_id_empty() -> None:
    error = _rejects(validate_create, _create(key_contacts=[KeyContact(user_id="")]))
    assert error.field == "keyContacts[0].userId"
    assert "must not be empty" in error.rule


def test_create_user_id_not_string() -> None:
    error = _rejects(validate_create, _create(key_contacts=[KeyContact(user_id=5)]))  # type: ignore[arg-type]
    assert error.field == "keyContacts[0].userId"


def test_create_user_listed_twice() -> None:
    contacts = [KeyContact("u1"), KeyContact("u2"), KeyContact("u1", role="Owner")]
    error = _rejects(validate_create, _create(key_contacts=contacts))
    assert error.field == "keyContacts[2].userId"
    assert "list each user once" in error.rule


def test_create_contact_as_dict() -> None:
    contacts: Any = [{"userId": "u1"}]
    error = _rejects(validate_create, _create(key_contacts=contacts))
    assert error.field == "keyContacts[0]"
    assert "KeyContact(user_id=" in error.rule


def test_create_consumable_subset() -> None:
    error = _rejects(
        validate_create, _create(dataset_ids=["d1"], api_consumable_dataset_ids=["d1", "d2"])
    )
    assert error.field == "apiConsumableDatasetIds[1]"
    assert "datasetIds" in error.rule


def test_create_consumable_without_datasets() -> None:
    error = _rejects(validate_create, _create(api_consumable_dataset_ids=["d1"]))
    assert error.field == "apiConsumableDatasetIds[0]"


def test_create_consumable_unique() -> None:
    error = _rejects(
        validate_create, _create(dataset_ids=["d1"], api_consumable_dataset_ids=["d1", "d1"])
    )
    assert error.field == "apiConsumableDatasetIds[1]"


def test_create_wrong_type() -> None:
    error = _rejects(validate_create, {"name": "Sales"})
    assert error.field == "body"


# activate


def test_activate_passes() -> None:
    validate_activate(
        ActivateDataProductRequest(
            name="x" * 200, tags=["t"] * 50, space_id="s1", description="d" * 1024
        )
    )


def test_activate_name_whitespace_allowed() -> None:
    # The activate schema has no pattern, unlike create, so surrounding spaces pass.
    validate_activate(ActivateDataProductRequest(name=" Sales "))


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ActivateDataProductRequest(name=""), "name"),
        (ActivateDataProductRequest(name="x" * 201), "name"),
        (ActivateDataProductRequest(name="Sales", tags=["t"] * 51), "tags"),
        (ActivateDataProductRequest(name="Sales", tags=["t", 1]), "tags[1]"),  # type: ignore[list-item]
        (ActivateDataProductRequest(name="Sales", description="d" * 1025), "description"),
        (ActivateDataProductRequest(name="Sales", space_id=1), "spaceId"),  # type: ignore[arg-type]
        (ActivateDataProductRequest(name=None), "name"),  # type: ignore[arg-type]
    ],
)
def test_activate_invalid(request_: ActivateDataProductRequest, field: str) -> None:
    assert _rejects(validate_activate, request_).field == field


# move


def test_move_passes() -> None:
    validate_move(MoveDataProductRequest(space_id="s1"))


@pytest.mark.parametrize("space_id", ["", None, 5])
def test_move_invalid(space_id: Any) -> None:
    error = _rejects(validate_move, MoveDataProductRequest(space_id=space_id))
    assert error.field == "spaceId"


# patch


def test_patch_every_path_passes() -> None:
    validate_patch(
        [
            Replace("/name", "Sales"),
            Replace("/description", "d" * 1024),
            Replace("/readMe", "r" * 100_000),
            Replace("/tags", ["t"]),
            Replace("/datasetIds", ["d1", "d2"]),
            Replace("/glossaryIds", [GLOSSARY_ID]),
            Replace("/keyContacts", [KeyContact("u1", "Owner")]),
            Replace("/apiConsumableDatasetIds", ["d1"]),
        ]
    )


@pytest.mark.parametrize("path", PATCH_PATHS)
def test_patch_null_allowed(path: str) -> None:
    validate_patch([Replace(path, None)])


@pytest.mark.parametrize("path", ["/tags", "/datasetIds", "/glossaryIds", "/keyContacts"])
def test_patch_empty_list_allowed(path: str) -> None:
    validate_patch([Replace(path, [])])


def test_patch_empty_rejected() -> None:
    error = _rejects(validate_patch, [])
    assert error.field == "operations"
    assert "at least 1 operation" in error.rule


def test_patch_nine_rejected() -> None:
    operations = [Replace(path, None) for path in PATCH_PATHS] + [Replace("/spaceId", None)]
    error = _rejects(validate_patch, operations)
    assert error.field == "operations"
    assert "at most 8 operations (got 9)" in error.rule


def test_patch_eight_passes() -> None:
    assert len(PATCH_PATHS) == 8
    validate_patch([Replace(path, None) for path in PATCH_PATHS])


def test_patch_single_replace_rejected() -> None:
    error = _rejects(validate_patch, Replace("/name", "x"))
    assert error.field == "operations"


def test_patch_dict_operation_rejected() -> None:
    error = _rejects(validate_patch, [Replace("/name", "x"), {"op": "replace", "path": "/tags"}])
    assert error.field == "[1]"
    assert "must be a Replace" in error.rule


@pytest.mark.parametrize("path", ["/spaceId", "/activatedOn", "/semanticModel", "name", ""])
def test_patch_unknown_path(path: str) -> None:
    error = _rejects(validate_patch, [Replace(path, None)])
    assert error.field == "[0].path"
    assert "/apiConsumableDatasetIds" in error.rule


def test_patch_same_path_twice() -> None:
    error = _rejects(validate_patch, [Replace("/tags", ["a"]), Replace("/tags", ["b"])])
    assert error.field == "[1].path"
    assert "repeats the path of operation [0]" in error.rule


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("/name", "", "[0].value"),
        ("/name", " Sales", "[0].value"),
        ("/name", "x" * 201, "[0].value"),
        ("/name", ["Sales"], "[0].value"),
        ("/description", "d" * 1025, "[0].value"),
        ("/description", 5, "[0].value"),
        ("/readMe", "r" * 100_001, "[0].value"),
        ("/tags", "abc", "[0].value"),
        ("/tags", ["t"] * 51, "[0].value"),
        ("/tags", ["a", "a"], "[0].value[1]"),
        ("/tags", ["a", 1], "[0].value[1]"),
        ("/tags", {"a": 1}, "[0].value"),
        ("/datasetIds", ["d"] * 2, "[0].value[1]"),
        ("/datasetIds", [f"d{index}" for index in range(101)], "[0].value"),
        ("/datasetIds", ["a_b"], "[0].value[0]"),
        ("/glossaryIds", [GLOSSARY_ID, GLOSSARY_ID], "[0].value[1]"),
        ("/glossaryIds", _glossary_ids(101), "[0].value"),
        ("/glossaryIds", [GLOSSARY_ID.upper()], "[0].value[0]"),
        ("/apiConsumableDatasetIds", ["d1", "d1"], "[0].value[1]"),
        ("/apiConsumableDatasetIds", ["d 1"], "[0].value[0]"),
        ("/keyContacts", _contacts(101), "[0].value"),
        ("/keyContacts", [{"userId": "u1"}], "[0].value[0]"),
        ("/keyContacts", ["u1"], "[0].value[0]"),
        ("/keyContacts", [KeyContact("u1"), KeyContact("u1")], "[0].value[1].userId"),
        ("/keyContacts", [KeyContact("u1", role="r" * 201)], "[0].value[0].role"),
        ("/keyContacts", [KeyContact("")], "[0].value[0].userId"),
        ("/keyContacts", "u1", "[0].value"),
    ],
)
def test_patch_value_invalid(path: str, value: Any, field: str) -> None:
    error = _rejects(validate_patch, [Replace(path, value)])
    assert error.field == field


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/name", "x" * 200),
        ("/tags", ["t"] * 1 + [f"t{index}" for index in range(49)]),
        ("/datasetIds", [f"d{index}" for index in range(100)]),
        ("/glossaryIds", _glossary_ids(100)),
        ("/keyContacts", _contacts(100)),
        ("/keyContacts", [KeyContact("u1", role="r" * 200)]),
    ],
)
def test_patch_value_at_limit(path: str, value: Any) -> None:
    validate_patch([Replace(path, value)])


def test_patch_index_in_field() -> None:
    error = _rejects(validate_patch, [Replace("/name", "ok"), Replace("/tags", ["a", "a"])])
    assert error.field == "[1].value[1]"


def test_patch_consumable_subset() -> None:
    operations = [
        Replace("/apiConsumableDatasetIds", ["d1", "d9"]),
        Replace("/datasetIds", ["d1", "d2"]),
    ]
    error = _rejects(validate_patch, operations)
    assert error.field == "[0].value[1]"
    assert "[1].value" in error.rule


def test_patch_consumable_alone_passes() -> None:
    # Without /datasetIds in the same patch the subset rule depends on the stored product,
    # which only the service can check.
    validate_patch([Replace("/apiConsumableDatasetIds", ["d9"])])


def test_patch_consumable_cleared_datasets() -> None:
    operations = [Replace("/datasetIds", None), Replace("/apiConsumableDatasetIds", ["d1"])]
    error = _rejects(validate_patch, operations)
    assert error.field == "[1].value[0]"


# product and dataset ids


@pytest.mark.parametrize(
    "product_id",
    ["694e8c78cb095e700317789d", GLOSSARY_ID, "a/b?c", "x", "name with spaces"],
)
def test_product_id_valid(product_id: str) -> None:
    validate_product_id(product_id)


@pytest.mark.parametrize("product_id", ["", " ", "\t\n", None, 5, b"abc"])
def test_product_id_invalid(product_id: object) -> None:
    error = _rejects(validate_product_id, product_id)
    assert error.field == "dataProductId"
    assert error.value == product_id


@pytest.mark.parametrize("dataset_id", ["a", "x" * 36, "669144f5aa2d642638ef1dd0", "A-b-9"])
def test_dataset_id_valid(dataset_id: str) -> None:
    validate_dataset_id(dataset_id)


@pytest.mark.parametrize("dataset_id", ["", "x" * 37, "a.b", "a%2Fb", " a", None, 1])
def test_dataset_id_invalid(dataset_id: object) -> None:
    error = _rejects(validate_dataset_id, dataset_id)
    assert error.field == "dataSetId"


# changelog query


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": None, "limit": None, "sort": None},
        {"page": 1, "limit": 1, "sort": "+createdAt"},
        {"page": 10**6, "limit": 100, "sort": "-createdAt"},
    ],
)
def test_changelog_query_valid(query: dict[str, Any]) -> None:
    validate_changelog_query(**query)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": True}, "page"),
        ({"page": 1.0}, "page"),
        ({"page": "1"}, "page"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": False}, "limit"),
        ({"limit": 10.0}, "limit"),
        ({"sort": "createdAt"}, "sort"),
        ({"sort": "+updatedAt"}, "sort"),
        ({"sort": " -createdAt"}, "sort"),
    ],
)
def test_changelog_query_invalid(query: dict[str, Any], field: str) -> None:
    error = _rejects(validate_changelog_query, **query)
    assert error.field == field


def test_changelog_limit_message() -> None:
    error = _rejects(validate_changelog_query, limit=101)
    assert "must be between 1 and 100 (got 101)" in error.rule


def test_validation_message_names_field_value_rule() -> None:
    error = _rejects(validate_changelog_query, limit=101)
    assert str(error).startswith("invalid limit=101: must be between 1 and 100")
