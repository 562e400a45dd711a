"""Tests for the attrs models: immutability, list conversion and request field checks."""

from __future__ import annotations

from typing import Any, get_args

import attrs
import pytest

from qlik_dataproducts import _errors, _models
from qlik_dataproducts._errors import ValidationError
from qlik_dataproducts._models import (
    CHANGE_OPERATORS,
    CHANGE_PATHS,
    PATCH_PATHS,
    ActivateDataProductRequest,
    ChangelogEntry,
    ChangelogPage,
    ChangeOperator,
    ChangePath,
    CreateDataProductRequest,
    ErrorEntry,
    KeyContact,
    PatchPath,
    Replace,
    json_key,
)


def _isort_key(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_sorted() -> None:
    assert _models.__all__ == sorted(_models.__all__, key=_isort_key)


def test_all_names_exist() -> None:
    missing = [name for name in _models.__all__ if not hasattr(_models, name)]
    assert missing == []


def test_error_entry_reexported() -> None:
    assert ErrorEntry is _errors.ErrorEntry


@pytest.mark.parametrize(
    "cls",
    [getattr(_models, name) for name in _models.__all__ if attrs.has(getattr(_models, name))],
)
def test_models_slotted(cls: type[Any]) -> None:
    assert "__slots__" in cls.__dict__


@pytest.mark.parametrize(
    "cls",
    [getattr(_models, name) for name in _models.__all__ if attrs.has(getattr(_models, name))],
)
def test_models_frozen(cls: type[Any]) -> None:
    blank = object.__new__(cls)
    first = attrs.fields(cls)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(blank, first, None)


def test_key_contact_frozen() -> None:
    contact = KeyContact(user_id="u1", role="Data Steward")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        contact.role = "Owner"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("literal", "values"),
    [(PatchPath, PATCH_PATHS), (ChangePath, CHANGE_PATHS), (ChangeOperator, CHANGE_OPERATORS)],
)
def test_literal_matches_tuple(literal: Any, values: tuple[str, ...]) -> None:
    assert get_args(literal) == values


def test_change_paths_include_semantic_model() -> None:
    assert "/semanticModel" in CHANGE_PATHS


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("read_me", "readMe"),
        ("api_consumable_dataset_ids", "apiConsumableDatasetIds"),
        ("self_", "self"),
        ("id", "id"),
        ("trace_id", "traceId"),
    ],
)
def test_json_key(name: str, key: str) -> None:
    assert json_key(name) == key


def test_create_lists_become_tuples() -> None:
    request = CreateDataProductRequest(
        name="Sales",
        tags=["a", "b"],
        dataset_ids=("d1",),
        glossary_ids=iter(["g1"]),
        key_contacts=[KeyContact(user_id="u1")],
        api_consumable_dataset_ids=["d1"],
    )
    assert request.tags == ("a", "b")
    assert request.dataset_ids == ("d1",)
    assert request.glossary_ids == ("g1",)
    assert request.key_contacts == (KeyContact(user_id="u1"),)
    assert request.api_consumable_dataset_ids == ("d1",)


def test_create_request_hashable() -> None:
    request = CreateDataProductRequest(name="Sales", tags=["a"])
    assert hash(request) == hash(CreateDataProductRequest(name="Sales", tags=("a",)))


def test_create_lists_default_none() -> None:
    request = CreateDataProductRequest(name="Sales")
    assert request.tags is None
    assert request.key_contacts is None


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("tags", "tags"),
        ("dataset_ids", "datasetIds"),
        ("glossary_ids", "glossaryIds"),
        ("api_consumable_dataset_ids", "apiConsumableDatasetIds"),
    ],
)
def test_create_bare_string_rejected(field: str, key: str) -> None:
    arguments: dict[str, Any] = {field: "abc"}
    with pytest.raises(ValidationError) as info:
        CreateDataProductRequest(name="Sales", **arguments)
    assert info.value.field == key
    assert info.value.value == "abc"
    assert "wrap it in a list" in info.value.rule


@pytest.mark.parametrize("value", [{"a": 1}, 5, b"abc"])
def test_create_non_list_rejected(value: object) -> None:
    with pytest.raises(ValidationError, match="must be a list"):
        CreateDataProductRequest(name="Sales", tags=value)  # type: ignore[arg-type]


def test_activate_bare_string_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        ActivateDataProductRequest(name="Sales", tags="finance")
    assert info.value.field == "tags"


def test_replace_op_fixed() -> None:
    operation = Replace(path="/name", value="Sales")
    assert operation.op == "replace"


def test_replace_op_not_settable() -> None:
    with pytest.raises(TypeError):
        Replace(op="add", path="/name", value="Sales")  # type: ignore[call-arg]


def test_replace_list_becomes_tuple() -> None:
    assert Replace(path="/tags", value=["a", "b"]).value == ("a", "b")


def test_replace_string_kept_whole() -> None:
    assert Replace(path="/name", value="ab").value == "ab"


def test_replace_none_kept() -> None:
    assert Replace(path="/readMe", value=None).value is None


def test_replace_key_contacts_hashable() -> None:
    operation = Replace(path="/keyContacts", value=[KeyContact(user_id="u1")])
    assert hash(operation) == hash(Replace(path="/keyContacts", value=(KeyContact("u1"),)))


def test_replace_mapping_left_for_rules() -> None:
    mapping: Any = {"userId": "u1"}
    operation = Replace(path="/keyContacts", value=mapping)
    assert operation.value is mapping


def test_changelog_defaults_empty() -> None:
    assert ChangelogEntry().changes == ()
    assert ChangelogPage().data == ()
