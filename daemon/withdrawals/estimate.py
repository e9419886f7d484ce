"""Wait estimates: replay the dispatcher on java-tron's recovery math (24 h decay, re-weighted spends)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from daemon.energy.snapshot import EnergySnapshot, PoolView
from daemon.tron.energy import SLOT_MS, WINDOW_OPTIMIZED_SCALE, increase_usage, seconds_until_available

SLOT_S = SLOT_MS // 1000
MAX_STEPS = 50_000  # beyond this many releases ahead the estimate is "unknown" rather than slow
_CACHE_SIZE = 16


@dataclass
class _Pool:
    """One pool's simulated energy state at simulated slot `slot`."""

    limit: int
    usage: int
    window_scaled: int  # energy_window_size ×1000, as java-tron stores it when optimized
    slot: int = 0

    def seconds_until(self, need: int) -> int | None:
        """Seconds from slot 0 until this pool has `need` available."""
        wait = seconds_until_available(
            self.limit, self.usage, self.window_scaled // WINDOW_OPTIMIZED_SCALE, need
        )
        return None if wait is None else self.slot * SLOT_S + wait

    def spend(self, at_s: int, energy: int) -> None:
        """Decay to `at_s` and add a spend (java-tron increaseV2: the window is re-weighted)."""
        now = max(self.slot, math.ceil(at_s / SLOT_S))
        self.usage, self.window_scaled = increase_usage(
            self.usage, self.slot, now, self.window_scaled, energy
        )
        self.slot = now


class Plan:
    """Release times (seconds after the snapshot) of successive `chunk`-sized entries, extended lazily."""

    def __init__(self, pools: list[PoolView], inflight: dict[int, int], chunk: int, reserve: int) -> None:
        self.chunk, self.need = chunk, chunk + reserve
        self.pools = []
        for p in pools:
            sim = _Pool(p.energy_limit, p.energy_used, max(p.window_slots, 1) * WINDOW_OPTIMIZED_SCALE)
            if inflight.get(p.id):
                sim.spend(0, inflight[p.id])  # released but not yet seen by a scrape: already spent
            self.pools.append(sim)
        self.times: list[int] = []
        self.stuck = False

    def time_of(self, index: int) -> int | None:
        """Seconds until the `index`-th (0-based) release, or None if it never comes (or too far)."""
        while len(self.times) <= index and not self.stuck:
            if len(self.times) >= MAX_STEPS:
                return None
            self._step()
        return self.times[index] if index < len(self.times) else None

    def _step(self) -> None:
        # The dispatcher releases to whichever pool covers the entry first.
        best: tuple[int, _Pool] | None = None
        for pool in self.pools:
            at = pool.seconds_until(self.need)
            if at is not None and (best is None or at < best[0]):
                best = (at, pool)
        if best is None:
            self.stuck = True
            return
        at, pool = best
        at = max(at, self.times[-1]) if self.times else at
        pool.spend(at, self.chunk)
        self.times.append(at)


class Estimator:
    """Plans cached per (snapshot, in-flight energy, entry size): one replay serves many requests."""

    def __init__(self) -> None:
        self._plans: dict[tuple[object, ...], Plan] = {}

    def wait_seconds(
        self,
        snap: EnergySnapshot,
        inflight: dict[int, int],
        energy_ahead: int,
        required: int,
        speed: float,
    ) -> int | None:
        """Wall seconds until an entry of `required` behind `energy_ahead` is released; None unknown."""
        if snap.stale():
            return None
        pools = [p for p in snap.pools if p.enabled and p.up and p.has_data]
        key = (snap.serial, id(snap), tuple(sorted(inflight.items())), required)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _CACHE_SIZE:
                self._plans.clear()
            plan = self._plans[key] = Plan(pools, inflight, required, snap.reserve_energy)
        # Entries ahead are counted in units of this entry's size (exact when sizes are equal).
        index = math.ceil(energy_ahead / required)
        at = plan.time_of(index)
        if at is None:
            return None
        # The plan is in chain seconds; `speed` (chain s per wall s) makes it wall time, like the age.
        elapsed = time.time() - snap.data_time.timestamp() if snap.data_time is not None else 0.0
        return max(0, math.ceil(at / speed - elapsed))


def minutes(seconds: int | None) -> int | None:
    """Whole minutes, rounded up (what the API reports)."""
    return None if seconds is None else math.ceil(seconds / 60)
