"""Seconds until a pool is short, and the energy it lacks for a horizon: the one forecast the planner reads.

Computed from the energy snapshot alone (available energy, runway or daily consumption, the waiting
queue's energy); a richer forecast can replace `pool_seconds` without the planner changing.
"""

from __future__ import annotations

import math

from daemon.energy.snapshot import PoolView
from daemon.tron.energy import SECONDS_PER_DAY


def drain_per_second(pool: PoolView) -> float:
    """Net energy per second the pool loses: from its runway, else (unknown runway) its daily use."""
    runway = pool.runway_seconds
    if runway is not None:
        if math.isinf(runway):
            return 0.0
        return (
            pool.energy_available / runway
            if runway > 0
            else float(pool.daily_consumption or 0) / SECONDS_PER_DAY
        )
    return float(pool.daily_consumption or 0) / SECONDS_PER_DAY


def pool_seconds(pool: PoolView, waiting_energy: int, transfer_energy: int) -> float:
    """Seconds until the pool cannot pay one more transfer after the queue waiting for it (0: short now)."""
    spare = pool.energy_available - waiting_energy - transfer_energy
    if spare < 0:
        return 0.0
    drain = drain_per_second(pool)
    return math.inf if drain <= 0 else spare / drain


def shortfall(
    pool: PoolView, waiting_energy: int, transfer_energy: int, horizon_s: float, less: int = 0
) -> int:
    """Energy the pool lacks to pay the queue, one transfer and `horizon_s` of use (`less`: minus that)."""
    wanted = drain_per_second(pool) * horizon_s + waiting_energy + transfer_energy
    return max(0, math.ceil(wanted - (pool.energy_available - less)))
