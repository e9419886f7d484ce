"""The forecast the APIs, metrics, rules and the autopilot read: seconds until each pool runs short."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from daemon.autopilot.forecast_model import STEP_S, Profile, SpendHistory, combine, shortage_seconds
from daemon.energy.snapshot import EnergySnapshot, PoolView
from daemon.tron.energy import WINDOW_SLOTS


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """One forecast: seconds until short per pool id and in total (+inf: not within the horizon)."""

    pools: dict[int, float] = field(default_factory=dict)
    total: float | None = None
    weekly: dict[int, bool] = field(default_factory=dict)


class Forecast:
    """The latest result; `pool_seconds` is the call the autopilot makes."""

    def __init__(self) -> None:
        self.current = ForecastResult()
        self.histories: dict[int, SpendHistory] = {}

    def pool_seconds(self, pool_id: int) -> float | None:
        """Chain seconds until the pool cannot fund the next withdrawal; inf: not soon; None: unknown."""
        return self.current.pools.get(pool_id)

    def total_seconds(self) -> float | None:
        """The same for the pools as one."""
        return self.current.total

    def lookup(self, pool_id: int | None) -> float | None:
        """Pool seconds, or the total for None (the energy package's port)."""
        return self.total_seconds() if pool_id is None else self.pool_seconds(pool_id)

    def observe(self, pool_id: int, chain_ms: int, used: int, window_slots: int) -> None:
        """Feed one stored usage reading."""
        self.histories.setdefault(pool_id, SpendHistory()).observe(chain_ms, used, window_slots)

    def update(self, snap: EnergySnapshot, queue_energy: int, horizon_s: float) -> ForecastResult:
        """Forecast every readable enabled pool from the snapshot, its history and the waiting queue."""
        steps = max(1, math.ceil(horizon_s / STEP_S))
        need = snap.transfer_energy + snap.reserve_energy
        pools = [p for p in snap.pools if p.enabled and p.up and p.has_data and p.chain_time is not None]
        room = sum(p.energy_available for p in pools)
        out: dict[int, float] = {}
        weekly: dict[int, bool] = {}
        profiles: list[Profile] = []
        for p in pools:
            history = self.histories.get(p.id)
            profile = history.profile() if history is not None else None
            if profile is None:
                continue
            profiles.append(profile)
            weekly[p.id] = profile.weekly
            # The dispatcher draws the queue from the pools with room: shared in proportion to it.
            share = round(queue_energy * p.energy_available / room) if room > 0 else queue_energy
            out[p.id] = shortage_seconds(
                p.energy_limit, p.energy_used, p.window_slots, need, _rates(profile, p, steps), share
            )
        total = _total(pools, profiles, need, queue_energy, steps) if len(profiles) == len(pools) else None
        for gone in set(self.histories) - {p.id for p in snap.pools}:
            del self.histories[gone]
        self.current = ForecastResult(out, total if pools else None, weekly)
        return self.current


def _rates(profile: Profile, p: PoolView, steps: int) -> list[float]:
    assert p.chain_time is not None
    return profile.rates_from(int(p.chain_time.timestamp() * 1000), steps)


def _total(pools: list[PoolView], profiles: list[Profile], need: int, queue: int, steps: int) -> float | None:
    """The pools as one: summed limit, usage and spend, one window matching their recovery rate now."""
    summed = combine(profiles)
    if summed is None:
        return None
    used = sum(p.energy_used for p in pools)
    rate = sum(p.energy_used / p.window_slots for p in pools if p.window_slots > 0)
    window = round(used / rate) if rate > 0 else WINDOW_SLOTS
    newest = max(pools, key=lambda p: p.chain_time.timestamp() if p.chain_time else 0.0)
    limit = sum(p.energy_limit for p in pools)
    return shortage_seconds(limit, used, window, need, _rates(summed, newest, steps), queue)
