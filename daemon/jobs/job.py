"""A background job as data: what it runs, where (leader or every replica), how often, how it backs off."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

# One pass; it may return the seconds until the next one (else `interval`).
Pass = Callable[[], Awaitable[float | None]]
Term = Callable[[], AbstractAsyncContextManager[Any]]
BACKOFF_FACTOR = 2.0
BACKOFF_INTERVALS = 4.0  # by default a failing job slows down to one try every 4 intervals, no further


@dataclass(frozen=True)
class Job:
    """One declared background job.

    `run` is one pass of a periodic job, or the whole life of a `service` job (e.g. a LISTEN loop),
    which the supervisor starts again when it ends or fails. A `leader` job runs only on the replica
    holding its lease; `term` (if any) is entered each time this replica starts leading and left when
    it stops. `wake` cuts the wait before the next pass short; `min_gap` is waited after it anyway, so
    a burst of wakes shares one pass.
    """

    name: str
    run: Pass
    interval: float | Callable[[], float] = 1.0
    leader: bool = False
    service: bool = False
    timeout: float | None = None
    backoff_max: float | None = None  # the longest wait after failures; default BACKOFF_INTERVALS × interval
    wake: asyncio.Event | None = None
    min_gap: float | Callable[[], float] = 0.0
    first_delay: float = 0.0
    term: Term | None = None
    expected: tuple[type[BaseException], ...] = ()  # failures logged without a traceback (as DB errors)

    def every(self) -> float:
        """The interval now (some jobs' intervals follow their configuration or state)."""
        return self.interval() if callable(self.interval) else self.interval

    def gap(self) -> float:
        """The minimum gap after a wake, now."""
        return self.min_gap() if callable(self.min_gap) else self.min_gap

    def retry_after(self, failures: int) -> float:
        """The wait after `failures` failures in a row: the interval, doubling up to `backoff_max`."""
        base = self.every()
        cap = self.backoff_max if self.backoff_max is not None else BACKOFF_INTERVALS * base
        return min(max(cap, base), base * BACKOFF_FACTOR ** min(max(failures - 1, 0), 30))
