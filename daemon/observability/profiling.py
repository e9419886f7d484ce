"""The app's Profiler: installed per app, current during startup (tasks inherit it), and its admin route."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from pydantic import BaseModel

from daemon.http.endpoints import Endpoint, json_response
from daemon.observability import profiler
from daemon.observability.profiler import Profiler

profiler_key = web.AppKey("profiler", Profiler)


class OperationStats(BaseModel):
    """One operation: calls since start, and stats in seconds over the latest `window` calls."""

    operation: str
    count: int
    errors: int
    slow: int
    window: int
    mean_seconds: float
    median_seconds: float
    min_seconds: float
    max_seconds: float
    p95_seconds: float
    p99_seconds: float


class Profiling(BaseModel):
    """Every profiled operation of this replica."""

    slow_seconds: float
    window: int
    operations: list[OperationStats]


def profiler_context(prof: Profiler) -> Callable[[web.Application], AsyncIterator[None]]:
    """First of the cleanup contexts: every background task started after this one times into `prof`."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        token = profiler.current.set(prof)
        try:
            yield
        finally:
            with contextlib.suppress(ValueError):  # cleanup ran in another context: nothing to restore
                profiler.current.reset(token)

    return context


async def get_profiling(request: web.Request) -> web.Response:
    """Profiler statistics per operation."""
    prof = request.app[profiler_key]
    ops = [
        OperationStats(
            operation=s.operation,
            count=s.count,
            errors=s.errors,
            slow=s.slow,
            window=s.window,
            mean_seconds=s.mean,
            median_seconds=s.median,
            min_seconds=s.min,
            max_seconds=s.max,
            p95_seconds=s.p95,
            p99_seconds=s.p99,
        )
        for s in prof.stats()
    ]
    return json_response(
        Profiling(slow_seconds=prof.settings.slow_seconds, window=prof.settings.window, operations=ops)
    )


def profiling_endpoints() -> list[Endpoint]:
    """GET /api/v1/admin/monitoring/profiling."""
    return [
        Endpoint(
            "GET",
            "/api/v1/admin/monitoring/profiling",
            get_profiling,
            "admin",
            "Operation timings of this replica (count, mean, median, min, max, p95, p99)",
            "monitoring",
            response=Profiling,
        )
    ]
