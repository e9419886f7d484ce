"""The per-URL token bucket as the sender uses it, on a fake clock: concurrent waiters keep the rate."""

from __future__ import annotations

import asyncio
import heapq
from datetime import timedelta
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry

from daemon.alerts import repo
from daemon.alerts.channels import Outcome
from daemon.alerts.metrics import AlertMetrics
from daemon.alerts.outbox import MAX_INLINE_WAIT, Sender
from daemon.alerts.ratelimit import Bucket
from daemon.alerts.settings import AlertsSettings
from tests.alerts.conftest import START, FakeClock


class VirtualTime:
    """A monotonic clock and a sleep that only the test's driver moves forward."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, id(fut), fut))
        await fut

    async def run(self, tasks: list[asyncio.Task[None]]) -> None:
        """Let the tasks run; when they are all asleep, jump to the next wake-up."""
        while not all(t.done() for t in tasks):
            await asyncio.sleep(0.01)  # real time for the database round trips
            if self._sleepers:
                at, _, fut = heapq.heappop(self._sleepers)
                self.now = max(self.now, at)
                fut.set_result(None)


class Recorder:
    """A channel that notes the (virtual) time of each send; answers with `answers`, then 200."""

    max_batch = 1
    rate_key = "https://hooks.slack.example/T1"

    def __init__(self, vt: VirtualTime, answers: list[Outcome] | None = None) -> None:
        self.vt, self.answers = vt, list(answers or [])
        self.times: list[float] = []

    async def send(self, rows: list[dict[str, Any]], sessions: Any) -> Outcome:
        await asyncio.sleep(0)  # like a real request, let the other deliveries start meanwhile
        self.times.append(self.vt.now)
        return self.answers.pop(0) if self.answers else Outcome("sent", 200)


def most_in_one_second(times: list[float]) -> int:
    return max(sum(1 for u in times if t <= u <= t + 1.0) for t in times)


async def deliver_all(database_url: str, n: int, answers: list[Outcome] | None = None) -> Any:
    """Claim `n` notifications and deliver them concurrently, as one claim would (rate 1/s, burst 3)."""
    vt, wall = VirtualTime(), FakeClock()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        sender = Sender(pool, AlertsSettings(), AlertMetrics(CollectorRegistry(), list), None, wall)  # type: ignore[arg-type]
        sender.sleep = vt.sleep
        channel = Recorder(vt, answers)
        sender.buckets[channel.rate_key] = Bucket(1.0, 3, clock=vt)
        async with pool.acquire() as conn:
            await repo.enqueue(
                conn,
                [
                    {
                        "notification_id": f"n{i}",
                        "receiver": "slack",
                        "alertname": "A",
                        "fingerprint": f"f{i}",
                        "status": "firing",
                        "payload": {},
                        "created_at": START,
                    }
                    for i in range(n)
                ],
            )
            rows = await repo.claim(conn, START, START + timedelta(seconds=60), n)
        sem = asyncio.Semaphore(n)
        for _ in rows:
            await sem.acquire()
        tasks = [asyncio.create_task(sender._deliver("slack", channel, [r], sem)) for r in rows]
        await vt.run(tasks)
        async with pool.acquire() as conn:
            deferred = await conn.fetch(
                "SELECT due_at FROM alert_outbox WHERE outcome = 'pending' ORDER BY due_at"
            )
        return channel.times, [(r["due_at"] - START).total_seconds() for r in deferred]
    finally:
        await pool.close()


async def test_waiters_queue_for_their_own_token(database_url: str) -> None:
    times, deferred = await deliver_all(database_url, 8)
    # Three at once (the burst), then one a second; who would wait past MAX_INLINE_WAIT goes back
    # to the table, due when its turn comes.
    assert times == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert most_in_one_second(times) <= 4  # burst + rate × 1 s
    assert deferred == [3.0, 3.0, 3.0] and MAX_INLINE_WAIT < 3.0


async def test_a_retry_after_stops_waiters_already_asleep(database_url: str) -> None:
    answers = [
        Outcome("sent", 200),
        Outcome("sent", 200),
        Outcome("retry", 429, "slow down", retry_after=1.5),
    ]
    times, deferred = await deliver_all(database_url, 5, answers)
    # The 429 at 0 s holds the URL until 1.5 s: the waiters asleep for 1 s and 2 s queue again
    # behind it, one at 1.5 s and the next a second later.
    assert times == [0.0, 0.0, 0.0, 1.5, 2.5] and deferred == [1.5]  # the 429'd row, retried after the hold
