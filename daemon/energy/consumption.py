"""Energy actually spent, from successive usage readings, java-tron's decay model (docs/tron.md#recovery)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from daemon.tron.energy import SLOT_MS, decayed_usage

DAY_MS = 86_400_000
BUCKET_MS = 300_000  # 5-minute buckets: 288 per pool per day, edge error at most one bucket, prorated
MIN_COVERAGE_MS = 900_000  # below 15 min of observation a daily figure would be mostly noise


def spent_between(
    used_before: int, window_slots: int, used_now: int, elapsed_ms: int, moved_back: int = 0
) -> int:
    """Energy spent between two readings: used_now − used_before decayed over Δ (never negative).

    Both readings are already decayed to their head slot by the node, and usage recovers
    linearly over the account's window, so whatever exceeds the decayed earlier usage is new spend,
    except usage an UnDelegate moved onto the pool: at most `moved_back` (docs/delegation.md).
    """
    slots = max(0, elapsed_ms // SLOT_MS)
    remaining = decayed_usage(used_before, slots, window_slots) if window_slots > 0 else 0
    return max(0, used_now - remaining - moved_back)


@dataclass(slots=True)
class ConsumptionTracker:
    """One pool's spend per 5-minute bucket of chain time, for a trailing-24 h sum."""

    buckets: deque[list[float]] = field(default_factory=deque)  # [bucket index, energy]
    first_ms: int | None = None
    last_ms: int | None = None
    last_used: int = 0
    last_window: int = 0

    def observe(self, chain_ms: int, used: int, window_slots: int, moved_back: int = 0) -> None:
        """Record a reading taken at head-block time `chain_ms` (`moved_back`: reclaimed usage, not spend)."""
        if self.last_ms is None or chain_ms < self.last_ms:
            # First reading, or the node's clock went backwards (another node): start over.
            self.buckets.clear()
            self.first_ms = chain_ms
        elif chain_ms > self.last_ms:
            spent = spent_between(self.last_used, self.last_window, used, chain_ms - self.last_ms, moved_back)
            if spent:
                self._add(self.last_ms, chain_ms, spent)
        self.last_ms, self.last_used, self.last_window = chain_ms, used, window_slots
        self._prune(chain_ms)

    def _add(self, start_ms: int, end_ms: int, spent: int) -> None:
        """Spread `spent` evenly over (start, end] by bucket, so long gaps are not lumped at the end."""
        first, last = start_ms // BUCKET_MS, (end_ms - 1) // BUCKET_MS
        span = end_ms - start_ms
        for idx in range(max(first, last - DAY_MS // BUCKET_MS - 1), last + 1):
            lo, hi = max(start_ms, idx * BUCKET_MS), min(end_ms, (idx + 1) * BUCKET_MS)
            share = spent * (hi - lo) / span
            if self.buckets and self.buckets[-1][0] == idx:
                self.buckets[-1][1] += share
            else:
                self.buckets.append([idx, share])

    def _prune(self, now_ms: int) -> None:
        oldest = (now_ms - DAY_MS) // BUCKET_MS
        while self.buckets and self.buckets[0][0] < oldest:
            self.buckets.popleft()

    def daily(self) -> int | None:
        """Energy spent in the trailing 24 h of chain time; scaled to a day while less is observed."""
        if self.last_ms is None or self.first_ms is None:
            return None
        start = self.last_ms - DAY_MS
        total = 0.0
        for idx, energy in self.buckets:
            lo, hi = idx * BUCKET_MS, (idx + 1) * BUCKET_MS
            if hi <= start:
                continue
            # The bucket straddling the 24 h edge counts in proportion (spend assumed even within it).
            total += energy if lo >= start else energy * (hi - start) / BUCKET_MS
        covered = min(self.last_ms - self.first_ms, DAY_MS)
        if covered < MIN_COVERAGE_MS:
            return None
        return round(total * DAY_MS / covered)
