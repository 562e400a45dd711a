"""The `Emulator`: one in-memory Data products service on a loopback port."""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from types import TracebackType

from aiohttp import web

from ._app import create_app
from ._auth import API_KEY_USER_ID, Authenticator, oauth_user_id
from ._context import EmulatorContext, RecordedRequest
from ._faults import Fault, FaultInjector
from ._ratelimit import (
    RATE_LIMIT_MODELS,
    RateLimitCounter,
    SlidingWindowLimiter,
    TokenBucketLimiter,
)
from ._state import EmulatorState

__all__ = ["TENANT_ID", "Emulator"]

logger = logging.getLogger(__name__)

TENANT_ID = "emulator-tenant"


def _iso_utc(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Emulator:
    """An in-memory Data products API served over HTTP, for tests and benchmarks.

    The emulator serves the documented operations with plain JSON, enforces the field
    limits and the per-tier rate limits, issues OAuth2 client-credentials
    tokens and can inject faults. It binds 127.0.0.1 by default; `port=0` picks a free port.

    Args:
        host: address to bind.
        port: port to bind; 0 lets the system choose.
        api_key: the key accepted as `Authorization: Bearer <key>`; generated when None.
        tier_limits: requests per minute by tier name (`tier1`, `tier2`, `data-quality`);
            tiers left out keep their defaults of 1000, 100 and 10.
        minute_seconds: length of a rate-limit minute in clock seconds; shrink it to scale
            time down in tests and benchmarks.
        window_minutes: number of minutes over which a limit is evaluated.
        rate_limit_model: `token-bucket` or `sliding-window`. A token bucket allows a burst of
            `window_minutes` worth of requests, refilled at the per-minute limit. A sliding
            window allows at most that many requests in any window of `window_minutes`.
        clock: monotonic time in seconds for rate limits, token expiry and timestamps;
            `time.monotonic` when None.
        rate_limit_headers: send `Ratelimit-Limit`, `Ratelimit-Remaining` and
            `Ratelimit-Reset` (epoch seconds) on every API response. `Ratelimit-Limit` is the
            quota of the whole window, the limit per minute times `window_minutes`.
        max_products: number of products after which create returns 422; None for no limit.
        token_lifetime: lifetime of OAuth access tokens in clock seconds.
        oauth_clients: client secrets by client id; one generated pair when None.
        faults: fault rules active from the start.
        seed: seed of the fault draws and of the generated ids.
        latency: seconds of real time added before every API response.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        tier_limits: Mapping[str, int] | None = None,
        minute_seconds: float = 60.0,
        window_minutes: int = 5,
        rate_limit_model: str = "token-bucket",
        clock: Callable[[], float] | None = None,
        rate_limit_headers: bool = False,
        max_products: int | None = None,
        token_lifetime: float = 21600.0,
        oauth_clients: Mapping[str, str] | None = None,
        faults: Sequence[Fault] | None = None,
        seed: int = 0,
        latency: float = 0.0,
    ) -> None:
        if oauth_clients is None:
            oauth_clients = {secrets.token_hex(16): _new_secret()}
        if not oauth_clients:
            raise ValueError("oauth_clients must contain at least one client id and secret")
        if token_lifetime <= 0:
            raise ValueError(f"token_lifetime must be positive, got {token_lifetime}")
        if latency < 0:
            raise ValueError(f"latency must not be negative, got {latency}")

        self.host = host
        self.port = port
        self.api_key = api_key if api_key is not None else _new_secret()
        self.oauth_client_id, self.oauth_client_secret = next(iter(oauth_clients.items()))
        self.api_key_user_id = API_KEY_USER_ID
        self.tenant_id = TENANT_ID

        self.clock: Callable[[], float] = clock if clock is not None else time.monotonic
        # Timestamps follow the emulator clock, anchored to the wall time at construction.
        self._clock_origin = self.clock()
        self._epoch_origin = time.time()
        self._ids = random.Random(f"ids-{seed}")

        self.state = EmulatorState(
            tenant_id=TENANT_ID,
            default_user_id=API_KEY_USER_ID,
            now=lambda: _iso_utc(self._epoch_at(self.clock())),
            new_id=self._new_id,
            max_products=max_products,
        )
        self.faults = FaultInjector(faults or (), seed=seed)
        self._auth = Authenticator(
            api_key=self.api_key,
            oauth_clients=oauth_clients,
            token_lifetime=token_lifetime,
            clock=self.clock,
            wall_time=lambda moment: _iso_utc(self._epoch_at(moment)),
        )
        self._context = EmulatorContext(
            state=self.state,
            auth=self._auth,
            limiter=_limiter_class(rate_limit_model)(
                tier_limits or {},
                minute_seconds=minute_seconds,
                window_minutes=window_minutes,
                clock=self.clock,
            ),
            faults=self.faults,
            clock=self.clock,
            epoch_at=self._epoch_at,
            minute_seconds=minute_seconds,
            latency=latency,
            rate_limit_headers=rate_limit_headers,
        )
        self.app = create_app(self._context)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"<Emulator {where} products={len(self.state)} requests={len(self.requests)}>"

    def _epoch_at(self, moment: float) -> float:
        return self._epoch_origin + (moment - self._clock_origin)

    def _new_id(self) -> str:
        return f"{self._ids.getrandbits(96):024x}"

    @property
    def base_url(self) -> str:
        """The root URL without a trailing slash, such as `http://127.0.0.1:8080`."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not started; call start() first")
        return self._base_url

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        return self._context.requests

    @property
    def rate_limited(self) -> RateLimitCounter:
        """Counts of 429 responses sent by the rate-limit model, without injected 429s."""
        return self._context.rate_limited

    @property
    def token_requests(self) -> int:
        """Number of token requests that received an access token."""
        return self._auth.token_requests

    def oauth_user_id(self, client_id: str) -> str:
        """Return the user id that requests with a token of this OAuth client act as."""
        return oauth_user_id(client_id)

    async def start(self) -> None:
        """Bind the port and start serving."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        runner = web.AppRunner(self.app, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = port
        shown_host = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{shown_host}:{port}"
        logger.info("Emulator serving on %s", self._base_url)

    async def close(self) -> None:
        """Stop serving and close open connections."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        await runner.cleanup()
        logger.info("Emulator on %s stopped", self._base_url)

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def _limiter_class(model: str) -> type[TokenBucketLimiter] | type[SlidingWindowLimiter]:
    try:
        return RATE_LIMIT_MODELS[model]
    except KeyError:
        raise ValueError(
            f"unknown rate_limit_model {model!r}; expected one of {sorted(RATE_LIMIT_MODELS)}"
        ) from None


def _new_secret() -> str:
    # A URL-safe token may start with "-", which a command line would read as an option:
    # the leading letter lets users pass the generated key as "--api-key KEY".
    return "k" + secrets.token_urlsafe(32)
