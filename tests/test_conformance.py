"""Conformance of the emulator to the published OpenAPI spec, checked with schemathesis.

The spec comes as five files split by tag, and `merge_specs` joins them into one document.
Schemathesis generates valid and invalid requests for every operation, sends them to an
emulator on 127.0.0.1, and checks each response's status code, content type, headers and
body against the spec. The base URL is always the emulator's: the spec's `servers` entry
names a Qlik host and is dropped.

Where the spec is wrong, `CORRECTIONS` changes it before the run, and a targeted test below
shows the published text failing on exactly that point. Rules that the reference or the
spec's descriptions state but its schemas cannot express are in `RULES_BEYOND_SCHEMA`: a
schema-valid request that breaks one may get 400 when the error names the rule.

Size: `MAX_EXAMPLES` per operation, derandomized so that every run sends the same requests.
The file takes about 20 s on a two-core machine.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.openapi.checks import RejectedPositiveData

from qlik_dataproducts.emulator import Emulator, EmulatorThread

ROOT = Path(__file__).resolve().parent.parent
# The published spec files next to the checkout, and the copy committed with the tests.
PUBLISHED_SPEC_DIR = ROOT.parent / "shared" / "api" / "openapi"
SAMPLE_SPEC_DIR = ROOT / "tests" / "samples" / "openapi"
SPEC_FILES = (
    "qliksense-data-product-activation-api-openapi.yml",
    "qliksense-data-product-api-openapi.yml",
    "qliksense-data-product-changelog-api-openapi.yml",
    "qliksense-data-product-data-quality-api-openapi.yml",
    "qliksense-data-product-generate-provider-url-api-openapi.yml",
)
OPERATION_COUNT = 11
MAX_EXAMPLES = 100

ACTIVE_ID = "5f0c3e1a9b8d7c6e5f4a3b2c"
ACTIVATED_ID = "5f0c3e1a9b8d7c6e5f4a3b2d"
SEEDED_PRODUCTS = [
    {"id": ACTIVE_ID, "name": "Seeded sales", "datasetIds": ["ds-1", "ds-2"]},
    {
        "id": ACTIVATED_ID,
        "name": "Seeded stock",
        "datasetIds": ["669144f5aa2d642638ef1dd0"],
        "activated": True,
        "activatedOn": ["managed-space-1"],
    },
]
# The spec documents no 429, so the rate limits must never be reached during the run.
UNREACHABLE_LIMITS = {"tier1": 10**9, "tier2": 10**9, "data-quality": 10**9}


def spec_folder() -> Path:
    """Return the published spec folder when it is reachable, else the committed copy."""
    return PUBLISHED_SPEC_DIR if PUBLISHED_SPEC_DIR.is_dir() else SAMPLE_SPEC_DIR


def merge_specs(folder: Path) -> dict[str, Any]:
    """Join the spec files of a folder into one OpenAPI document without `servers`.

    Raises:
        ValueError: two files define the same path and method, or the same component
            differently.
    """
    merged: dict[str, Any] = {
        "info": {"title": "Qlik Cloud Data products API", "version": "merged"},
        "paths": {},
        "components": {},
    }
    for name in SPEC_FILES:
        document = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        merged.setdefault("openapi", document["openapi"])
        for route, methods in document["paths"].items():
            target = merged["paths"].setdefault(route, {})
            duplicated = set(target) & set(methods)
            if duplicated:
                raise ValueError(f"{name}: {sorted(duplicated)} {route} is defined twice")
            target.update(methods)
        for section, entries in document.get("components", {}).items():
            components = merged["components"].setdefault(section, {})
            for key, value in entries.items():
                if key in components and components[key] != value:
                    raise ValueError(f"{name}: components.{section}.{key} differs between files")
                components[key] = value
    return merged


def _one_of_to_any_of(node: dict[str, Any]) -> dict[str, Any]:
    fixed = {key: value for key, value in node.items() if key != "oneOf"}
    fixed["anyOf"] = node["oneOf"]
    return fixed


@dataclass(frozen=True)
class Correction:
    """One change to the published spec, at a path of keys, with the reason for it."""

    path: tuple[str, ...]
    fix: Callable[[dict[str, Any]], dict[str, Any]]
    reason: str


CORRECTIONS = (
    Correction(
        ("components", "schemas", "Link", "properties", "href"),
        lambda node: {**node, "type": ["string", "null"]},
        "The first changelog page sends `links.prev.href: null`, as the service does, but the "
        "schema types `href` as a string only.",
    ),
    Correction(
        ("components", "schemas", "ChangelogOperation", "properties", "value"),
        _one_of_to_any_of,
        "The fourth `oneOf` option has no type, so every value matches it and one other "
        "option, and `oneOf` rejects every changelog value.",
    ),
    Correction(
        ("components", "schemas", "PatchDataProductRequest", "items", "properties", "value"),
        _one_of_to_any_of,
        "Null matches all three `oneOf` options and an empty array two of them, so `oneOf` "
        "rejects both, although the options' descriptions allow null for every path.",
    ),
)


def apply_corrections(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the spec with every correction applied."""
    corrected = copy.deepcopy(spec)
    for correction in CORRECTIONS:
        *parents, last = correction.path
        node = corrected
        for key in parents:
            node = node[key]
        node[last] = correction.fix(node[last])
    return corrected


@dataclass(frozen=True)
class Rule:
    """A documented rule the schemas cannot express, matched in the emulator's 400 details."""

    detail: re.Pattern[str]
    source: str


RULES_BEYOND_SCHEMA = (
    Rule(
        re.compile(r"^\[\d+\]\.value \(\w+\)"),
        "The patch value schema is the same for every path, so it cannot carry each field's "
        "limits. The options' descriptions tie the value's type to the path, and the emulator "
        "checks the value against the limits of the create field at that path.",
    ),
    Rule(
        re.compile(r"^\[\d+\]\.value: name cannot be null"),
        "Every product has a name (`name` is required in DataProductResponse), so a patch "
        "cannot clear it.",
    ),
    Rule(
        re.compile(r"^apiConsumableDatasetIds must be a subset of datasetIds"),
        "The reference: apiConsumableDatasetIds 'Must be a subset of datasetIds'.",
    ),
    Rule(
        re.compile(r"^tags must contain at most 50 items"),
        "The create schema limits tags to 50 in a Jakarta annotation, not in `maxItems`.",
    ),
    Rule(
        re.compile(r"^keyContacts\[\d+\]\.userId .* is listed more than once"),
        "A user is a key contact at most once.",
    ),
    Rule(
        re.compile(r"^(datasetIds\[\d+\]|dataSetId) must be 1-36 letters, digits or hyphens"),
        "Dataset ids match `^[0-9a-zA-Z-]{1,36}$`, the spec's own DatasetIdType, although the "
        "create and generate-provider-url schemas leave the format out.",
    ),
)


# Schemathesis generates strings for the name pattern with Python's `re`, whose `.` matches a
# carriage return and the Unicode line terminators. The service, like the emulator, reads the
# pattern as Java does, where `.` matches none of them.
NAME_PATTERN_DETAIL = "name must not start or end with whitespace or contain line breaks."
LINE_TERMINATORS = frozenset("\r\x85\u2028\u2029")


def unexplained_details(response_body: object, request_body: object) -> list[str]:
    """Return the details of a 400 body that neither a documented rule nor the name explains.

    A body that is not an error body gives one placeholder detail, so it is never exempt.
    """
    errors = response_body.get("errors") if isinstance(response_body, dict) else None
    if not isinstance(errors, list) or not errors:
        return [f"not an error body: {response_body!r}"]
    name = request_body.get("name") if isinstance(request_body, dict) else None
    python_only_name = isinstance(name, str) and bool(LINE_TERMINATORS & set(name))
    unexplained = []
    for error in errors:
        detail = str(error.get("detail", ""))
        if any(rule.detail.search(detail) for rule in RULES_BEYOND_SCHEMA):
            continue
        if python_only_name and detail == NAME_PATTERN_DETAIL:
            continue
        unexplained.append(detail)
    return unexplained


def positive_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Run schemathesis's positive-data check, allowing the 400s explained above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400 and not unexplained_details(response.json(), case.body):
            return None
        raise


PUBLISHED_SPEC = merge_specs(spec_folder())
schema = schemathesis.openapi.from_dict(apply_corrections(PUBLISHED_SPEC))


def _authorization(emulator: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.api_key}"}


def reset_seeded_products(emulator: Emulator) -> None:
    """Restore the seeded products and give the first one a changelog entry."""
    headers = _authorization(emulator)
    seeded = requests.post(
        f"{emulator.base_url}/_emulator/seed", json=SEEDED_PRODUCTS, headers=headers, timeout=5
    )
    seeded.raise_for_status()
    patch = [
        {"op": "replace", "path": "/description", "value": "Seeded"},
        {"op": "replace", "path": "/tags", "value": ["seeded"]},
    ]
    url = f"{emulator.base_url}/api/data-governance/data-products/{ACTIVE_ID}"
    patched = requests.patch(url, json=patch, headers=headers, timeout=5)
    patched.raise_for_status()


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    with EmulatorThread(Emulator(tier_limits=UNREACHABLE_LIMITS)) as emulator:
        yield emulator


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Send about two thirds of the requests to a seeded product instead of a generated id."""
    if not path_parameters or "dataProductId" not in path_parameters:
        return st.just(path_parameters)
    seeded = [{**path_parameters, "dataProductId": key} for key in (ACTIVE_ID, ACTIVATED_ID)]
    return st.sampled_from([path_parameters, *seeded])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms(case: Any, served: Emulator) -> None:
    reset_seeded_products(served)
    case.call_and_validate(
        base_url=served.base_url,
        headers=_authorization(served),
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_accepted],
    )


def test_merge_covers_every_operation() -> None:
    operations = [
        (method, route) for route, methods in PUBLISHED_SPEC["paths"].items() for method in methods
    ]

    assert len(operations) == OPERATION_COUNT
    assert "servers" not in PUBLISHED_SPEC


def test_sample_spec_matches_published() -> None:
    if not PUBLISHED_SPEC_DIR.is_dir():
        pytest.skip("the published spec folder is not next to the checkout")
    for name in SPEC_FILES:
        published = (PUBLISHED_SPEC_DIR / name).read_text(encoding="utf-8")
        assert (SAMPLE_SPEC_DIR / name).read_text(encoding="utf-8") == published, name


def test_unauthenticated_requests_get_401(served: Emulator) -> None:
    for operation in schema.get_all_operations():
        api_operation = operation.ok()
        parameters = {"dataProductId": ACTIVE_ID} if "{dataProductId}" in api_operation.path else {}
        case = api_operation.Case(path_parameters=parameters, query={"dataSetId": "ds-1"})
        response = case.call(base_url=served.base_url)

        assert response.status_code == 401, api_operation.label
        case.validate_response(
            response,
            checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
        )


# The published spec, wrong on these points: each test shows the failure a correction removes.


def _errors(
    spec: dict[str, Any], schema_name: str, instance: object
) -> list[tuple[list[str | int], str]]:
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    validator = jsonschema_rs.Draft202012Validator(root)
    return [(list(error.instance_path), error.message) for error in validator.iter_errors(instance)]


def test_corrections_apply_to_published_text() -> None:
    corrected = apply_corrections(PUBLISHED_SPEC)

    assert corrected != PUBLISHED_SPEC
    assert len({correction.path for correction in CORRECTIONS}) == len(CORRECTIONS)


def test_first_page_prev_href_null(served: Emulator) -> None:
    reset_seeded_products(served)
    url = f"{served.base_url}/api/data-governance/data-products/{ACTIVE_ID}/changelogs"
    page = requests.get(url, headers=_authorization(served), timeout=5).json()
    # Drop the entries so that only the links are checked here.
    page["data"] = []

    published = _errors(PUBLISHED_SPEC, "DataProductChangelogResponse", page)
    corrected = _errors(apply_corrections(PUBLISHED_SPEC), "DataProductChangelogResponse", page)

    assert page["links"]["prev"] == {"href": None}
    assert [path for path, _ in published] == [["links", "prev", "href"]]
    assert corrected == []


@pytest.mark.parametrize("value", ["Sales", ["a", "b"], [{"userId": "u"}], None])
def test_changelog_value_matches_two_options(value: object) -> None:
    change = {"path": "/name", "value": value, "operator": "replace"}

    published = _errors(PUBLISHED_SPEC, "ChangelogOperation", change)
    corrected = _errors(apply_corrections(PUBLISHED_SPEC), "ChangelogOperation", change)

    assert [path for path, _ in published] == [["value"]]
    assert corrected == []


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "/description", "value": None},
        {"op": "replace", "path": "/tags", "value": []},
    ],
)
def test_patch_null_or_empty_value(served: Emulator, operation: dict[str, Any]) -> None:
    reset_seeded_products(served)
    url = f"{served.base_url}/api/data-governance/data-products/{ACTIVE_ID}"
    response = requests.patch(url, json=[operation], headers=_authorization(served), timeout=5)

    published = _errors(PUBLISHED_SPEC, "PatchDataProductRequest", [operation])
    corrected = _errors(apply_corrections(PUBLISHED_SPEC), "PatchDataProductRequest", [operation])

    assert response.status_code == 204
    assert [path for path, _ in published] == [[0, "value"]]
    assert corrected == []


def test_spec_documents_no_429() -> None:
    statuses = {
        status
        for methods in PUBLISHED_SPEC["paths"].values()
        for operation in methods.values()
        for status in operation["responses"]
    }

    assert "429" not in statuses
    assert "401" in statuses


@pytest.mark.parametrize(
    "detail",
    [
        "[0].value (name) must be a string, got array.",
        "[1].value: name cannot be null.",
        "apiConsumableDatasetIds must be a subset of datasetIds, not in datasetIds: ['x'].",
        "tags must contain at most 50 items, got 51.",
        "keyContacts[1].userId 'u' is listed more than once.",
        "datasetIds[0] must be 1-36 letters, digits or hyphens, got 'a b'.",
        "dataSetId must be 1-36 letters, digits or hyphens, got 'a b'.",
    ],
)
def test_documented_rule_explains_400(detail: str) -> None:
    assert unexplained_details({"errors": [{"detail": detail}]}, {"name": "Sales"}) == []


@pytest.mark.parametrize("name", ["a\rb", "a \u2028 b", "x\x85 y"])
def test_python_only_name_explains_400(name: str) -> None:
    body = {"errors": [{"detail": NAME_PATTERN_DETAIL}]}

    assert unexplained_details(body, {"name": name}) == []
    assert unexplained_details(body, {"name": " Sales"}) == [NAME_PATTERN_DETAIL]


@pytest.mark.parametrize(
    ("body", "unexplained"),
    [
        ({"errors": [{"detail": "name is required."}]}, 1),
        ({"errors": [{"detail": "spaceId must be a string, got number."}]}, 1),
        (
            {
                "errors": [
                    {"detail": "tags must contain at most 50 items, got 51."},
                    {"detail": "description must contain at most 1024 characters, got 1025."},
                ]
            },
            1,
        ),
        ({"errors": []}, 1),
        (["not", "an", "error", "body"], 1),
    ],
)
def test_other_400_unexplained(body: object, unexplained: int) -> None:
    assert len(unexplained_details(body, {"name": "Sales"})) == unexplained
