"""Validate request bodies and query strings against the documented field limits.

Each validator raises `ApiError(400, ...)` with one detail per problem, each naming the field.
Unknown body fields are ignored because the published schemas do not set
`additionalProperties: false`. Where the API reference is silent the schemas decide: an empty
string passes wherever a schema sets no minimum length (`spaceId`, a key contact's `userId`,
the activate `name`), and
an empty patch list passes because the patch schema sets no `minItems`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError

__all__ = [
    "PATCH_PATHS",
    "parse_changelog_query",
    "validate_activate",
    "validate_create",
    "validate_dataset_id",
    "validate_move",
    "validate_patch",
]

NAME_MAX = 200
DESCRIPTION_MAX = 1024
README_MAX = 100_000
TAGS_MAX = 50
DATASET_IDS_MAX = 100
GLOSSARY_IDS_MAX = 100
KEY_CONTACTS_MAX = 100
ROLE_MAX = 200
PATCH_OPERATIONS_MAX = 8
CHANGELOG_LIMIT_MAX = 100

# The create schema's name pattern `^(\S.*\S|\S)*$`, read as Java reads it, because the
# service validates with Jakarta annotations: `\s` is ASCII whitespace only, and `.` matches
# anything but the five line terminators. Three of those terminators are not whitespace, so
# `\S` matches them at the ends of a group, but `.` cannot match them inside one.
_JAVA_WHITESPACE = frozenset(" \t\n\x0b\f\r")
_ENCLOSED_LINE_TERMINATOR = re.compile("[ \t\x0b\f][\x85\u2028\u2029][ \t\x0b\f]")
_DATASET_ID_PATTERN = re.compile(r"[0-9a-zA-Z-]{1,36}")
_UUID4_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_INTEGER_PATTERN = re.compile(r"-?[0-9]{1,10}")

STRING_PATHS = frozenset({"/name", "/description", "/readMe"})
LIST_PATHS = frozenset({"/tags", "/datasetIds", "/glossaryIds", "/apiConsumableDatasetIds"})
PATCH_PATHS = STRING_PATHS | LIST_PATHS | {"/keyContacts"}
CHANGELOG_SORTS = ("+createdAt", "-createdAt")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _check_string(
    problems: list[str],
    field: str,
    value: object,
    *,
    min_length: int = 0,
    max_length: int | None = None,
) -> bool:
    if not isinstance(value, str):
        problems.append(f"{field} must be a string, got {_type_name(value)}.")
        return False
    if len(value) < min_length:
        problems.append(f"{field} must contain at least {min_length} character(s).")
        return False
    if max_length is not None and len(value) > max_length:
        problems.append(f"{field} must contain at most {max_length} characters, got {len(value)}.")
        return False
    return True


def _check_name(problems: list[str], field: str, value: object) -> None:
    if not _check_string(problems, field, value, min_length=1, max_length=NAME_MAX):
        return
    assert isinstance(value, str)
    if not matches_name_pattern(value):
        problems.append(f"{field} must not start or end with whitespace or contain line breaks.")


def matches_name_pattern(name: str) -> bool:
    """Return whether a name matches the create name pattern with Java semantics.

    Equivalent to a full match of `([^WS][^LT]*[^WS]|[^WS])*`, where WS is ASCII whitespace and
    LT the line terminators, computed without the regex's exponential backtracking. Each run of
    whitespace must sit inside one group, between two non-whitespace characters, so a line
    terminator with whitespace on both sides would have to be matched by `.`.
    """
    if not name:
        return True
    if "\n" in name or "\r" in name:
        return False
    if name[0] in _JAVA_WHITESPACE or name[-1] in _JAVA_WHITESPACE:
        return False
    return not _ENCLOSED_LINE_TERMINATOR.search(name)


def _check_string_list(
    problems: list[str],
    field: str,
    value: object,
    *,
    max_items: int | None,
    unique: bool,
    pattern: re.Pattern[str] | None = None,
    pattern_text: str = "",
) -> bool:
    if not isinstance(value, list):
        problems.append(f"{field} must be an array of strings, got {_type_name(value)}.")
        return False
    if max_items is not None and len(value) > max_items:
        problems.append(f"{field} must contain at most {max_items} items, got {len(value)}.")
        return False
    valid = True
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(f"{field}[{index}] must be a string, got {_type_name(item)}.")
            valid = False
        elif pattern is not None and not pattern.fullmatch(item):
            problems.append(f"{field}[{index}] must be {pattern_text}, got {item!r}.")
            valid = False
    if valid and unique and len(set(value)) != len(value):
        duplicates = sorted({item for item in value if value.count(item) > 1})
        problems.append(f"{field} must contain unique items, got duplicates {duplicates}.")
        valid = False
    return valid


def _check_key_contacts(problems: list[str], field: str, value: object) -> list[dict[str, str]]:
    """Return the contacts reduced to `userId` and `role`."""
    if not isinstance(value, list):
        problems.append(f"{field} must be an array of objects, got {_type_name(value)}.")
        return []
    if len(value) > KEY_CONTACTS_MAX:
        problems.append(f"{field} must contain at most {KEY_CONTACTS_MAX} items, got {len(value)}.")
        return []
    contacts: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{item_field} must be an object, got {_type_name(item)}.")
            continue
        if "userId" not in item:
            problems.append(f"{item_field}.userId is required.")
            continue
        user_id = item["userId"]
        if not _check_string(problems, f"{item_field}.userId", user_id):
            continue
        contact = {"userId": user_id}
        if "role" in item:
            role = item["role"]
            if not _check_string(problems, f"{item_field}.role", role, max_length=ROLE_MAX):
                continue
            contact["role"] = role
        if user_id in seen:
            problems.append(f"{item_field}.userId {user_id!r} is listed more than once.")
            continue
        seen.add(user_id)
        contacts.append(contact)
    return contacts


def _check_dataset_ids(problems: list[str], field: str, value: object, *, unique: bool) -> None:
    _check_string_list(
        problems,
        field,
        value,
        max_items=DATASET_IDS_MAX,
        unique=unique,
        pattern=_DATASET_ID_PATTERN,
        pattern_text="1-36 letters, digits or hyphens",
    )


def _check_glossary_ids(problems: list[str], field: str, value: object, *, unique: bool) -> None:
    _check_string_list(
        problems,
        field,
        value,
        max_items=GLOSSARY_IDS_MAX,
        unique=unique,
        pattern=_UUID4_PATTERN,
        pattern_text="a lowercase UUIDv4",
    )


def check_consumable_subset(
    problems: list[str], consumable: list[str], dataset_ids: list[str]
) -> None:
    """Add a problem unless every API-consumable dataset is one of the dataset ids."""
    missing = [item for item in consumable if item not in dataset_ids]
    if missing:
        problems.append(
            f"apiConsumableDatasetIds must be a subset of datasetIds, not in datasetIds: {missing}."
        )


def _require_object(body: object, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, f"The {what} body must be a JSON object, got {_type_name(body)}.")
    return body


def validate_create(body: object) -> dict[str, Any]:
    """Return the create fields that were set, each checked against its limits."""
    data = _require_object(body, "create request")
    problems: list[str] = []
    fields: dict[str, Any] = {}

    if "name" not in data:
        problems.append("name is required.")
    else:
        _check_name(problems, "name", data["name"])
    if "description" in data:
        _check_string(problems, "description", data["description"], max_length=DESCRIPTION_MAX)
    if "readMe" in data:
        _check_string(problems, "readMe", data["readMe"], max_length=README_MAX)
    if "spaceId" in data:
        _check_string(problems, "spaceId", data["spaceId"])
    if "tags" in data:
        _check_string_list(problems, "tags", data["tags"], max_items=TAGS_MAX, unique=False)
    if "datasetIds" in data:
        _check_dataset_ids(problems, "datasetIds", data["datasetIds"], unique=True)
    if "glossaryIds" in data:
        _check_glossary_ids(problems, "glossaryIds", data["glossaryIds"], unique=False)
    if "keyContacts" in data:
        fields["keyContacts"] = _check_key_contacts(problems, "keyContacts", data["keyContacts"])
    if "apiConsumableDatasetIds" in data:
        consumable = data["apiConsumableDatasetIds"]
        if _check_string_list(
            problems, "apiConsumableDatasetIds", consumable, max_items=None, unique=True
        ):
            dataset_ids = data.get("datasetIds", [])
            check_consumable_subset(
                problems, consumable, dataset_ids if isinstance(dataset_ids, list) else []
            )

    if problems:
        raise ApiError(400, problems)
    for key in (
        "name",
        "description",
        "readMe",
        "spaceId",
        "tags",
        "datasetIds",
        "glossaryIds",
        "apiConsumableDatasetIds",
    ):
        if key in data:
            fields[key] = data[key]
    return fields


def _check_patch_value(problems: list[str], field: str, path: str, value: object) -> object:
    """Return the value to store for one replace operation."""
    name = path[1:]
    if path == "/name":
        if value is None:
            problems.append(f"{field}: name cannot be null.")
        else:
            _check_name(problems, f"{field} (name)", value)
        return value
    if path in STRING_PATHS:
        if value is not None:
            limit = DESCRIPTION_MAX if path == "/description" else README_MAX
            _check_string(problems, f"{field} ({name})", value, max_length=limit)
        return value
    if value is None:
        return []
    if path == "/keyContacts":
        return _check_key_contacts(problems, f"{field} (keyContacts)", value)
    label = f"{field} ({name})"
    if path == "/datasetIds":
        _check_dataset_ids(problems, label, value, unique=True)
    elif path == "/glossaryIds":
        _check_glossary_ids(problems, label, value, unique=True)
    elif path == "/tags":
        _check_string_list(problems, label, value, max_items=TAGS_MAX, unique=True)
    else:
        _check_string_list(problems, label, value, max_items=None, unique=True)
    return value


def validate_patch(body: object) -> list[tuple[str, object]]:
    """Return the patch as `(path, value)` pairs after checking every operation."""
    if not isinstance(body, list):
        raise ApiError(400, f"The patch body must be a JSON array, got {_type_name(body)}.")
    if len(body) > PATCH_OPERATIONS_MAX:
        raise ApiError(
            400,
            f"The patch body must contain at most {PATCH_OPERATIONS_MAX} operations, "
            f"got {len(body)}.",
        )
    problems: list[str] = []
    operations: list[tuple[str, object]] = []
    for index, item in enumerate(body):
        field = f"[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{field} must be an object, got {_type_name(item)}.")
            continue
        op, path = item.get("op"), item.get("path")
        if op != "replace":
            problems.append(f"{field}.op must be 'replace', got {op!r}.")
            continue
        if path not in PATCH_PATHS:
            problems.append(f"{field}.path must be one of {sorted(PATCH_PATHS)}, got {path!r}.")
            continue
        assert isinstance(path, str)
        value = _check_patch_value(problems, f"{field}.value", path, item.get("value"))
        operations.append((path, value))
    if problems:
        raise ApiError(400, problems)
    return operations


def validate_activate(body: object) -> dict[str, Any]:
    """Return the activation fields that were set."""
    data = _require_object(body, "activate request")
    problems: list[str] = []
    if "name" not in data:
        problems.append("name is required.")
    else:
        _check_string(problems, "name", data["name"], max_length=NAME_MAX)
    if "description" in data:
        _check_string(problems, "description", data["description"], max_length=DESCRIPTION_MAX)
    if "tags" in data:
        _check_string_list(problems, "tags", data["tags"], max_items=TAGS_MAX, unique=False)
    if "spaceId" in data:
        _check_string(problems, "spaceId", data["spaceId"])
    if problems:
        raise ApiError(400, problems)
    return {key: data[key] for key in ("name", "description", "tags", "spaceId") if key in data}


def validate_move(body: object) -> str:
    """Return the target space id."""
    data = _require_object(body, "move request")
    if "spaceId" not in data:
        raise ApiError(400, "spaceId is required.")
    problems: list[str] = []
    _check_string(problems, "spaceId", data["spaceId"])
    if problems:
        raise ApiError(400, problems)
    space_id: str = data["spaceId"]
    return space_id


def validate_dataset_id(value: str | None) -> str:
    """Return the `dataSetId` query value after checking it is a dataset id."""
    if value is None:
        raise ApiError(400, "dataSetId is required in the query string.")
    if not _DATASET_ID_PATTERN.fullmatch(value):
        raise ApiError(400, f"dataSetId must be 1-36 letters, digits or hyphens, got {value!r}.")
    return value


def _parse_integer(
    problems: list[str],
    query: Mapping[str, str],
    name: str,
    default: int,
    low: int,
    high: int | None,
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _INTEGER_PATTERN.fullmatch(raw):
        problems.append(f"{name} must be an integer, got {raw!r}.")
        return default
    value = int(raw)
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        problems.append(f"{name} must be {bounds}, got {value}.")
    return value


def parse_changelog_query(query: Mapping[str, str]) -> tuple[int, int, str]:
    """Return `(page, limit, sort)` from the changelog query string."""
    problems: list[str] = []
    limit = _parse_integer(problems, query, "limit", 10, 1, CHANGELOG_LIMIT_MAX)
    page = _parse_integer(problems, query, "page", 1, 1, 2**31 - 1)
    sort = query.get("sort", "-createdAt")
    if sort not in CHANGELOG_SORTS:
        problems.append(
            f"sort must be '+createdAt' or '-createdAt', got {sort!r} "
            "(encode '+' as %2B in a query string)."
        )
    if problems:
        raise ApiError(400, problems)
    return page, limit, sort
