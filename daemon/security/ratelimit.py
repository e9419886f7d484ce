"""Rate limits kept in PostgreSQL (one upsert per check), so every replica counts against one limit.

A sliding window estimated from two fixed windows (the previous window's count weighted by how much
of it still overlaps the last `window` seconds, plus the current count) — no burst of twice the
limit at a window edge. Refused calls are taken back out, so a client that keeps calling still gets
`limit` calls per window through; `Retry-After` is when the estimate leaves room for one more call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from daemon.db.types import Connection
from daemon.observability.profiler import profiled
from daemon.security import repo
from daemon.security.settings import RateLimit

EPSILON = 1e-6  # epoch seconds as floats: a call exactly on the boundary must not be refused by rounding


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
    frac = (now - index * window_seconds) / window_seconds
    estimate = previous * (1 - frac) + current
    if estimate <= limit + EPSILON:
        return Decision(True, estimate, 0, index)
    done = current - 1  # this call is refused, so it does not count
    if done + 1 <= limit and previous > 0:
        # Wait in this window until enough of the previous one has slid out for one more call.
        until = 1 - (limit - done - 1) / previous
        wait = (until - frac) * window_seconds
    else:
        # Wait into the next window, until this window's weight leaves room for one call.
        until = max(0.0, 1 - (limit - 1) / done) if done > 0 else 0.0
        wait = (1 - frac + until) * window_seconds
    return Decision(False, estimate, max(1, math.ceil(wait - EPSILON)), index)


@profiled("db.rate_limit")
async def check(conn: Connection, bucket: str, rule: RateLimit, now: float) -> Decision:
    """Count one call in `bucket` and decide."""
    start = math.floor(now / rule.window_seconds) * rule.window_seconds
    current, previous = await repo.hit(conn, bucket, start, rule.window_seconds)
    decision = decide(rule.limit, rule.window_seconds, now, current, previous)
    if not decision.allowed:
        await repo.unhit(conn, bucket, start)
    return decision
