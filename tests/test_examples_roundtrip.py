"""Every example of the API reference survives a decode and an encode through the client's models.

The examples are the JSON after each "**Example Response:**" and the request bodies of the
cURL examples (`-d '...'`). They are read from the reference next to the checkout when it is
reachable, and are committed under `samples/reference/` so that the round trip runs without
it. The JavaScript examples carry the same request bodies as object literals, and a test
checks that both forms agree.

Documented differences between an example and its round trip:

- Numbers compare by value: float fields such as `quality.validity` give `42.0` for `42`.
- export-documentation returns Markdown text, shown in the reference as a JSON string. The
  client returns it as `str`, so there is no model to round-trip.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from qlik_dataproducts._converter import decode, encode
from qlik_dataproducts._models import (
    ActivateDataProductRequest,
    ChangelogPage,
    CreateDataProductRequest,
    DataProduct,
    MoveDataProductRequest,
    ProviderUrl,
    Replace,
)

ROOT = Path(__file__).resolve().parent.parent
# The API reference next to the checkout, and the examples committed from it.
REFERENCE = ROOT.parent / "shared" / "api" / "data-products.md"
SAMPLES = ROOT / "tests" / "samples" / "reference"

BASE = "/api/data-governance/data-products"
OPERATIONS = {
    ("POST", BASE): "create",
    ("GET", BASE + "/{dataProductId}"): "get",
    ("PATCH", BASE + "/{dataProductId}"): "patch",
    ("DELETE", BASE + "/{dataProductId}"): "delete",
    ("POST", BASE + "/{dataProductId}/actions/activate"): "activate",
    ("POST", BASE + "/{dataProductId}/actions/deactivate"): "deactivate",
    ("GET", BASE + "/{dataProductId}/actions/export-documentation"): "export_documentation",
    ("POST", BASE + "/{dataProductId}/actions/move"): "move",
    ("GET", BASE + "/{dataProductId}/changelogs"): "changelogs",
    ("POST", BASE + "/actions/generate-provider-url"): "generate_provider_url",
}
# The model of each example, by sample name. None marks a documented difference.
MODELS: dict[str, Any] = {
    "create.request": CreateDataProductRequest,
    "create.response": DataProduct,
    "get.response": DataProduct,
    "patch.request": tuple[Replace, ...],
    "activate.request": ActivateDataProductRequest,
    "activate.response": DataProduct,
    "export_documentation.response": None,
    "move.request": MoveDataProductRequest,
    "changelogs.response": ChangelogPage,
    "generate_provider_url.response": ProviderUrl,
}

_HEADING = re.compile(r"^### (GET|POST|PATCH|DELETE|PUT) (\S+)$")
_CURL_BODY = re.compile(r"^-d '(.*)'$")


def extract_examples(markdown: str) -> dict[str, Any]:
    """Return the reference's JSON examples by sample name, such as `create.request`.

    Raises:
        ValueError: an example appears outside a known operation or twice for one.
    """
    examples: dict[str, Any] = {}
    operation: str | None = None
    expecting_response = False
    block: list[str] | None = None

    def add(kind: str, text: str) -> None:
        if operation is None:
            raise ValueError(f"a {kind} example appears before the first operation heading")
        name = f"{operation}.{kind}"
        if name in examples:
            raise ValueError(f"{name} appears twice in the reference")
        examples[name] = json.loads(text)

    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        curl_body = _CURL_BODY.match(line)
        if heading:
            operation = OPERATIONS[(heading[1], heading[2])]
            expecting_response = False
        elif block is not None:
            if line.startswith("```"):
                add("response", "\n".join(block))
                block = None
            else:
                block.append(line)
        elif line.strip() == "**Example Response:**":
            expecting_response = True
        elif expecting_response and line.startswith("```json"):
            expecting_response = False
            block = []
        elif curl_body:
            add("request", curl_body[1])
    return examples


def javascript_bodies(markdown: str) -> dict[str, Any]:
    """Return the `JSON.stringify(...)` bodies of the JavaScript examples, parsed as JSON."""
    bodies: dict[str, Any] = {}
    operation: str | None = None
    for section in re.split(r"(?m)^(?=### )", markdown):
        heading = _HEADING.match(section.split("\n", 1)[0])
        if heading is None:
            continue
        operation = OPERATIONS[(heading[1], heading[2])]
        literal = re.search(r"body: JSON\.stringify\((.*?)\),\n  },\n\)", section, re.DOTALL)
        if literal:
            bodies[f"{operation}.request"] = parse_object_literal(literal[1])
    return bodies


def parse_object_literal(text: str) -> Any:
    """Parse the JavaScript object literals of the reference: single quotes, bare keys."""
    # Strings first, so that a colon or comma inside one is left alone.
    pieces = re.split(r"('(?:[^'\\]|\\.)*')", text)
    converted = []
    for index, piece in enumerate(pieces):
        if index % 2:
            converted.append(json.dumps(piece[1:-1].replace("\\'", "'")))
        else:
            piece = re.sub(r"([A-Za-z_$][\w$]*)\s*:", r'"\1":', piece)
            converted.append(piece)
    without_trailing_commas = re.sub(r",(\s*[}\]])", r"\1", "".join(converted))
    return json.loads(without_trailing_commas)


def load_sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference() -> str:
    if not REFERENCE.is_file():
        pytest.skip("the API reference is not next to the checkout")
    return REFERENCE.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(name for name, model in MODELS.items() if model))
def test_example_round_trip(name: str) -> None:
    example = load_sample(name)

    assert encode(decode(MODELS[name], example)) == example


def test_export_example_is_text() -> None:
    assert isinstance(load_sample("export_documentation.response"), str)


def test_samples_match_reference(reference: str) -> None:
    examples = extract_examples(reference)

    assert sorted(examples) == sorted(MODELS)
    for name, example in examples.items():
        assert load_sample(name) == example, name


def test_javascript_bodies_match_curl(reference: str) -> None:
    examples = extract_examples(reference)
    bodies = javascript_bodies(reference)

    assert sorted(bodies) == sorted(name for name in examples if name.endswith(".request"))
    for name, body in bodies.items():
        assert body == examples[name], name


def test_sample_files_all_known() -> None:
    names = sorted(path.stem for path in SAMPLES.glob("*.json"))

    assert names == sorted(MODELS)


def test_object_literal_parser() -> None:
    text = "{\n  name: 'It\\'s: here',\n  tags: ['a', 'b',],\n  nested: [{ op: 'x' }],\n}"

    assert parse_object_literal(text) == {
        "name": "It's: here",
        "tags": ["a", "b"],
        "nested": [{"op": "x"}],
    }
