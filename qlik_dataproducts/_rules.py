"""Client-side checks of request arguments against the documented limits.

The client calls these before it sends anything. Each function raises ``ValidationError`` for
the first invalid field, with the field's JSON path (``keyContacts[1].role``, ``[2].value`` for
the third patch operation), the rejected value and the fix. Most limits are the ``maxLength``,
``maxItems``, ``uniqueItems`` and ``pattern`` keywords of the service's published OpenAPI
description. Two checks go beyond the spec's schemas. Each user appears at most once among
the key contacts, a limit the API documentation states for create. The activate name must not
be empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NoReturn

from ._errors import ValidationError
from ._models import (
    PATCH_PATHS,
    ActivateDataProductRequest,
    CreateDataProductRequest,
    KeyContact,
    MoveDataProductRequest,
    Replace,
)

__all__ = [
    "MAX_CHANGELOG_LIMIT",
    "MAX_DATASET_IDS",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_GLOSSARY_IDS",
    "MAX_KEY_CONTACTS",
    "MAX_NAME_LENGTH",
    "MAX_PATCH_OPERATIONS",
    "MAX_READ_ME_LENGTH",
    "MAX_ROLE_LENGTH",
    "MAX_TAGS",
    "SORT_ORDERS",
    "validate_activate",
    "validate_changelog_query",
    "validate_create",
    "validate_dataset_id",
    "validate_move",
    "validate_patch",
    "validate_product_id",
]

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1024
MAX_READ_ME_LENGTH = 100_000
MAX_TAGS = 50
MAX_DATASET_IDS = 100
MAX_GLOSSARY_IDS = 100
MAX_KEY_CONTACTS = 100
MAX_ROLE_LENGTH = 200
MAX_PATCH_OPERATIONS = 8
MAX_CHANGELOG_LIMIT = 100
SORT_ORDERS = ("+createdAt", "-createdAt")

_DATASET_ID = re.compile(r"[0-9a-zA-Z-]{1,36}", re.ASCII)
_UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.ASCII
)

# The create name pattern ^(\S.*\S|\S)*$ allows no line terminator, because neither . nor \S
# matches one, and no whitespace at either end. The spec carries Jakarta validation annotations,
# so the sets below follow Java regular expressions. There \s is ASCII whitespace only, and .
# excludes the five line terminators listed.
_JAVA_WHITESPACE = frozenset(" \t\n\x0b\f\r")
_JAVA_LINE_TERMINATORS = frozenset("\n\r\u0085\u2028\u2029")

_StringCheck = Callable[[str, str], None]


def _fail(field: str, value: object, rule: str) -> NoReturn:
    raise ValidationError(field, value, rule)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _check_text(
    field: str, value: object, *, max_length: int | None = None, min_length: int = 0
) -> str:
    if not isinstance(value, str):
        _fail(field, value, f"must be a string (got {type(value).__name__}); pass text")
    # NOTE: lengths count code points, as JSON Schema's maxLength does. A Java service counting
    # UTF-16 units would see characters outside the BMP (emoji) as two and may reject text at
    # the limit that passes here.
    if len(value) < min_length:
        _fail(field, value, f"must not be empty (got {len(value)} characters); give a value")
    if max_length is not None and len(value) > max_length:
        _fail(
            field,
            value,
            f"must be at most {max_length:,} characters (got {len(value):,}); shorten it",
        )
    return value


def _check_optional_text(field: str, value: object, *, max_length: int | None = None) -> None:
    if value is not None:
        _check_text(field, value, max_length=max_length)


def _check_create_name(field: str, value: object) -> None:
    name = _check_text(field, value, max_length=MAX_NAME_LENGTH, min_length=1)
    if name[0] in _JAVA_WHITESPACE or name[-1] in _JAVA_WHITESPACE:
        _fail(field, value, "must not start or end with whitespace; strip it")
    if any(character in _JAVA_LINE_TERMINATORS for character in name):
        _fail(field, value, "must not contain a line break; put it on one line")


def _check_dataset_id(field: str, value: str) -> None:
    if not _DATASET_ID.fullmatch(value):
        _fail(
            field,
            value,
            "must be 1 to 36 ASCII letters, digits or hyphens; pass the dataset's id",
        )


def _check_glossary_id(field: str, value: str) -> None:
    if _UUID4.fullmatch(value):
        return
    if _UUID4.fullmatch(value.lower()):
        _fail(field, value, f"must be a lowercase UUIDv4; use lowercase: {value.lower()!r}")
    _fail(
        field,
        value,
        "must be a UUIDv4 such as '3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f'; pass the glossary's id",
    )


def _check_string_list(
    field: str,
    value: object,
    *,
    max_items: int | None,
    unique: bool,
    check_item: _StringCheck | None = None,
) -> tuple[str, ...] | None:
    """Check a list of strings and return it as a tuple, or None when the value is None."""
    if value is None:
        return None
    if not isinstance(value, tuple | list):
        _fail(field, value, f"must be a list of strings (got {type(value).__name__})")
    if max_items is not None and len(value) > max_items:
        excess = len(value) - max_items
        _fail(
            field,
            value,
            f"must contain at most {max_items} items (got {len(value)}); "
            f"remove {_plural(excess, 'item')}",
        )

    first_index: dict[str, int] = {}
    for index, item in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(item, str):
            _fail(item_field, item, f"must be a string (got {type(item).__name__}); pass text")
        if check_item is not None:
            check_item(item_field, item)
        if unique and item in first_index:
            _fail(
                item_field,
                item,
                f"repeats {field}[{first_index[item]}]; remove the duplicate",
            )
        first_index.setdefault(item, index)
    return tuple(value)


def _check_key_contacts(field: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, tuple | list):
        _fail(field, value, f"must be a list of KeyContact (got {type(value).__name__})")
    if len(value) > MAX_KEY_CONTACTS:
        excess = len(value) - MAX_KEY_CONTACTS
        _fail(
            field,
            value,
            f"must contain at most {MAX_KEY_CONTACTS} items (got {len(value)}); "
            f"remove {_plural(excess, 'contact')}",
        )

    first_index: dict[str, int] = {}
    for index, contact in enumerate(value):
        item_field = f"{field}[{index}]"
        if not isinstance(contact, KeyContact):
            _fail(
                item_field,
                contact,
                f"must be a KeyContact (got {type(contact).__name__}); "
                "build it with KeyContact(user_id=..., role=...)",
            )
        user_id = _check_text(f"{item_field}.userId", contact.user_id, min_length=1)
        _check_optional_text(f"{item_field}.role", contact.role, max_length=MAX_ROLE_LENGTH)
        if user_id in first_index:
            _fail(
                f"{item_field}.userId",
                user_id,
                f"repeats {field}[{first_index[user_id]}]; list each user once",
            )
        first_index[user_id] = index


def _check_subset(
    field: str,
    value: tuple[str, ...] | None,
    dataset_ids: tuple[str, ...] | None,
    dataset_ids_field: str,
) -> None:
    if not value:
        return
    allowed = set(dataset_ids or ())
    for index, item in enumerate(value):
        if item not in allowed:
            _fail(
                f"{field}[{index}]",
                item,
                f"must also be listed in {dataset_ids_field}; add it there or remove it here",
            )


def validate_create(request: CreateDataProductRequest) -> None:
    """Check a create request against the documented limits.

    Raises:
        ValidationError: the first field that breaks a limit.
    """
    if not isinstance(request, CreateDataProductRequest):
        _fail("body", request, "must be a CreateDataProductRequest")

    _check_create_name("name", request.name)
    _check_optional_text("description", request.description, max_length=MAX_DESCRIPTION_LENGTH)
    _check_optional_text("readMe", request.read_me, max_length=MAX_READ_ME_LENGTH)
    _check_optional_text("spaceId", request.space_id)
    _check_string_list("tags", request.tags, max_items=MAX_TAGS, unique=False)
    dataset_ids = _check_string_list(
        "datasetIds",
        request.dataset_ids,
        max_items=MAX_DATASET_IDS,
        unique=True,
        check_item=_check_dataset_id,
    )
    _check_string_list(
        "glossaryIds",
        request.glossary_ids,
        max_items=MAX_GLOSSARY_IDS,
        unique=False,
        check_item=_check_glossary_id,
    )
    _check_key_contacts("keyContacts", request.key_contacts)
    consumable = _check_string_list(
        "apiConsumableDatasetIds", request.api_consumable_dataset_ids, max_items=None, unique=True
    )
    _check_subset("apiConsumableDatasetIds", consumable, dataset_ids, "datasetIds")


def validate_activate(request: ActivateDataProductRequest) -> None:
    """Check an activate request against the documented limits.

    The activate schema limits the name's length only; it has no whitespace pattern.

    Raises:
        ValidationError: the first field that breaks a limit.
    """
    if not isinstance(request, ActivateDataProductRequest):
        _fail("body", request, "must be an ActivateDataProductRequest")

    _check_text("name", request.name, max_length=MAX_NAME_LENGTH, min_length=1)
    _check_string_list("tags", request.tags, max_items=MAX_TAGS, unique=False)
    _check_optional_text("spaceId", request.space_id)
    _check_optional_text("description", request.description, max_length=MAX_DESCRIPTION_LENGTH)


def validate_move(request: MoveDataProductRequest) -> None:
    """Check that a move request names a target space.

    Raises:
        ValidationError: ``spaceId`` is missing or empty.
    """
    if not isinstance(request, MoveDataProductRequest):
        _fail("body", request, "must be a MoveDataProductRequest")
    _check_text("spaceId", request.space_id, min_length=1)


def _check_patch_value(field: str, path: str, value: object) -> tuple[str, ...] | None:
    """Check one operation's value for its path; return it when it is a list of strings."""
    if value is None:
        return None
    if path == "/name":
        _check_create_name(field, value)
    elif path == "/description":
        _check_text(field, value, max_length=MAX_DESCRIPTION_LENGTH)
    elif path == "/readMe":
        _check_text(field, value, max_length=MAX_READ_ME_LENGTH)
    elif path == "/keyContacts":
        _check_key_contacts(field, value)
    elif path == "/tags":
        return _check_string_list(field, value, max_items=MAX_TAGS, unique=True)
    elif path == "/datasetIds":
        return _check_string_list(
            field, value, max_items=MAX_DATASET_IDS, unique=True, check_item=_check_dataset_id
        )
    elif path == "/glossaryIds":
        return _check_string_list(
            field, value, max_items=MAX_GLOSSARY_IDS, unique=True, check_item=_check_glossary_id
        )
    elif path == "/apiConsumableDatasetIds":
        return _check_string_list(
            field, value, max_items=None, unique=True, check_item=_check_dataset_id
        )
    return None


def validate_patch(operations: Sequence[Replace]) -> None:
    """Check a patch: 1 to 8 ``Replace`` operations, each path at most once.

    Each value gets the limits that create applies to the same field. The patch schema also
    requires every list of strings to be free of duplicates. When the patch sets both
    ``/datasetIds`` and ``/apiConsumableDatasetIds``, the second must be a subset of the first.

    Raises:
        ValidationError: the first operation that breaks a rule, as ``[index].path`` or
            ``[index].value``.
    """
    if isinstance(operations, str | bytes) or not isinstance(operations, Sequence):
        _fail("operations", operations, "must be a list of Replace operations")
    if not operations:
        _fail("operations", operations, "must contain at least 1 operation; add a Replace")
    if len(operations) > MAX_PATCH_OPERATIONS:
        _fail(
            "operations",
            operations,
            f"must contain at most {MAX_PATCH_OPERATIONS} operations (got {len(operations)}); "
            "split the patch into several requests",
        )

    first_index: dict[str, int] = {}
    lists: dict[str, tuple[str, ...] | None] = {}
    for index, operation in enumerate(operations):
        prefix = f"[{index}]"
        if not isinstance(operation, Replace):
            _fail(
                prefix,
                operation,
                f"must be a Replace (got {type(operation).__name__}); "
                "build it with Replace(path=..., value=...)",
            )
        path = operation.path
        if path not in PATCH_PATHS:
            _fail(f"{prefix}.path", path, f"must be one of {', '.join(PATCH_PATHS)}")
        if path in first_index:
            # The order in which the service applies two replaces of one path is not
            # documented, so the result would be ambiguous.
            _fail(
                f"{prefix}.path",
                path,
                f"repeats the path of operation [{first_index[path]}]; "
                "merge them into one operation",
            )
        first_index[path] = index
        lists[path] = _check_patch_value(f"{prefix}.value", path, operation.value)

    if "/datasetIds" in lists and "/apiConsumableDatasetIds" in lists:
        consumable_index = first_index["/apiConsumableDatasetIds"]
        _check_subset(
            f"[{consumable_index}].value",
            lists["/apiConsumableDatasetIds"],
            lists["/datasetIds"],
            f"[{first_index['/datasetIds']}].value",
        )


def validate_product_id(value: object) -> None:
    """Check a data product id: any non-blank string.

    The reference calls the id a GUID, but ids in Qlik's published examples are 24 hexadecimal
    characters. So the format is left to the service, and the client percent-encodes the id as
    one path segment.

    Raises:
        ValidationError: the id is not a string, is empty or is only whitespace.
    """
    if not isinstance(value, str):
        _fail(
            "dataProductId",
            value,
            f"must be a string (got {type(value).__name__}); pass the data product's id",
        )
    if not value.strip():
        _fail("dataProductId", value, "must not be empty or blank; pass the data product's id")


def validate_dataset_id(value: object) -> None:
    """Check a dataset id for generate-provider-url: 1 to 36 ASCII letters, digits or hyphens.

    Raises:
        ValidationError: the id is not a string or breaks that pattern.
    """
    if not isinstance(value, str):
        _fail(
            "dataSetId",
            value,
            f"must be a string (got {type(value).__name__}); pass the dataset's id",
        )
    _check_dataset_id("dataSetId", value)


def validate_changelog_query(
    *, page: int | None = None, limit: int | None = None, sort: str | None = None
) -> None:
    """Check changelog query parameters; None leaves a parameter to the service's default.

    Raises:
        ValidationError: ``page`` below 1, ``limit`` outside 1 to 100, or an unknown ``sort``.
    """
    if page is not None:
        if isinstance(page, bool) or not isinstance(page, int):
            _fail("page", page, f"must be an integer (got {type(page).__name__})")
        if page < 1:
            _fail("page", page, "must be at least 1; pages are numbered from 1")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            _fail("limit", limit, f"must be an integer (got {type(limit).__name__})")
        if not 1 <= limit <= MAX_CHANGELOG_LIMIT:
            _fail(
                "limit",
                limit,
                f"must be between 1 and {MAX_CHANGELOG_LIMIT} (got {limit}); "
                "page through longer changelogs",
            )
    if sort is not None and sort not in SORT_ORDERS:
        _fail(
            "sort",
            sort,
            "must be '+createdAt' (oldest first) or '-createdAt' (newest first)",
        )
