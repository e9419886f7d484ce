"""The dispatcher releases 10,000 waiting withdrawals once energy is there (target <= 5 s).

Issue 5 figure. Embedded PostgreSQL, the app without a TRON node; 10,000 waiting entries are inserted,
then pools with room for all of them are published (as a scrape would) and dispatcher cycles run until
nothing waits. Baseline, same run and database: one bare `UPDATE ... SET status = 'released'` of
10,000 other waiting rows (what any release must at least cost).

    .venv/bin/python bench/dispatch.py [--entries 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

import asyncpg
from _withdrawals import build_app, publish_pools
from served import Served
from ticket_create import bench_database, partner_key, verdict

from daemon.withdrawals import dispatcher
from daemon.withdrawals.deps import withdrawal_deps

TARGET_S = 5.0
ENERGY = 64_285
TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"


async def fill(url: str, partner_id: int, n: int, prefix: str) -> None:
    """`n` waiting entries, by COPY."""
    conn = await asyncpg.connect(url)
    now = datetime.now(UTC)
    try:
        await conn.copy_records_to_table(
            "energy_withdrawal_queue",
            columns=["partner_id", "user_id", "withdrawal_id", "to_address", "amount", "currency",
                     "required_energy", "created_at"],
            records=[
                (partner_id, f"u{i}", f"{prefix}{i}", TO, 1, "USDT", ENERGY, now)
                for i in range(n)
            ],
        )  # fmt: skip
        await conn.execute("ANALYZE energy_withdrawal_queue")
    finally:
        await conn.close()


async def baseline(url: str) -> float:
    """Seconds for one bare UPDATE of the baseline rows."""
    conn = await asyncpg.connect(url)
    try:
        t0 = time.perf_counter()
        await conn.execute(
            "UPDATE energy_withdrawal_queue SET status = 'released', released_at = now() "
            "WHERE status = 'waiting' AND withdrawal_id LIKE 'base%'"
        )
        return time.perf_counter() - t0
    finally:
        await conn.close()


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    n = args.entries
    with bench_database("tw-bench-dispatch-") as (url, tmp):
        _, partner_id = asyncio.run(partner_key(url))
        asyncio.run(fill(url, partner_id, n, "base"))
        base_s = asyncio.run(baseline(url))
        asyncio.run(fill(url, partner_id, n, "w"))
        app = build_app(url, tmp, dispatch_interval=3600, watcher_interval=3600, dispatch_batch=n)
        with Served(app) as served:
            served.call(publish_pools(url, app, [n * ENERGY // 3 + ENERGY] * 3, 10 * n * ENERGY))
            t0 = time.perf_counter()
            released, cycles = 0, 0
            while released < n and cycles < 100:
                released += served.call(dispatcher.cycle(app[withdrawal_deps]))
                cycles += 1
            took = time.perf_counter() - t0
    print(f"dispatch: {n} waiting entries, 3 pools with room for all")
    print(f"  bare UPDATE of {n} rows (baseline)   {base_s:.3f} s")
    print(f"  dispatcher released {released} in {cycles} cycle(s)   {took:.3f} s  (target <= {TARGET_S:g} s)")
    print(f"  ratio dispatcher ÷ bare UPDATE       {took / base_s:.2f}")
    ok = released == n and took <= TARGET_S
    print(f"dispatch: {verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
