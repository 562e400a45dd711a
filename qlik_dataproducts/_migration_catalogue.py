"""Read a migration catalogue: one data product per line of a JSON Lines file.

Each line is a JSON object that contains the create request body in the API's camelCase:
``name``, ``tags``, ``readMe``, ``spaceId``, ``datasetIds``, ``description``,
``glossaryIds``, ``keyContacts`` and ``apiConsumableDatasetIds``. Two optional keys belong
to the migration itself. ``activate`` set to true activates the product after creation, and
``targetSpaceId`` names the managed space to activate into (allowed only with ``activate``).

Lines that contain only whitespace are skipped. JSON Lines has no comments, so a line
starting with ``#`` is rejected like any other invalid JSON. This module checks types and
keys only. The documented limits (lengths, counts, formats) are checked by the client,
which raises ``ValidationError`` before sending.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "CatalogueEntry",
    "LineError",
    "count_entries",
    "fingerprint",
    "parse_line",
    "read_catalogue",
]

_STRING_FIELDS = {
    "name": "name",
    "readMe": "read_me",
    "spaceId": "space_id",
    "description": "description",
}
_LIST_FIELDS = {
    "tags": "tags",
    "datasetIds": "dataset_ids",
    "glossaryIds": "glossary_ids",
    "apiConsumableDatasetIds": "api_consumable_dataset_ids",
}
_MIGRATION_KEYS = ("activate", "targetSpaceId")
_KNOWN_KEYS = frozenset([*_STRING_FIELDS, *_LIST_FIELDS, "keyContacts", *_MIGRATION_KEYS])
_CONTACT_KEYS = frozenset(["userId", "role"])


class LineError(Exception):
    """A catalogue line that cannot become a create request.

    ``reason`` is short and the same for every line with the same problem, so a summary
    can group lines by it. ``detail`` describes the problem on this line.
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


@attrs.frozen
class CatalogueEntry:
    """One parsed catalogue line: the create arguments and what to do after creation."""

    line: int
    fingerprint: str
    create_arguments: dict[str, Any]
    key_contacts: tuple[tuple[str, str | None], ...] | None
    activate: bool
    target_space_id: str | None

    @property
    def name(self) -> str:
        """Data product name from the line."""
        return str(self.create_arguments["name"])


def fingerprint(raw: bytes) -> str:
    """Return a short hash of a raw line, to notice lines edited between runs."""
    return hashlib.sha256(raw.strip()).hexdigest()[:16]


def read_catalogue(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` for each non-blank line, numbered from 1."""
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw.strip():
                yield number, raw


def count_entries(path: Path) -> int:
    """Return the number of non-blank lines in the catalogue."""
    return sum(1 for _ in read_catalogue(path))


def parse_line(number: int, raw: bytes) -> CatalogueEntry:
    """Parse one raw catalogue line.

    Raises:
        LineError: the line is not UTF-8, not JSON, not an object, has an unknown key or
            a value of the wrong type.
    """
    document = _decode_json(raw)
    if not isinstance(document, dict):
        raise LineError("not a JSON object", f"expected an object, got {type(document).__name__}")

    unknown = sorted(set(document) - _KNOWN_KEYS)
    if unknown:
        raise LineError(
            f"unknown key {unknown[0]!r}",
            f"unknown keys {', '.join(map(repr, unknown))}; "
            f"expected only {', '.join(sorted(_KNOWN_KEYS))}",
        )

    arguments: dict[str, Any] = {}
    if document.get("name") is None:
        raise LineError("missing name", "the required key 'name' is missing or null")
    for key, argument in _STRING_FIELDS.items():
        value = document.get(key)
        if value is not None:
            arguments[argument] = _require_string(key, value)
    for key, argument in _LIST_FIELDS.items():
        value = document.get(key)
        if value is not None:
            arguments[argument] = _require_string_list(key, value)
    contacts = _parse_contacts(document.get("keyContacts"))

    activate = document.get("activate", False)
    if not isinstance(activate, bool):
        raise LineError("invalid type", f"activate must be true or false, got {activate!r}")
    target = document.get("targetSpaceId")
    if target is not None:
        target = _require_string("targetSpaceId", target)
        if not activate:
            raise LineError(
                "targetSpaceId without activate",
                'targetSpaceId only applies to activation; add "activate": true or remove it',
            )

    return CatalogueEntry(
        line=number,
        fingerprint=fingerprint(raw),
        create_arguments=arguments,
        key_contacts=contacts,
        activate=activate,
        target_space_id=target,
    )


def _decode_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise LineError("invalid UTF-8", f"byte {exc.start + 1}: {exc.reason}") from exc
    if text.lstrip().startswith("#"):
        raise LineError("invalid JSON", "JSON Lines has no comments; remove the '#' line")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except LineError:
        raise
    except json.JSONDecodeError as exc:
        raise LineError("invalid JSON", f"{exc.msg} at column {exc.colno}") from exc


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise LineError("duplicate key", f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _require_string(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise LineError("invalid type", f"{key} must be a string, got {_type_name(value)}")
    return value


def _require_string_list(key: str, value: object) -> list[str]:
    if not isinstance(value, list):
        raise LineError("invalid type", f"{key} must be a list of strings, got {_type_name(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise LineError(
                "invalid type", f"{key}[{index}] must be a string, got {_type_name(item)}"
            )
    return list(value)


def _parse_contacts(value: object) -> tuple[tuple[str, str | None], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise LineError(
            "invalid type", f"keyContacts must be a list of objects, got {_type_name(value)}"
        )
    contacts: list[tuple[str, str | None]] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise LineError(
                "invalid type",
                f"keyContacts[{index}] must be an object, got {_type_name(item)}",
            )
        unknown = sorted(set(item) - _CONTACT_KEYS)
        if unknown:
            raise LineError(
                f"unknown key {unknown[0]!r}",
                f"keyContacts[{index}] has unknown keys {', '.join(map(repr, unknown))}; "
                "expected only userId and role",
            )
        user_id = item.get("userId")
        if user_id is None:
            raise LineError("missing userId", f"keyContacts[{index}] has no userId")
        user_id = _require_string(f"keyContacts[{index}].userId", user_id)
        role = item.get("role")
        if role is not None:
            role = _require_string(f"keyContacts[{index}].role", role)
        contacts.append((user_id, role))
    return tuple(contacts)


def _type_name(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)
