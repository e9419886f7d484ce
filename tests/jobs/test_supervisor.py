"""The job supervisor: one leader per job across replicas, backoff, timeouts, logs and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.metrics import MetricWrapperBase

from daemon.jobs import Job, JobMetrics, Supervisor

LEASE = 0.05


def sample(metric: MetricWrapperBase, suffix: str = "", **labels: str) -> float | None:
    """A sample's value, read from the metric object itself (as a collector would)."""
    for family in metric.collect():
        for s in family.samples:
            if s.name == family.name + suffix and s.labels == labels:
                return s.value
    return None


def replica(database_url: str) -> tuple[Supervisor, JobMetrics, Gauge]:
    registry = CollectorRegistry()
    leader = Gauge("tronwatch_task_leader", "lease held", ["task"], registry=registry)
    metrics = JobMetrics(registry)
    sup = Supervisor(database_url=database_url, lease_interval=LEASE, leader_gauge=leader, metrics=metrics)
    return sup, metrics, leader


async def until(check: Callable[[], bool], what: str, rounds: int = 500) -> None:
    for _ in range(rounds):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_two_replicas_run_a_leader_job_once_and_the_other_takes_over(database_url: str) -> None:
    passes = {"a": 0, "b": 0}

    def counting(name: str) -> Job:
        async def once() -> None:
            passes[name] += 1

        return Job("report", once, interval=0.01, leader=True)

    (a, a_metrics, a_leader), (b, b_metrics, b_leader) = replica(database_url), replica(database_url)
    a.add(counting("a"))
    b.add(counting("b"))
    a.start()
    b.start()
    try:
        await until(lambda: passes["a"] + passes["b"] >= 20, "20 passes")
        holder, other = ("a", "b") if passes["a"] else ("b", "a")
        assert passes[other] == 0, passes  # the lease: never both
        stopped, standby = (a, b) if holder == "a" else (b, a)
        standby_leader = b_leader if holder == "a" else a_leader
        assert sample(standby_leader, task="report") == 0
        await stopped.stop()  # the replica goes away: its session ends, the lock with it
        await until(lambda: passes[other] >= 5, "the standby replica's passes")
        assert sample(standby_leader, task="report") == 1
        standby_metrics = b_metrics if holder == "a" else a_metrics
        assert (sample(standby_metrics.runs, "_total", task="report", outcome="ok") or 0) >= 5
        assert sample(standby_metrics.last_success, task="report")
        assert standby.jobs["report"].leader
    finally:
        await a.stop()
        await b.stop()


async def test_a_failing_job_backs_off_logs_once_and_says_when_it_recovered(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sup, metrics, _ = replica(database_url)
    waits: list[float] = []
    calls = 0

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls <= 5:  # the database is away for five passes
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")

    sup.sleep = fake_sleep
    sup.add(Job("flaky", flaky, interval=1.0))
    caplog.set_level(logging.DEBUG, logger="daemon.jobs")
    sup.start()
    try:
        await until(lambda: len(waits) >= 7, "seven waits")
    finally:
        await sup.stop()
    # Doubling from the interval up to four intervals, then the interval again once it works.
    assert waits[:7] == [1.0, 2.0, 4.0, 4.0, 4.0, 1.0, 1.0]
    assert sample(metrics.runs, "_total", task="flaky", outcome="error") == 5
    assert (sample(metrics.runs, "_total", task="flaky", outcome="ok") or 0) >= 2
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "job=flaky" in warnings[0].getMessage(), warnings
    assert "starting up" in warnings[0].getMessage() and warnings[0].exc_info is None
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "job recovered job=flaky after_failures=5"
    ]


async def test_a_pass_over_its_timeout_is_cut_and_counted_as_a_timeout(database_url: str) -> None:
    sup, metrics, _ = replica(database_url)
    sup.sleep = lambda seconds: asyncio.sleep(0)
    started = 0

    async def stuck() -> None:
        nonlocal started
        started += 1
        await asyncio.Event().wait()  # e.g. a node that never answers

    sup.add(Job("stuck", stuck, interval=1.0, timeout=0.01))
    sup.start()
    try:
        await until(lambda: (sample(metrics.runs, "_total", task="stuck", outcome="timeout") or 0) >= 3, "3")
    finally:
        await sup.stop()
    assert started >= 3  # cut, then run again: the job is not stuck for good
    assert sample(metrics.runs, "_total", task="stuck", outcome="ok") == 0
    assert sample(metrics.last_success, task="stuck") is None
    assert (sample(metrics.duration, "_count", task="stuck") or 0) >= 3


async def test_a_service_job_that_ends_or_fails_is_started_again(database_url: str) -> None:
    sup, metrics, _ = replica(database_url)
    sup.sleep = lambda seconds: asyncio.sleep(0)
    lives: list[int] = []

    async def listen() -> None:
        lives.append(len(lives))
        if len(lives) % 2:
            raise ConnectionResetError("connection lost")  # every other life ends in a failure

    sup.add(Job("listen", listen, interval=0.5, service=True))
    sup.start()
    try:
        await until(lambda: len(lives) >= 4, "four lives")
    finally:
        await sup.stop()
    assert (sample(metrics.runs, "_total", task="listen", outcome="error") or 0) >= 2
    assert (sample(metrics.runs, "_total", task="listen", outcome="ok") or 0) >= 1


async def test_stop_is_bounded_even_for_a_job_that_ignores_cancellation(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sup = Supervisor(grace=0.05)
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                if release.is_set():
                    raise
                # Otherwise ignored: a shielded driver call, as far as the supervisor can tell.

    sup.add(Job("stubborn", stubborn, interval=1.0))
    sup.start()
    await asyncio.sleep(0)
    task: Any = next(iter(sup.tasks.values()))
    await sup.stop()
    assert "did not stop" in caplog.text and "job:stubborn" in caplog.text
    for handler in logging.getLogger("daemon.tasks").handlers:  # conftest's guard: this one is on purpose
        getattr(handler, "names", []).clear()
    release.set()  # let the abandoned task go, so the test leaves nothing running
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def test_a_job_name_is_declared_once_and_a_leader_job_needs_a_database() -> None:
    sup = Supervisor()
    with pytest.raises(ValueError, match="lease"):
        sup.add(Job("x", lambda: asyncio.sleep(0), leader=True))
    sup.add(Job("y", lambda: asyncio.sleep(0)))
    with pytest.raises(ValueError, match="twice"):
        sup.add(Job("y", lambda: asyncio.sleep(0)))
