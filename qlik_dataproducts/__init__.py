"""Asyncio client for the Qlik Cloud Data products API (``/api/data-governance/data-products``).

The emulator lives in ``qlik_dataproducts.emulator``; the bulk-migration command line in
``qlik_dataproducts.cli``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._auth import OAuthClientCredentials
from ._client import ClientStats, DataProductsClient
from ._config import ClientSettings
from ._errors import (
    ApiError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    DecodeError,
    ErrorEntry,
    GatewayTimeoutError,
    InternalServerError,
    NotAcceptableError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    QlikDataProductsError,
    RateLimitError,
    RequestTimeoutError,
    ServiceUnavailableError,
    TransportError,
    UnprocessableEntityError,
    UnsafeRequestError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from ._limits import DATA_QUALITY, DEFAULT_TIER_LIMITS, TIER_1, TIER_2, TierLimit, TierStats
from ._models import (
    ActivateDataProductRequest,
    Change,
    ChangelogEntry,
    ChangelogPage,
    CreateDataProductRequest,
    DataProduct,
    DatasetComputation,
    DatasetsComputation,
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
from ._retry import RetryPolicy

try:
    __version__ = version("qlik-dataproducts")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "DATA_QUALITY",
    "DEFAULT_TIER_LIMITS",
    "TIER_1",
    "TIER_2",
    "ActivateDataProductRequest",
    "ApiError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "Change",
    "ChangelogEntry",
    "ChangelogPage",
    "ClientSettings",
    "ClientStats",
    "ConfigurationError",
    "ConflictError",
    "CreateDataProductRequest",
    "DataProduct",
    "DataProductsClient",
    "DatasetComputation",
    "DatasetsComputation",
    "DecodeError",
    "ErrorEntry",
    "GatewayTimeoutError",
    "InternalServerError",
    "KeyContact",
    "Link",
    "MoveDataProductRequest",
    "NotAcceptableError",
    "NotFoundError",
    "OAuthClientCredentials",
    "OutcomeUnknownError",
    "PageLinks",
    "PermissionDeniedError",
    "ProviderUrl",
    "QlikDataProductsError",
    "Quality",
    "RateLimitError",
    "Replace",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServiceUnavailableError",
    "TierLimit",
    "TierStats",
    "TransportError",
    "TrustScore",
    "TrustScoreDimension",
    "UnprocessableEntityError",
    "UnsafeRequestError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "__version__",
]
