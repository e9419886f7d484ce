"""Outbox -> local webhook sink throughput, and alert-enqueued -> sink-received latency.

Issue 6 figures: >= 500 notifications/s through the outbox; p99 <= 1 s from an alert firing (its
outbox row committed with the instance state) to the sink receiving it. Baseline in the same run:
the same signed webhook bodies POSTed straight to the sink from 8 tasks (no table, no claims).

    .venv/bin/python bench/alerts_outbox.py [--n 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).parent))
from ticket_create import bench_database

from daemon.alerts import repo
from daemon.alerts.channels import Sessions
from daemon.alerts.channels.webhook import WebhookChannel
from daemon.alerts.metrics import AlertMetrics
from daemon.alerts.outbox import Sender
from daemon.alerts.settings import AlertsSettings
from daemon.jobs import Supervisor

SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def rows(n: int, start: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "notification_id": f"fp{i:08x}:firing:1",
            "receiver": "hook",
            "alertname": "Bench",
            "fingerprint": f"fp{i:08x}",
            "status": "firing",
            "created_at": now,
            "payload": {
                "status": "firing",
                "labels": {"alertname": "Bench", "pool": f"p{i}"},
                "annotations": {"summary": f"pool p{i} at 99%"},
                "startsAt": now.isoformat(),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://x",
                "fingerprint": f"fp{i}",
                "value": 0.99,
            },
        }
        for i in range(start, start + n)
    ]


async def run(url: str, n: int) -> None:
    received: dict[str, float] = {}

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        # webhook-id is `<install id>:<notification id>` (ids stay unique across installations)
        received[request.headers["webhook-id"].split(":", 1)[1]] = time.perf_counter()
        return web.Response(text="ok")

    sink = web.Application()
    sink.router.add_post("/hook", handle)
    runner = web.AppRunner(sink, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    hook = f"http://127.0.0.1:{port}/hook"
    settings = AlertsSettings.model_validate(
        {
            "default_receivers": ["hook"],
            "receivers": [
                {
                    "type": "webhook",
                    "name": "hook",
                    "url": hook,
                    "secret": SECRET,
                    "allow_private": True,
                    "rate_per_second": 100000,
                    "burst": 100000,
                }
            ],
            "sender_batch": 200,
            "sender_concurrency": 16,
            "sender_idle": 0.05,
        }
    )
    pool = await asyncpg.create_pool(url, min_size=4, max_size=10)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    sessions = Sessions(http, http)
    metrics = AlertMetrics(CollectorRegistry(), lambda: ())

    # Baseline: the same signed requests, straight from 16 tasks.
    channel = WebhookChannel(settings.receivers[0], "http://x")  # type: ignore[arg-type]
    base_rows = [{**r, "id": i} for i, r in enumerate(rows(n, 10_000_000))]
    queue = list(base_rows)
    t0 = time.perf_counter()

    async def direct() -> None:
        while queue:
            await channel.send([queue.pop()], sessions)

    await asyncio.gather(*(direct() for _ in range(16)))
    base_rate = n / (time.perf_counter() - t0)

    # Throughput: n rows already in the outbox, drained by one sender.
    async with pool.acquire() as conn:
        await repo.enqueue(conn, rows(n, 0))
    received.clear()
    sender = Sender(pool, settings, metrics, sessions, lambda: datetime.now(UTC))
    t0 = time.perf_counter()
    jobs = Supervisor()  # as in the daemon: the sender is a job (no lease: every replica sends)
    jobs.add(sender.job())
    jobs.start()
    while len(received) < n:
        await asyncio.sleep(0.01)
    rate = n / (time.perf_counter() - t0)

    # Latency: alerts fire at ~100/s; each is committed then the sender is woken, as the evaluator does.
    received.clear()
    enqueued: dict[str, float] = {}
    for k in range(500):
        (row,) = rows(1, 1_000_000 + k)
        async with pool.acquire() as conn:
            await repo.enqueue(conn, [row])
        enqueued[row["notification_id"]] = time.perf_counter()
        sender.wake.set()
        await asyncio.sleep(0.01)
    while len(received) < len(enqueued):
        await asyncio.sleep(0.01)
    lat = sorted((received[i] - t) * 1000 for i, t in enqueued.items())
    await jobs.stop()
    await sender.close()
    await http.close()
    await pool.close()
    await runner.cleanup()
    p50, p99 = statistics.median(lat), lat[int(0.99 * len(lat)) - 1]
    print(f"direct signed POSTs (baseline)  {base_rate:7.0f} notifications/s")
    print(f"outbox -> sink                  {rate:7.0f} notifications/s   ratio {rate / base_rate:4.2f}x")
    print(f"firing -> sink latency          p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   (500 alerts at ~100/s)")
    ok = rate >= 500 and p99 <= 1000
    print(f"targets >= 500/s and p99 <= 1000 ms: {'PASS' if ok else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    n = parser.parse_args().n
    with bench_database("tw-bench-alerts-") as (url, _):
        asyncio.run(run(url, n))


if __name__ == "__main__":
    main()
