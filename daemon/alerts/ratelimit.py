"""A token bucket per receiver URL, plus the receiver's Retry-After (docs/alerting.md#slack-rate-limits)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Bucket:
    """`rate` tokens a second up to `burst`; `hold(seconds)` blocks it all (a 429's Retry-After).

    Tokens can go negative: each waiter reserves its token up front, so waiters queue one behind
    another instead of all waking at the same moment. A hold voids every reservation (`holds`
    counts them): waiters that see it changed reserve again, behind the hold.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens = float(burst)
        self.stamp = clock()  # tokens are counted up to here; in the future during a hold
        self.holds = 0

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self) -> float:
        """Seconds until the next caller may send (0 means now)."""
        now = self.clock()
        self._refill(now)
        short = 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate
        return max(0.0, self.stamp - now) + short

    def reserve(self, limit: float) -> float:
        """Seconds until this caller may send; a wait of at most `limit` holds a token for it."""
        wait = self.wait_time()
        if wait <= limit:
            self.tokens -= 1
        return wait

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds`, then one message and the normal rate (no burst after a 429)."""
        now = self.clock()
        self._refill(now)
        self.stamp = max(self.stamp, now + seconds)
        self.tokens = 1.0
        self.holds += 1
