"""Leader lease: two instances on one database, exactly one runs each job; failover within an interval."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Gauge

from daemon.app import create_app
from daemon.jobs.lease import LeaderLease, lock_id
from tests.conftest import make_settings

INTERVAL = 0.2


def _leader(registry: CollectorRegistry) -> float | None:
    return registry.get_sample_value("tronwatch_leader", {"job": "housekeeping"})


async def _wait_for(predicate: Any, timeout: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        if loop.time() - start > timeout:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)
    return loop.time() - start


async def test_two_apps_one_leader_and_failover(
    aiohttp_client: Any, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, jobs={"lease_interval": INTERVAL})
    regs = [CollectorRegistry(), CollectorRegistry()]
    clients = [
        await aiohttp_client(create_app(settings, database_url=database_url, registry=r)) for r in regs
    ]
    await _wait_for(lambda: sum(_leader(r) or 0 for r in regs) == 1, 5)
    await asyncio.sleep(3 * INTERVAL)  # still exactly one after several lease rounds
    assert sorted(_leader(r) for r in regs) == [0.0, 1.0]
    holder = 0 if _leader(regs[0]) == 1 else 1
    other = 1 - holder
    await clients[holder].close()
    took = await _wait_for(lambda: _leader(regs[other]) == 1, 5)
    assert took <= INTERVAL * 2 + 0.5  # one lease interval plus scheduling slack


async def test_a_dead_session_hands_over_and_the_job_is_restarted(database_url: str) -> None:
    runs: list[str] = []

    def job(name: str) -> Any:
        async def run() -> None:
            runs.append(name)
            await asyncio.Event().wait()

        return run

    reg = CollectorRegistry()
    gauge = Gauge("tronwatch_leader", "x", ["job"], registry=reg)
    a = LeaderLease(database_url, "j", job("a"), interval=INTERVAL, gauge=gauge)
    b = LeaderLease(database_url, "j2", job("b"), interval=INTERVAL, gauge=gauge)
    c = LeaderLease(database_url, "j", job("c"), interval=INTERVAL, gauge=gauge)
    tasks = [asyncio.create_task(x.run()) for x in (a, b, c)]
    await _wait_for(lambda: len(runs) == 2, 5)
    assert "b" in runs and len({"a", "c"} & set(runs)) == 1  # different job names don't contend
    # Kill the holder's database session from the server side, as a crashed replica would.
    conn = await asyncpg.connect(database_url)
    await conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objid = ($1::bigint & 4294967295)::oid",
        lock_id("j"),
    )
    await conn.close()
    await _wait_for(lambda: len(runs) >= 3, 5)
    assert runs[2] in {"a", "c"}  # job "j" runs again, under whichever contender won the lock
    for t in tasks:
        t.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await t


async def test_a_cancel_that_races_the_heartbeat_still_stops_the_lease(
    database_url: str, monkeypatch: Any
) -> None:
    """Shutdown arriving as the heartbeat answers must end the lease (3.11's wait_for swallowed it)."""
    import daemon.jobs.lease as lease_module

    lease_task: asyncio.Task[None] | None = None

    class RacingConnection:
        """A real connection whose heartbeat answer and the shutdown arrive in the same loop step."""

        def __init__(self, conn: Any) -> None:
            self.conn = conn

        async def fetchval(self, query: str, *args: Any) -> Any:
            if query != "SELECT 1":
                return await self.conn.fetchval(query, *args)
            answer = asyncio.get_running_loop().create_future()

            def answer_and_cancel() -> None:
                answer.set_result(1)
                assert lease_task is not None
                lease_task.cancel()

            asyncio.get_running_loop().call_soon(answer_and_cancel)
            return await answer

        def __getattr__(self, name: str) -> Any:
            return getattr(self.conn, name)

    real_connect = lease_module.connect

    async def racing_connect(*args: Any, **kwargs: Any) -> RacingConnection:
        return RacingConnection(await real_connect(*args, **kwargs))

    monkeypatch.setattr(lease_module, "connect", racing_connect)
    gauge = Gauge("tronwatch_leader", "x", ["job"], registry=CollectorRegistry())
    lease = LeaderLease(database_url, "race", lambda: asyncio.Event().wait(), interval=0.01, gauge=gauge)
    lease_task = asyncio.create_task(lease.run())
    done, _ = await asyncio.wait({lease_task}, timeout=2)
    assert lease_task in done and lease_task.cancelled()
