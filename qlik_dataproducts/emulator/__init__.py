"""In-memory emulator of the Qlik Cloud Data products API.

It is written from the API reference alone and imports nothing else from
`qlik_dataproducts`, so the client and the emulator check each other over real HTTP.
"""

from ._context import RecordedRequest
from ._faults import FAULT_KINDS, FAULT_OPERATIONS, Fault, FaultInjector
from ._ratelimit import DEFAULT_TIER_LIMITS, OPERATION_TIERS, RateLimitCounter
from ._server import TENANT_ID, Emulator
from ._state import EmulatorState, seed_items
from ._thread import EmulatorThread
from ._virtual_time import VirtualClock

__all__ = [
    "DEFAULT_TIER_LIMITS",
    "FAULT_KINDS",
    "FAULT_OPERATIONS",
    "OPERATION_TIERS",
    "TENANT_ID",
    "Emulator",
    "EmulatorState",
    "EmulatorThread",
    "Fault",
    "FaultInjector",
    "RateLimitCounter",
    "RecordedRequest",
    "VirtualClock",
    "seed_items",
]
