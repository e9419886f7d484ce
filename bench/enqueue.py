"""POST /api/v1/energy/queue at 32 concurrent clients vs raw asyncpg single-row inserts, same run.

Issue 5 figure: >= 800 requests/s and p99 <= 50 ms; the ratio to the raw insert rate is printed, no
longer judged (issue 18 replaced it with bench/http_wrk.py's like-for-like ratio under wrk). Embedded
PostgreSQL, the app without a TRON node but with published pool figures that have no room (so every
entry waits and its position and wait estimate are computed), served in a thread; the load comes from
a spawned process, each request a new withdrawal_id. Baseline: the same rows inserted straight
through an asyncpg pool of the app's size from 32 tasks (stored as cancelled, so the baseline does not
lengthen the queue the HTTP side then counts; the row and the other indexes are the same). Alternating
rounds.

    .venv/bin/python bench/enqueue.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime

import aiohttp
import asyncpg
from _withdrawals import POOL_MAX, build_app, publish_pools
from loadgen import LoadResult, combine, in_process
from served import Served
from ticket_create import bench_database, partner_key, verdict

from daemon.db.connect import keep_session

MIN_RPS, MAX_P99_MS = 800.0, 50.0
TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"


async def _load(url: str, key: str, duration: float, connections: int, tag: str) -> LoadResult:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures = 0
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections), headers=headers) as s:
        start = time.perf_counter()
        deadline = start + duration

        async def worker(n: int) -> None:
            nonlocal failures
            i = 0
            while (t0 := time.perf_counter()) < deadline:
                i += 1
                body = {
                    "withdrawal_id": f"{tag}-{n}-{i}",
                    "user_id": f"u{n}",
                    "to_address": TO,
                    "amount": "10",
                }
                try:
                    async with s.post(url, data=json.dumps(body)) as resp:
                        await resp.read()
                        status = resp.status
                except (aiohttp.ClientError, TimeoutError, OSError):
                    failures += 1
                    continue
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - start
    return LoadResult.of(latencies, errors=failures, elapsed=elapsed, statuses=statuses)


def http_load(url: str, key: str, duration: float, connections: int, tag: str) -> LoadResult:
    """Enqueue from a spawned process."""
    return in_process(_load, url, key, duration, connections, tag, timeout=duration + 60)


async def raw_inserts(url: str, partner_id: int, duration: float, connections: int, tag: str) -> LoadResult:
    """The baseline: one INSERT per entry from `connections` tasks through a pool of the app's size."""
    # The same pool setup as the app (no reset query on release), so the baseline is not handicapped.
    pool = await asyncpg.create_pool(url, min_size=POOL_MAX, max_size=POOL_MAX, reset=keep_session)
    latencies: list[float] = []
    deadline = time.perf_counter() + duration

    async def worker(n: int) -> None:
        i = 0
        while (t0 := time.perf_counter()) < deadline:
            i += 1
            async with pool.acquire() as conn:
                await conn.execute(
                    "INSERT INTO energy_withdrawal_queue (partner_id, user_id, withdrawal_id, to_address, "
                    "amount, "
                    "currency, required_energy, created_at, status) VALUES ($1, $2, $3, $4, 10, 'USDT', "
                    "130285, $5, "
                    "'cancelled')",
                    partner_id,
                    f"u{n}",
                    f"{tag}-{n}-{i}",
                    TO,
                    datetime.now(UTC),
                )
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return LoadResult.of(latencies, errors=0, elapsed=elapsed, statuses={201: len(latencies)})


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per side (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"enqueue: {args.connections} connections, {args.duration:g} s per side in {args.rounds} rounds")
    with bench_database("tw-bench-enqueue-") as (url, tmp):
        key, partner_id = asyncio.run(partner_key(url))
        app = build_app(url, tmp, dispatch_interval=3600, watcher_interval=3600)
        with Served(app) as served:
            served.call(publish_pools(url, app, [0, 0, 0], 10_000_000))  # no room: everything waits
            endpoint = f"http://127.0.0.1:{served.port}/api/v1/energy/queue"
            http_load(endpoint, key, 2, args.connections, "warm")
            raws, https = [], []
            per = args.duration / args.rounds
            for i in range(args.rounds):
                raws.append(asyncio.run(raw_inserts(url, partner_id, per, args.connections, f"raw{i}")))
                https.append(http_load(endpoint, key, per, args.connections, f"http{i}"))
    for i, (r, h) in enumerate(zip(raws, https, strict=True), 1):
        print(f"  round {i}: raw asyncpg INSERT     {r}")
        print(f"  round {i}: POST /energy/queue     {h}")
    raw, http = combine(raws), combine(https)
    ratio = http.rps / raw.rps if raw.rps else 0.0
    ok_rps, ok_p99 = http.rps >= MIN_RPS, http.p99_ms <= MAX_P99_MS
    print(f"  requests/s              {http.rps:.0f}  (target >= {MIN_RPS:.0f})   {verdict(ok_rps)}")
    print(
        f"  p99                     {http.p99_ms:.2f} ms  (target <= {MAX_P99_MS:g} ms)   {verdict(ok_p99)}"
    )
    print(f"  ratio HTTP ÷ raw insert {ratio:.3f}  (not judged: see bench/http_wrk.py)")
    print(f"enqueue: {verdict(ok_rps and ok_p99 and http.errors == 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
