"""TRON layer: energy math (pure functions) and the tronpy client wrapper."""

from daemon.tron.client import TronClient
from daemon.tron.energy import (
    PRECISION,
    SLOT_MS,
    WINDOW_OPTIMIZED_SCALE,
    WINDOW_SLOTS,
    available_energy,
    decayed_usage,
    decayed_usage_many,
    energy_limit,
    increase_usage,
    recovery_per_hour,
    runway_seconds,
    seconds_until_available,
    window_slots_from_stored,
)
from daemon.tron.errors import TronApiError, TronError, TronUnavailable
from daemon.tron.options import DEFAULT_FEE_LIMIT_SUN, TronClientOptions, resolve_endpoint

__all__ = [
    "DEFAULT_FEE_LIMIT_SUN",
    "PRECISION",
    "SLOT_MS",
    "WINDOW_OPTIMIZED_SCALE",
    "WINDOW_SLOTS",
    "TronApiError",
    "TronClient",
    "TronClientOptions",
    "TronError",
    "TronUnavailable",
    "available_energy",
    "decayed_usage",
    "decayed_usage_many",
    "energy_limit",
    "increase_usage",
    "recovery_per_hour",
    "resolve_endpoint",
    "runway_seconds",
    "seconds_until_available",
    "window_slots_from_stored",
]
