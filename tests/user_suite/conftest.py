"""Settings of this suite's emulator and client, shared by its tests."""

from __future__ import annotations

from typing import Any

import pytest

from qlik_dataproducts import RetryPolicy


@pytest.fixture
def qlik_client_options() -> dict[str, Any]:
    # Fail fast: three attempts, and five seconds for each request.
    return {"retry": RetryPolicy(max_attempts=3), "timeout": 5.0}
