"""``DataProductsClient``: one method per operation of the Data products API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType

import aiohttp
import attrs

from ._auth import OAuthClientCredentials
from ._config import ClientSettings, check_base_url, pick_credentials
from ._converter import encode
from ._limits import TierLimit, TierStats
from ._models import (
    ActivateDataProductRequest,
    ChangelogEntry,
    ChangelogPage,
    CreateDataProductRequest,
    DataProduct,
    DatasetsComputation,
    KeyContact,
    MoveDataProductRequest,
    ProviderUrl,
    Replace,
)
from ._operations import (
    RawResponse,
    Request,
    build_request,
    decode_json,
    decode_markdown,
)
from ._pagination import next_page_url
from ._retry import RetryPolicy
from ._rules import (
    validate_activate,
    validate_changelog_query,
    validate_create,
    validate_dataset_id,
    validate_move,
    validate_patch,
    validate_product_id,
)
from ._transport import Transport

__all__ = ["ClientStats", "DataProductsClient"]

logger = logging.getLogger(__name__)


@attrs.frozen
class ClientStats:
    """Live counters of a client, one ``TierStats`` per rate-limit tier."""

    tiers: Mapping[str, TierStats]

    @property
    def rate_limited(self) -> int:
        """429 responses received, all tiers together."""
        return sum(stats.rate_limited for stats in self.tiers.values())

    @property
    def paused_seconds(self) -> float:
        """Seconds tiers spent paused after a 429, all tiers together."""
        return sum(stats.paused_seconds for stats in self.tiers.values())


class DataProductsClient:
    """Asyncio client for ``/api/data-governance/data-products`` of one Qlik Cloud tenant.

    Use it as an async context manager. It owns one ``aiohttp.ClientSession`` unless you pass
    ``session``, which it then uses and leaves open. Give exactly one credential: ``api_key``,
    ``oauth`` or ``token_provider``.

    Args:
        base_url: the tenant, ``https://TENANT.REGION.qlikcloud.com``; a path prefix is kept.
        api_key: an API key, sent as a bearer token.
        oauth: OAuth2 client credentials; tokens are fetched and refreshed as needed.
        token_provider: an async callable returning a bearer token, called again after a 401.
        session: an ``aiohttp.ClientSession`` to use instead of a new one.
        tier_limits: replaces the bucket of a tier (``"tier1"``, ``"tier2"``, ``"data-quality"``).
        retry: the retry policy of every call unless a call passes its own.
        timeout: seconds for each HTTP attempt, excluding time queued for the rate limit.
        allow_insecure_http: accept ``http://`` for a host other than loopback.

    Raises:
        ConfigurationError: no credential, several, or an unusable base URL.
        UnsafeRequestError: plain HTTP to a non-loopback host without ``allow_insecure_http``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        oauth: OAuthClientCredentials | None = None,
        token_provider: Callable[[], Awaitable[str]] | None = None,
        session: aiohttp.ClientSession | None = None,
        tier_limits: Mapping[str, TierLimit] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        allow_insecure_http: bool = False,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        credentials = pick_credentials(api_key, oauth, token_provider)
        self._transport = Transport(
            self.base_url,
            credentials,
            session=session,
            tier_limits=tier_limits,
            retry=retry,
            timeout=timeout,
        )

    @classmethod
    def from_settings(
        cls,
        settings: ClientSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        tier_limits: Mapping[str, TierLimit] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        allow_insecure_http: bool = False,
    ) -> DataProductsClient:
        """Create a client for the tenant and credential of ``settings``.

        The other arguments are those of the constructor.
        """
        return cls(
            settings.tenant_url,
            api_key=settings.api_key,
            oauth=settings.oauth(),
            session=session,
            tier_limits=tier_limits,
            retry=retry,
            timeout=timeout,
            allow_insecure_http=allow_insecure_http,
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        tier_limits: Mapping[str, TierLimit] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        allow_insecure_http: bool = False,
    ) -> DataProductsClient:
        """Create a client from ``QLIK_TENANT_URL`` and ``QLIK_API_KEY`` or ``QLIK_OAUTH_*``.

        ``environ`` replaces ``os.environ``; ``ClientSettings`` lists the variables. The
        other arguments are those of the constructor.

        Raises:
            ConfigurationError: names the variable that is missing or contradicts another.
        """
        return cls.from_settings(
            ClientSettings.from_env(environ),
            session=session,
            tier_limits=tier_limits,
            retry=retry,
            timeout=timeout,
            allow_insecure_http=allow_insecure_http,
        )

    def __repr__(self) -> str:
        credentials = self._transport.credentials
        return f"<DataProductsClient {self.base_url} auth={credentials!r} {self._transport!r}>"

    async def __aenter__(self) -> DataProductsClient:
        self._transport.session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel calls still running and close the session if the client opened it."""
        await self._transport.close()

    @property
    def stats(self) -> ClientStats:
        """Requests, 429s, retries and waiting time per tier since the client was created."""
        return ClientStats({name: b.stats for name, b in self._transport.buckets.items()})

    # --- operations -------------------------------------------------------------------------

    async def create(
        self,
        *,
        name: str,
        tags: Iterable[str] | None = None,
        read_me: str | None = None,
        space_id: str | None = None,
        dataset_ids: Iterable[str] | None = None,
        description: str | None = None,
        glossary_ids: Iterable[str] | None = None,
        key_contacts: Iterable[KeyContact] | None = None,
        api_consumable_dataset_ids: Iterable[str] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DataProduct:
        """Create a data product and return it as the server stored it.

        Raises:
            ValidationError: an argument breaks a documented limit; nothing was sent.
            OutcomeUnknownError: the request may have reached the server, but no response came.
        """
        body = CreateDataProductRequest(
            name=name,
            tags=tags,
            read_me=read_me,
            space_id=space_id,
            dataset_ids=dataset_ids,
            description=description,
            glossary_ids=glossary_ids,
            key_contacts=key_contacts,
            api_consumable_dataset_ids=api_consumable_dataset_ids,
        )
        validate_create(body)

        request = build_request("create", self.base_url, body=encode(body))
        response = await self._send(request, retry, timeout, deadline)
        return decode_json(response, DataProduct, "create")

    async def get(
        self,
        product_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DataProduct:
        """Return one data product."""
        validate_product_id(product_id)
        request = build_request("get", self.base_url, product_id=product_id)
        response = await self._send(request, retry, timeout, deadline)
        return decode_json(response, DataProduct, "get")

    async def patch(
        self,
        product_id: str,
        operations: Sequence[Replace],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """Replace fields of a data product: all operations apply together or none does.

        Each ``Replace(path, value)`` overwrites the whole field (a list is replaced, not
        extended), and ``value=None`` clears it. The API responds with 204 and no body.
        """
        validate_product_id(product_id)
        validate_patch(operations)
        body = [encode(operation) for operation in operations]
        request = build_request("patch", self.base_url, product_id=product_id, body=body)
        await self._send(request, retry, timeout, deadline)

    async def delete(
        self,
        product_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """Delete a data product; the datasets it groups are kept."""
        validate_product_id(product_id)
        request = build_request("delete", self.base_url, product_id=product_id)
        await self._send(request, retry, timeout, deadline)

    async def activate(
        self,
        product_id: str,
        *,
        name: str,
        tags: Iterable[str] | None = None,
        space_id: str | None = None,
        description: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DataProduct:
        """Activate (publish) a data product and return it as published.

        The API requires the body to carry the product's name. The ``name``, ``tags`` and
        ``description`` given here become the published values, so passing a different name
        renames the product. ``space_id`` names the managed space to publish into.
        """
        validate_product_id(product_id)
        body = ActivateDataProductRequest(
            name=name, tags=tags, space_id=space_id, description=description
        )
        validate_activate(body)
        request = build_request("activate", self.base_url, product_id=product_id, body=encode(body))
        response = await self._send(request, retry, timeout, deadline)
        return decode_json(response, DataProduct, "activate")

    async def deactivate(
        self,
        product_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """Deactivate a data product so that it can no longer be consumed."""
        validate_product_id(product_id)
        request = build_request("deactivate", self.base_url, product_id=product_id)
        await self._send(request, retry, timeout, deadline)

    async def export_documentation(
        self,
        product_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> str:
        """Return the data product's documentation as Markdown text."""
        validate_product_id(product_id)
        request = build_request("export_documentation", self.base_url, product_id=product_id)
        response = await self._send(request, retry, timeout, deadline)
        return decode_markdown(response, "export_documentation")

    async def move(
        self,
        product_id: str,
        space_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """Move a data product to another space; the API responds with 204 and no body."""
        validate_product_id(product_id)
        body = MoveDataProductRequest(space_id=space_id)
        validate_move(body)
        request = build_request("move", self.base_url, product_id=product_id, body=encode(body))
        await self._send(request, retry, timeout, deadline)

    async def generate_provider_url(
        self,
        dataset_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> ProviderUrl:
        """Return a URL of the third-party provider's user interface for a dataset."""
        validate_dataset_id(dataset_id)
        request = build_request(
            "generate_provider_url", self.base_url, query={"dataSetId": dataset_id}
        )
        response = await self._send(request, retry, timeout, deadline)
        return decode_json(response, ProviderUrl, "generate_provider_url")

    async def compute_datasets_data_quality(
        self,
        product_id: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> DatasetsComputation:
        """Start the data-quality computation of every dataset of a data product.

        The computation runs on the server; ``location`` of the result is where its progress
        can be read. This action has its own tier of 10 requests a minute.
        """
        validate_product_id(product_id)
        request = build_request("compute_data_quality", self.base_url, product_id=product_id)
        response = await self._send(request, retry, timeout, deadline)
        result = decode_json(response, DatasetsComputation, "compute_data_quality")
        return attrs.evolve(result, location=response.headers.get("Location"))

    async def changelog_pages(
        self,
        product_id: str,
        *,
        sort: str = "-createdAt",
        limit: int | None = None,
        page: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> AsyncIterator[ChangelogPage]:
        """Yield the changelog of a data product page by page, following ``links.next``.

        Args:
            sort: ``-createdAt`` (newest first, the default) or ``+createdAt``.
            limit: entries per page, 1 to 100 (the server's default is 10).
            page: the page to start from (1 by default).
        """
        validate_product_id(product_id)
        validate_changelog_query(page=page, limit=limit, sort=sort)
        query: dict[str, str | int] = {"sort": sort}
        if limit is not None:
            query["limit"] = limit
        if page is not None:
            query["page"] = page
        request: Request | None = build_request(
            "changelogs", self.base_url, product_id=product_id, query=query
        )

        seen: set[str] = set()
        fetched = 0
        while request is not None:
            response = await self._send(request, retry, timeout, deadline)
            current = decode_json(response, ChangelogPage, "changelogs")
            fetched += 1
            yield current
            next_url = next_page_url(
                current,
                current_url=request.url,
                base_url=self.base_url,
                seen=seen,
                pages_fetched=fetched,
            )
            if next_url is None:
                request = None
            else:
                logger.debug("changelogs of %s: next page %s", product_id, next_url)
                request = attrs.evolve(request, url=next_url)

    async def changelogs(
        self,
        product_id: str,
        *,
        sort: str = "-createdAt",
        limit: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> AsyncIterator[ChangelogEntry]:
        """Yield every changelog entry of a data product, fetching pages as needed.

        ``limit`` is the page size (1 to 100), not a cap on the number of entries yielded.
        """
        async for current in self.changelog_pages(
            product_id, sort=sort, limit=limit, retry=retry, timeout=timeout, deadline=deadline
        ):
            for entry in current.data:
                yield entry

    async def _send(
        self,
        request: Request,
        retry: RetryPolicy | None,
        timeout: float | None,
        deadline: float | None,
    ) -> RawResponse:
        return await self._transport.send(request, retry=retry, timeout=timeout, deadline=deadline)
