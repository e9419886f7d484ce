"""Shortage forecast maths, pure: an hourly spend profile and the first time available energy runs short.

The recovery model is java-tron's (docs/forecast-and-costs.md): usage already on the pool decays
linearly to zero over its remaining window, and each newly spent unit decays linearly over 24 h.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from daemon.energy.consumption import spent_between

HOUR_MS = 3_600_000
DAY_HOURS = 24
WEEK_HOURS = 168
DECAY_S = 86_400.0
STEP_S = 300.0  # divides an hour, so each step has one profile rate; a crossing is interpolated inside it
# java's epoch week starts on a Thursday; folding absolute hours mod 168 needs only to be consistent.


@dataclass(slots=True)
class SpendHistory:
    """One pool's spend per absolute chain hour (energy, observed ms), from successive usage readings."""

    hours: dict[int, list[float]] = field(default_factory=dict)
    first_ms: int | None = None
    last_ms: int | None = None
    last_used: int = 0
    last_window: int = 0

    def observe(self, chain_ms: int, used: int, window_slots: int) -> None:
        """Add one reading (readings must come in chain-time order; older ones are ignored)."""
        if self.last_ms is not None and chain_ms > self.last_ms:
            spent = spent_between(self.last_used, self.last_window, used, chain_ms - self.last_ms)
            self._spread(self.last_ms, chain_ms, spent)
        elif self.last_ms is not None:
            return
        if self.first_ms is None:
            self.first_ms = chain_ms
        self.last_ms, self.last_used, self.last_window = chain_ms, used, window_slots
        self._prune(chain_ms)

    def _spread(self, start: int, end: int, spent: int) -> None:
        span = end - start
        for hour in range(start // HOUR_MS, (end - 1) // HOUR_MS + 1):
            lo, hi = max(start, hour * HOUR_MS), min(end, (hour + 1) * HOUR_MS)
            cell = self.hours.setdefault(hour, [0.0, 0.0])
            cell[0] += spent * (hi - lo) / span
            cell[1] += hi - lo

    def _prune(self, now_ms: int) -> None:
        oldest = now_ms // HOUR_MS - WEEK_HOURS - 1
        for hour in [h for h in self.hours if h < oldest]:
            del self.hours[hour]

    def profile(self) -> Profile | None:
        """Energy per second by hour of week once a week is observed, else by hour of day (last 24 h)."""
        if self.last_ms is None or self.first_ms is None or self.last_ms <= self.first_ms:
            return None
        weekly = self.last_ms - self.first_ms >= WEEK_HOURS * HOUR_MS
        period = WEEK_HOURS if weekly else DAY_HOURS
        newest = (self.last_ms - 1) // HOUR_MS
        energy, covered = [0.0] * period, [0.0] * period
        for hour, (e, ms) in self.hours.items():
            if hour > newest - period:  # the trailing period only: older days would blur a new pattern
                energy[hour % period] += e
                covered[hour % period] += ms
        total_ms = sum(covered)
        if total_ms <= 0:
            return None
        mean = sum(energy) / total_ms * 1000
        rates = [energy[i] / covered[i] * 1000 if covered[i] > 0 else mean for i in range(period)]
        return Profile(tuple(rates), weekly)


@dataclass(frozen=True, slots=True)
class Profile:
    """Energy per chain second for each hour slot (24 by day or 168 by week of absolute chain hours)."""

    rates: tuple[float, ...]
    weekly: bool

    def rate_at(self, chain_ms: int) -> float:
        """Expected spend rate (energy/s) at this chain time."""
        return self.rates[(chain_ms // HOUR_MS) % len(self.rates)]

    def rates_from(self, chain_ms: int, steps: int) -> list[float]:
        """The rate of each STEP_S step from `chain_ms` on."""
        step_ms = int(STEP_S * 1000)
        return [self.rate_at(chain_ms + i * step_ms) for i in range(steps)]


def combine(profiles: Sequence[Profile]) -> Profile | None:
    """The pools' summed profile (weekly only when every pool's is)."""
    if not profiles:
        return None
    weekly = all(p.weekly for p in profiles)
    period = WEEK_HOURS if weekly else DAY_HOURS
    rates = [sum(p.rates[i % len(p.rates)] for p in profiles) for i in range(period)]
    return Profile(tuple(rates), weekly)


def shortage_seconds(
    limit: int,
    used: int,
    window_slots: int,
    need: int,
    rates: Sequence[float],
    lump: int = 0,
) -> float:
    """First t (s) at which limit − usage(t) < need, stepping STEP_S per rate; +inf within the horizon.

    `lump` is energy drawn at once (the waiting queue); `rates[i]` is the spend in step i (energy/s).
    Usage follows java-tron's single decaying window: it falls linearly over the remaining window,
    and each spend re-weights that window towards 24 h by energy (docs/forecast-and-costs.md).
    """
    threshold = limit - need  # usage above this leaves less than `need` available
    usage, window = float(used), float(window_slots * 3) if used > 0 else DECAY_S
    usage, window = _spend(usage, window, float(lump))
    if usage > threshold:
        return 0.0
    t = 0.0
    for rate in rates:
        decayed = usage * (1 - STEP_S / window) if window > STEP_S else 0.0
        end, window = _spend(decayed, max(window - STEP_S, 0.0), rate * STEP_S)
        if end > threshold:
            slope = (end - usage) / STEP_S
            return t + (threshold - usage) / slope if slope > 0 else t
        usage = end
        t += STEP_S
    return math.inf


def _spend(usage: float, remaining: float, spend: float) -> tuple[float, float]:
    """(usage, remaining window s) after a spend: the window blends towards 24 h by energy."""
    if spend <= 0:
        return usage, remaining if usage > 0 else DECAY_S
    total = usage + spend
    return total, (usage * remaining + spend * DECAY_S) / total
