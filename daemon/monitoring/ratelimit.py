"""Rate limits kept in PostgreSQL (one upsert per check), so every replica counts against one limit.

A sliding window estimated from two fixed windows (the previous window's count weighted by how much
of it still overlaps the last `window` seconds, plus the current count) — no burst of twice the
limit at a window edge. Every attempt counts, refused ones too: a client that keeps hammering stays
limited; one that waits `Retry-After` seconds gets through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from daemon.monitoring import security_repo
from daemon.monitoring.profiler import profiled
from daemon.monitoring.security_settings import RateLimit


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether the call may go ahead, the estimated count, and when to retry (seconds, when refused)."""

    allowed: bool
    estimate: float
    retry_after: int
    window: int


def decide(limit: int, window_seconds: int, now: float, current: int, previous: int) -> Decision:
    """The sliding-window decision for counts read at `now` (current includes this call)."""
    index = math.floor(now / window_seconds)
    frac = now / window_seconds - index
    estimate = previous * (1 - frac) + current
    if estimate <= limit:
        return Decision(True, estimate, 0, index)
    if current + 1 <= limit and previous > 0:
        # Wait in this window until enough of the previous one has slid out for one more call.
        until = 1 - (limit - current - 1) / previous
        wait = (until - frac) * window_seconds
    else:
        # Wait into the next window, until this window's weight leaves room for one call.
        until = max(0.0, 1 - (limit - 1) / current)
        wait = (1 - frac + until) * window_seconds
    return Decision(False, estimate, max(1, math.ceil(wait)), index)


@profiled("db.rate_limit")
async def check(conn: object, bucket: str, rule: RateLimit, now: float) -> Decision:
    """Count one call in `bucket` and decide."""
    start = math.floor(now / rule.window_seconds) * rule.window_seconds
    current, previous = await security_repo.hit(conn, bucket, start, rule.window_seconds)
    return decide(rule.limit, rule.window_seconds, now, current, previous)
