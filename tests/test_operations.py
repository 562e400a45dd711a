"""Operation table, URL building and response decoding, without I/O."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from qlik_dataproducts import DataProduct, DecodeError
from qlik_dataproducts._limits import TIER_1, TIER_2
from qlik_dataproducts._operations import (
    OPERATIONS,
    RawResponse,
    build_request,
    decode_json,
    decode_markdown,
)

BASE = URL("https://tenant.eu.qlikcloud.com/")


def response(body: bytes, content_type: str, status: int = 200) -> RawResponse:
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": content_type}))
    return RawResponse(status, headers, body, BASE)


@pytest.mark.parametrize(
    ("name", "tier"),
    [
        ("get", TIER_1),
        ("export_documentation", TIER_1),
        ("changelogs", TIER_1),
        ("create", TIER_2),
        ("patch", TIER_2),
        ("delete", TIER_2),
        ("activate", TIER_2),
        ("deactivate", TIER_2),
        ("move", TIER_2),
        ("generate_provider_url", TIER_2),
    ],
)
def test_operation_tier_matches_reference(name: str, tier: str) -> None:
    assert OPERATIONS[name].tier == tier


@pytest.mark.parametrize("name", ["create", "activate", "compute_data_quality"])
def test_operation_not_safe_to_repeat(name: str) -> None:
    assert OPERATIONS[name].safe_to_repeat is False


def test_url_for_collection() -> None:
    request = build_request("create", BASE)
    assert str(request.url) == "https://tenant.eu.qlikcloud.com/api/data-governance/data-products"


def test_url_encodes_id_as_one_segment() -> None:
    request = build_request("get", BASE, product_id="a/b c?d")
    assert request.url.raw_path == "/api/data-governance/data-products/a%2Fb%20c%3Fd"


def test_url_id_cannot_add_query() -> None:
    request = build_request("get", BASE, product_id="a/b c?d")
    assert request.url.query_string == ""


def test_url_id_dot_segments_stay_literal() -> None:
    request = build_request("get", BASE, product_id="..")
    assert request.url.raw_path.endswith("/data-products/..")


@pytest.mark.parametrize(
    "base",
    [
        "https://tenant.eu.qlikcloud.com",
        "https://tenant.eu.qlikcloud.com/",
    ],
)
def test_url_with_or_without_trailing_slash(base: str) -> None:
    request = build_request("get", URL(base), product_id="p1")
    assert request.url.path == "/api/data-governance/data-products/p1"


def test_url_keeps_path_prefix() -> None:
    request = build_request("activate", URL("http://127.0.0.1:8080/proxy/qlik/"), product_id="p1")
    assert request.url.path == "/proxy/qlik/api/data-governance/data-products/p1/actions/activate"


def test_url_query_for_provider_url() -> None:
    request = build_request("generate_provider_url", BASE, query={"dataSetId": "ds-1"})
    assert request.url.query["dataSetId"] == "ds-1"


def test_decode_json_rejects_html() -> None:
    with pytest.raises(DecodeError, match="expected application/json"):
        decode_json(response(b"<html>oops</html>", "text/html"), DataProduct, "get")


def test_decode_json_rejects_truncated_body() -> None:
    with pytest.raises(DecodeError, match="not valid JSON"):
        decode_json(response(b'{"id": "abc", "na', "application/json"), DataProduct, "get")


def test_markdown_defaults_to_utf8() -> None:
    text = decode_markdown(response("# Café".encode(), "text/markdown"), "export_documentation")
    assert text == "# Café"


def test_markdown_uses_named_charset() -> None:
    body = "# Café".encode("latin-1")
    text = decode_markdown(response(body, "text/markdown; charset=ISO-8859-1"), "export")
    assert text == "# Café"


def test_markdown_drops_byte_order_mark() -> None:
    body = "\ufeff# Title".encode()
    assert decode_markdown(response(body, "text/markdown"), "export") == "# Title"


def test_markdown_rejects_json_error_page() -> None:
    with pytest.raises(DecodeError, match="expected text/markdown"):
        decode_markdown(response(b"{}", "application/json"), "export")


def test_markdown_unknown_charset_is_decode_error() -> None:
    with pytest.raises(DecodeError, match="unknown charset"):
        decode_markdown(response(b"# x", "text/markdown; charset=klingon"), "export")
