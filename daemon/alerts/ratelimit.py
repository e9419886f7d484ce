"""A token bucket per receiver URL, plus the receiver's own Retry-After (alerting.md §5)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Bucket:
    """`rate` tokens a second up to `burst`; `hold(seconds)` blocks it all (a 429's Retry-After)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens = float(burst)
        self.stamp = clock()
        self.blocked_until = 0.0

    def wait_time(self) -> float:
        """Seconds until a token is free (0 means take one now with `take`)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.blocked_until:
            return self.blocked_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend a token."""
        self.tokens -= 1

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds`."""
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)
        self.tokens = 0.0
