"""Pytest fixtures that test code using qlik-dataproducts against the bundled emulator.

Installing the package registers this plugin through the `pytest11` entry point. Loading it
imports the `qlik_dataproducts` package (this module lives in it), but the emulator only when a
test requests one of its fixtures. Disable it with `-p no:qlik_dataproducts`.

Fixtures:
    qlik_emulator: a started `Emulator` on 127.0.0.1 with a free port, closed after the test.
    qlik_client: a `DataProductsClient` connected to `qlik_emulator` with its API key.
    qlik_faults: the emulator's `FaultInjector`, whose `add(Fault(...))` breaks responses.
    qlik_requests: the live list of `RecordedRequest`s the emulator received.
    qlik_virtual_clock: a `VirtualClock` on the test's event loop: sleeps, rate-limit pauses
        and timeouts end at once. The emulator and the client follow it.
    qlik_threaded_emulator: an `Emulator` serving from a background thread, for synchronous
        tests and for programs that run their own event loop (`asyncio.run`).
    qlik_emulator_options, qlik_client_options: keyword arguments for `Emulator` and
        `DataProductsClient`, empty by default. Override them in a conftest.py.

Markers:
    qlik_seed(source, ...): products to load before the test, from a JSON file (a path
        relative to the test file) or from a list or dict of products.
    qlik_emulator(**options): `Emulator` keyword arguments for one test.
    qlik_client(**options): `DataProductsClient` keyword arguments for one test.
    qlik_virtual_time: run the test on the virtual clock without requesting the fixture.

Ini option:
    qlik_seed: a JSON seed file, relative to the ini file, loaded into every emulator.

The async fixtures need pytest-asyncio and work in both its auto and strict modes.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from qlik_dataproducts import DataProductsClient
    from qlik_dataproducts.emulator import (
        Emulator,
        FaultInjector,
        RecordedRequest,
        VirtualClock,
    )

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

_CLOCK_KEY = pytest.StashKey["VirtualClock"]()
_MARKERS = (
    "qlik_seed(source, ...): load products into the emulator from a JSON file (relative to "
    "the test file) or from a list or dict of products",
    "qlik_emulator(**options): keyword arguments for the qlik_emulator Emulator",
    "qlik_client(**options): keyword arguments for the qlik_client DataProductsClient",
    "qlik_virtual_time: run the test's event loop on a virtual clock",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "qlik_seed",
        "JSON file of products, relative to the ini file, loaded into every qlik emulator",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The marker is a shorthand for requesting the clock fixture.
    if metafunc.definition.get_closest_marker("qlik_virtual_time") is not None:
        if "qlik_virtual_clock" not in metafunc.fixturenames:
            metafunc.fixturenames.append("qlik_virtual_clock")


# --- options and seeds ------------------------------------------------------------------------


@pytest.fixture
def qlik_emulator_options() -> dict[str, Any]:
    """Keyword arguments for every `Emulator` the fixtures start."""
    return {}


@pytest.fixture
def qlik_client_options() -> dict[str, Any]:
    """Keyword arguments for the `qlik_client` fixture's client."""
    return {}


def _marker_options(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # iter_markers yields the closest marker first, so apply them from the farthest.
    for marker in reversed(list(request.node.iter_markers(name))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{name} takes keyword arguments only")
        options.update(marker.kwargs)
    return options


def _emulator_options(request: pytest.FixtureRequest, base: dict[str, Any]) -> dict[str, Any]:
    options = {**base, **_marker_options(request, "qlik_emulator")}
    host = options.setdefault("host", "127.0.0.1")
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise pytest.UsageError(f"the qlik emulator fixtures serve loopback only, got {host!r}")
    return options


def _seed_documents(request: pytest.FixtureRequest) -> list[tuple[str, Any]]:
    """Return the seed documents for a test as (origin, JSON document), ini file first."""
    documents: list[tuple[str, Any]] = []
    configured = str(request.config.getini("qlik_seed") or "")
    if configured:
        base = request.config.inipath.parent if request.config.inipath else request.config.rootpath
        documents.append(_read_seed(base / configured))
    test_dir = Path(str(request.node.path)).parent
    for marker in reversed(list(request.node.iter_markers("qlik_seed"))):
        if not marker.args:
            raise pytest.UsageError("@pytest.mark.qlik_seed needs a path or a list of products")
        for source in marker.args:
            if isinstance(source, (str, os.PathLike)):
                documents.append(_read_seed(test_dir / source))
            else:
                documents.append(("qlik_seed marker", source))
    return documents


def _read_seed(path: Path) -> tuple[str, Any]:
    try:
        with path.open(encoding="utf-8") as stream:
            return str(path), json.load(stream)
    except OSError as exc:
        raise pytest.UsageError(f"cannot read the qlik seed file {path}: {exc}") from exc
    except ValueError as exc:
        raise pytest.UsageError(f"the qlik seed file {path} is not valid JSON: {exc}") from exc


def _build_emulator(request: pytest.FixtureRequest, options: dict[str, Any]) -> Emulator:
    from qlik_dataproducts.emulator import Emulator, seed_items

    emulator = Emulator(**options)
    for origin, document in _seed_documents(request):
        try:
            emulator.state.seed(seed_items(document))
        except ValueError as exc:
            raise pytest.UsageError(f"invalid qlik seed from {origin}: {exc}") from exc
    return emulator


def _wants_virtual_time(request: pytest.FixtureRequest) -> bool:
    return "qlik_virtual_clock" in request.fixturenames


def _install_clock(request: pytest.FixtureRequest) -> VirtualClock | None:
    """Install the test's virtual clock if it uses one and none is installed yet.

    Returns the clock when this call installed it, so that the caller uninstalls it.
    """
    if not _wants_virtual_time(request) or _CLOCK_KEY in request.node.stash:
        return None
    from qlik_dataproducts.emulator import VirtualClock

    clock = VirtualClock(asyncio.get_running_loop()).install()
    request.node.stash[_CLOCK_KEY] = clock
    return clock


def _uninstall_clock(request: pytest.FixtureRequest, clock: VirtualClock | None) -> None:
    if clock is not None:
        clock.uninstall()
        del request.node.stash[_CLOCK_KEY]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def qlik_threaded_emulator(
    request: pytest.FixtureRequest, qlik_emulator_options: dict[str, Any]
) -> Iterator[Emulator]:
    """Serve a seeded emulator from a background thread for the duration of the test."""
    from qlik_dataproducts.emulator import EmulatorThread

    emulator = _build_emulator(request, _emulator_options(request, qlik_emulator_options))
    with EmulatorThread(emulator) as running:
        yield running


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def qlik_emulator(
        request: pytest.FixtureRequest, qlik_emulator_options: dict[str, Any]
    ) -> AsyncIterator[Emulator]:
        """Start a seeded emulator on 127.0.0.1, on the test's event loop."""
        clock = _install_clock(request)
        try:
            options = _emulator_options(request, qlik_emulator_options)
            loop = asyncio.get_running_loop()
            # Read the loop's time on each call, so that a virtual clock installed later
            # still drives the emulator.
            options.setdefault("clock", lambda: loop.time())
            async with _build_emulator(request, options) as emulator:
                yield emulator
        finally:
            _uninstall_clock(request, clock)

    @pytest_asyncio.fixture
    async def qlik_client(
        request: pytest.FixtureRequest,
        qlik_emulator: Emulator,
        qlik_client_options: dict[str, Any],
    ) -> AsyncIterator[DataProductsClient]:
        """Return a client connected to `qlik_emulator` with the emulator's API key."""
        from qlik_dataproducts import DataProductsClient

        options = {**qlik_client_options, **_marker_options(request, "qlik_client")}
        options.setdefault("api_key", qlik_emulator.api_key)
        async with DataProductsClient(qlik_emulator.base_url, **options) as client:
            yield client

    @pytest_asyncio.fixture
    async def qlik_virtual_clock(request: pytest.FixtureRequest) -> AsyncIterator[VirtualClock]:
        """Run the test's event loop on a virtual clock that jumps over every wait."""
        clock = _install_clock(request)
        try:
            yield request.node.stash[_CLOCK_KEY]
        finally:
            _uninstall_clock(request, clock)

else:  # pragma: no cover - exercised only without pytest-asyncio

    def _needs_pytest_asyncio() -> Any:
        pytest.fail(
            "the qlik_emulator, qlik_client and qlik_virtual_clock fixtures need "
            "pytest-asyncio. Install it with: pip install pytest-asyncio",
            pytrace=False,
        )

    @pytest.fixture
    def qlik_emulator() -> Any:
        """Unavailable: install pytest-asyncio."""
        return _needs_pytest_asyncio()

    @pytest.fixture
    def qlik_client() -> Any:
        """Unavailable: install pytest-asyncio."""
        return _needs_pytest_asyncio()

    @pytest.fixture
    def qlik_virtual_clock() -> Any:
        """Unavailable: install pytest-asyncio."""
        return _needs_pytest_asyncio()


@pytest.fixture
def qlik_faults(qlik_emulator: Emulator) -> FaultInjector:
    """Return the fault rules of `qlik_emulator`."""
    return qlik_emulator.faults


@pytest.fixture
def qlik_requests(qlik_emulator: Emulator) -> list[RecordedRequest]:
    """Return the list of requests `qlik_emulator` received, which grows during the test."""
    return qlik_emulator.requests
