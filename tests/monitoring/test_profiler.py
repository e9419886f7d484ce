"""The profiler: known durations give known stats; one profiler per app; the admin route."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from daemon.observability import profiler
from daemon.observability.profiler import Profiler, ProfilerSettings, profiled
from daemon.observability.profiling import profiler_key
from daemon.withdrawals import queue_repo
from tests.conftest import Keys, bearer
from tests.monitoring.conftest import AppFactory


class FakeClock:
    """perf_counter that moves only when an operation 'takes' time."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def prof() -> Any:
    clock = FakeClock()
    p = Profiler(CollectorRegistry(), ProfilerSettings(slow_seconds=0.5, window=1000), clock=clock)
    token = profiler.current.set(p)
    yield p, clock
    profiler.current.reset(token)


def test_stats_of_known_durations(prof: Any) -> None:
    p, clock = prof

    @profiled("sync.op")
    def work(seconds: float) -> str:
        clock.now += seconds
        return "done"

    for ms in range(10, 110, 10):  # 10 ms .. 100 ms
        assert work(ms / 1000) == "done"
    [s] = p.stats()
    assert (s.operation, s.count, s.window, s.errors, s.slow) == ("sync.op", 10, 10, 0, 0)
    assert s.mean == pytest.approx(0.055)
    assert s.median == pytest.approx(0.055)
    assert (s.min, s.max) == (pytest.approx(0.01), pytest.approx(0.1))
    assert s.p95 == pytest.approx(0.0955)  # between the 9th and 10th values, 55 % of the way
    assert s.p99 == pytest.approx(0.0991)
    registry = p.registry
    assert (
        registry.get_sample_value("tronwatch_operation_duration_seconds_count", {"operation": "sync.op"})
        == 10
    )
    assert registry.get_sample_value(
        "tronwatch_operation_duration_seconds_sum", {"operation": "sync.op"}
    ) == pytest.approx(0.55)
    assert (
        registry.get_sample_value(
            "tronwatch_operation_duration_seconds_bucket", {"operation": "sync.op", "le": "0.05"}
        )
        == 5
    )


async def test_async_operations_errors_and_slow_warnings(prof: Any, caplog: pytest.LogCaptureFixture) -> None:
    p, clock = prof

    @profiled("async.op")
    async def work(seconds: float, fail: bool = False) -> int:
        await asyncio.sleep(0)
        clock.now += seconds
        if fail:
            raise ValueError("boom")
        return 7

    with caplog.at_level(logging.WARNING, logger="daemon.observability.profiler"):
        assert await work(0.2) == 7
        with pytest.raises(ValueError, match="boom"):
            await work(0.4, fail=True)
        assert await work(0.9) == 7  # over the 0.5 s threshold
    [s] = p.stats()
    assert (s.count, s.errors, s.slow) == (3, 1, 1)
    assert s.median == pytest.approx(0.4) and s.max == pytest.approx(0.9)
    slow = [r.getMessage() for r in caplog.records if "slow operation" in r.getMessage()]
    assert slow == ["slow operation operation=async.op seconds=0.900 threshold=0.500 failed=False"]


def test_the_window_is_bounded_but_the_count_is_not(prof: Any) -> None:
    p, clock = prof
    p.settings = ProfilerSettings(window=5)

    @profiled("bounded")
    def work(seconds: float) -> None:
        clock.now += seconds

    for i in range(1, 11):
        work(i / 100)
    [s] = p.stats()
    assert (s.count, s.window) == (10, 5)
    assert (s.min, s.max, s.mean) == (pytest.approx(0.06), pytest.approx(0.1), pytest.approx(0.08))


def test_without_an_app_the_function_just_runs() -> None:
    calls = []

    @profiled("nowhere")
    def work() -> int:
        calls.append(1)
        return 3

    assert profiler.current.get() is None
    assert work() == 3 and calls == [1]


async def test_each_app_has_its_own_profiler_and_the_route_shows_it(sec_app: AppFactory, keys: Keys) -> None:
    a, b = await sec_app(), await sec_app()
    admin, _ = await keys.admin()
    partner, _ = await keys.partner()
    for _ in range(3):
        assert (
            await a.post(
                "/api/v1/support/tickets", json={"title": "t", "description": "d"}, headers=bearer(partner)
            )
        ).status == 201
    a.app[profiler_key].record("known.op", 0.25)
    a.app[profiler_key].record("known.op", 0.75)
    resp = await a.get("/api/v1/admin/monitoring/profiling", headers=bearer(admin))
    assert resp.status == 200
    body = await resp.json()
    assert body["slow_seconds"] == 1.0 and body["window"] == 1000
    ops = {o["operation"]: o for o in body["operations"]}
    assert ops["db.ticket_insert"]["count"] == 3
    assert ops["known.op"] | {"operation": "known.op"} == {
        "operation": "known.op",
        "count": 2,
        "errors": 0,
        "slow": 0,
        "window": 2,
        "mean_seconds": 0.5,
        "median_seconds": 0.5,
        "min_seconds": 0.25,
        "max_seconds": 0.75,
        "p95_seconds": pytest.approx(0.725),
        "p99_seconds": pytest.approx(0.745),
    }
    assert "db.authenticate" in ops and "db.rate_limit" in ops
    other = {
        o["operation"]
        for o in (await (await b.get("/api/v1/admin/monitoring/profiling", headers=bearer(admin))).json())[
            "operations"
        ]
    }
    assert "db.ticket_insert" not in other and "known.op" not in other


async def test_the_queue_release_the_dispatcher_runs_is_profiled(prof: Any, database_url: str) -> None:
    p, _ = prof
    conn = await asyncpg.connect(database_url)
    try:
        assert await queue_repo.release(conn, [], [], datetime.now(UTC)) == 0
    finally:
        await conn.close()
    assert [s.count for s in p.stats() if s.operation == "db.queue_release"] == [1]
