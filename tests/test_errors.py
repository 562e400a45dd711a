"""Error statuses and odd bodies, mapped to typed exceptions over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from qlik_dataproducts import (
    ApiError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ConflictError,
    DataProductsClient,
    DecodeError,
    InternalServerError,
    NotAcceptableError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    QlikDataProductsError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from tests.canned import Canned, CannedServer, error_body

NO_RETRY = RetryPolicy(max_attempts=1)
PRODUCT_ID = "0123456789abcdef01234567"


@pytest.fixture
async def single_shot(canned: CannedServer) -> AsyncIterator[DataProductsClient]:
    async with DataProductsClient(canned.base_url, api_key="k", retry=NO_RETRY) as client:
        yield client


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (406, NotAcceptableError),
        (409, ConflictError),
        (415, UnsupportedMediaTypeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, ServiceUnavailableError),
    ],
)
async def test_status_maps_to_class(
    canned: CannedServer,
    single_shot: DataProductsClient,
    status: int,
    error_class: type[ApiError],
) -> None:
    canned.add(Canned(status, error_body(status)))
    with pytest.raises(error_class) as caught:
        await single_shot.get(PRODUCT_ID)
    assert caught.value.status == status
    assert caught.value.trace_id == f"trace-{status}"
    assert caught.value.errors[0].code == f"HTTP-{status}"


async def test_error_carries_request(canned: CannedServer, single_shot: DataProductsClient) -> None:
    canned.add(Canned(403, error_body(403)))
    with pytest.raises(PermissionDeniedError) as caught:
        await single_shot.delete(PRODUCT_ID)
    assert (caught.value.method, caught.value.operation, caught.value.tier) == (
        "DELETE",
        "delete",
        "tier2",
    )
    assert caught.value.url.endswith(f"/data-products/{PRODUCT_ID}")


async def test_message_names_status_code_trace(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(409, error_body(409, "DP-CONFLICT", "Name already used")))
    with pytest.raises(ConflictError) as caught:
        await single_shot.get(PRODUCT_ID)
    message = str(caught.value)
    assert "409" in message
    assert "DP-CONFLICT Name already used" in message
    assert "trace-409" in message


async def test_documented_429_body(canned: CannedServer, single_shot: DataProductsClient) -> None:
    body = {
        "errors": [
            {
                "code": "HTTP-429",
                "title": "API rate limit reached.",
                "detail": "You need to wait 13 seconds until limit is lifted.",
            }
        ]
    }
    canned.add(Canned(429, body, headers={"retry-after": "13"}))
    with pytest.raises(RateLimitError) as caught:
        await single_shot.get(PRODUCT_ID)
    assert caught.value.retry_after == 13.0
    assert caught.value.trace_id is None


async def test_html_gateway_page(canned: CannedServer, single_shot: DataProductsClient) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>"
    canned.add(Canned(502, body=page, content_type="text/html"))
    with pytest.raises(BadGatewayError) as caught:
        await single_shot.get(PRODUCT_ID)
    assert caught.value.errors == ()
    assert caught.value.body_excerpt is not None
    assert "502 Bad Gateway" in caught.value.body_excerpt


async def test_html_gateway_on_create_outcome_unknown(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(502, body=b"<html>Bad Gateway</html>", content_type="text/html"))
    with pytest.raises(OutcomeUnknownError) as caught:
        await single_shot.create(name="Sales")
    assert isinstance(caught.value.cause, BadGatewayError)
    assert caught.value.request_body == {"name": "Sales"}


async def test_error_status_as_number(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(400, {"errors": [{"code": "X", "status": 400}], "traceId": "t"}))
    with pytest.raises(BadRequestError) as caught:
        await single_shot.get(PRODUCT_ID)
    assert caught.value.errors[0].status == "400"


async def test_unlisted_status_is_api_error(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(418, error_body(418)))
    with pytest.raises(ApiError) as caught:
        await single_shot.get(PRODUCT_ID)
    assert caught.value.status == 418


async def test_success_with_html_is_decode_error(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(200, body=b"<html>login</html>", content_type="text/html"))
    with pytest.raises(DecodeError, match="expected application/json"):
        await single_shot.get(PRODUCT_ID)


async def test_success_with_wrong_shape(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(200, {"id": 5}))
    with pytest.raises(DecodeError) as caught:
        await single_shot.get(PRODUCT_ID)
    assert caught.value.path.startswith("$")


async def test_no_content_returns_none(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(204))
    assert await single_shot.deactivate(PRODUCT_ID) is None


async def test_markdown_charset_followed(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    body = "\ufeff# Données".encode("utf-16")
    canned.add(Canned(200, body=body, content_type="text/markdown; charset=utf-16"))
    assert await single_shot.export_documentation(PRODUCT_ID) == "# Données"


async def test_every_error_has_one_root(
    canned: CannedServer, single_shot: DataProductsClient
) -> None:
    canned.add(Canned(500, error_body(500)))
    with pytest.raises(QlikDataProductsError):
        await single_shot.get(PRODUCT_ID)
