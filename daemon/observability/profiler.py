"""`@profiled("name")`: per-app operation timings (histogram, slow-operation log, bounded window stats).

The decorator is applied at import time, so it cannot hold an app; it finds the running app's
Profiler through a context variable that the app sets for its startup (so every background task
inherits it) and for each request. Outside an app the wrapped callable just runs.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

from prometheus_client import CollectorRegistry, Histogram
from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MAX_OPERATIONS = 200  # names come from code, not input; the cap only guards against misuse


class ProfilerSettings(BaseModel):
    """The `profiler:` config section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slow_seconds: float = Field(1.0, gt=0, description="operations slower than this are logged (warning)")
    window: int = Field(1000, ge=1, le=100_000, description="latest durations kept per operation for stats")


@dataclass
class _Operation:
    window: deque[float]
    histogram: Histogram  # the operation's child of the histogram: labels() looked up once, not per call
    count: int = 0
    errors: int = 0
    slow: int = 0


@dataclass(frozen=True)
class Stats:
    """One operation's figures: count since start, and stats over the latest `window` durations."""

    operation: str
    count: int
    errors: int
    slow: int
    window: int
    mean: float
    median: float
    min: float
    max: float
    p95: float
    p99: float


@dataclass
class Profiler:
    """One app's operation timings."""

    registry: CollectorRegistry
    settings: ProfilerSettings = field(default_factory=ProfilerSettings)
    clock: Callable[[], float] = time.perf_counter
    _ops: dict[str, _Operation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.histogram = Histogram(
            "tronwatch_operation_duration_seconds",
            "Duration of profiled operations",
            ["operation"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def record(self, operation: str, seconds: float, *, failed: bool = False) -> None:
        """Add one duration."""
        op = self._ops.get(operation)
        if op is None:
            if len(self._ops) >= MAX_OPERATIONS:
                return
            window: deque[float] = deque(maxlen=self.settings.window)
            op = self._ops[operation] = _Operation(window, self.histogram.labels(operation))
        op.window.append(seconds)
        op.count += 1
        op.errors += failed
        op.histogram.observe(seconds)
        if seconds > self.settings.slow_seconds:
            op.slow += 1
            log.warning(
                "slow operation operation=%s seconds=%.3f threshold=%.3f failed=%s",
                operation,
                seconds,
                self.settings.slow_seconds,
                failed,
            )

    def stats(self) -> list[Stats]:
        """Figures per operation, by name."""
        return [_stats(name, op) for name, op in sorted(self._ops.items()) if op.window]


def _stats(name: str, op: _Operation) -> Stats:
    values = sorted(op.window)
    n = len(values)
    return Stats(
        operation=name,
        count=op.count,
        errors=op.errors,
        slow=op.slow,
        window=n,
        mean=math.fsum(values) / n,
        median=quantile(values, 0.5),
        min=values[0],
        max=values[-1],
        p95=quantile(values, 0.95),
        p99=quantile(values, 0.99),
    )


def quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


current: contextvars.ContextVar[Profiler | None] = contextvars.ContextVar("tronwatch_profiler", default=None)


def profiled(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Time every call of a sync or async callable under `operation`, in the current app's Profiler."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                profiler = current.get()
                if profiler is None:
                    return await fn(*args, **kwargs)
                start, failed = profiler.clock(), True
                try:
                    result = await fn(*args, **kwargs)
                    failed = False
                    return result
                finally:
                    profiler.record(operation, profiler.clock() - start, failed=failed)

            return cast(Callable[P, R], run_async)

        @functools.wraps(fn)
        def run_sync(*args: P.args, **kwargs: P.kwargs) -> R:
            profiler = current.get()
            if profiler is None:
                return fn(*args, **kwargs)
            start, failed = profiler.clock(), True
            try:
                result = fn(*args, **kwargs)
                failed = False
                return result
            finally:
                profiler.record(operation, profiler.clock() - start, failed=failed)

        return run_sync

    return decorate
