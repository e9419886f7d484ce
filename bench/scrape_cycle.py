"""One scrape cycle of 1,000 pools against a devnode process with 50 ms injected latency, concurrency 32.

Target: <= 1.25x the ideal (pools x calls per pool x 50 ms / 32). The baseline measured in the same run
is the per-request latency of the same client against the same node (sequential calls), which gives a
second, measured ideal; a third is the rate wrk (a C client) gets from the same node at the same
concurrency, which shows how much of the gap is the node's (the devnode is Python on one thread)
rather than the scraper's. The devnode spends half the injected latency before handling a call and
half after, as a network would (sleeping all of it first made the 32 answers of a burst wake together
and queue behind each other; docs/performance.md has the figures).

    .venv/bin/python bench/scrape_cycle.py [--pools 1000] [--latency-ms 50] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _devnode_proc import control, devnode_with_pools
from _wrk import run_wrk, wrk_binary
from prometheus_client import CollectorRegistry

from daemon.energy.scraper import PoolRow, Scraper
from daemon.energy.settings import EnergySettings
from daemon.energy.snapshot import SnapshotHolder
from daemon.tron.client import TronClient
from daemon.tron.options import TronClientOptions

CALLS_PER_POOL = 2  # getaccount + getaccountresource


async def bench(url: str, accounts: list[dict[str, str]], latency_ms: int, concurrency: int) -> int:
    """Run and print; 0 when within target."""
    # rps=0: the cap would otherwise be the bottleneck being measured; the scraper's own bound is concurrency.
    tron = TronClient(TronClientOptions(network=url, rps=0, timeout=30), registry=CollectorRegistry())
    settings = EnergySettings(concurrency=concurrency, pool_timeout=60, scrape_interval=15)
    rows = [PoolRow(i + 1, a["name"], a["address"], True, Decimal(0)) for i, a in enumerate(accounts)]

    async def pools() -> list[PoolRow]:
        return rows

    scraper = Scraper(settings, tron, SnapshotHolder(45, 130_285, 0), pools)
    control(url, "PUT", "_devnode/faults", {"path": "*", "latency_ms": latency_ms})
    try:
        await scraper.cycle()  # warm-up: connections, chain parameters and quote
        lat = []
        for a in accounts[:32]:
            t0 = time.perf_counter()
            await tron.get_account_resource(a["address"])
            lat.append(time.perf_counter() - t0)
        per_call = statistics.median(lat)
        times = []
        cpu0 = time.process_time()
        for _ in range(3):
            t0 = time.perf_counter()
            snap = await scraper.cycle()
            times.append(time.perf_counter() - t0)
        cpu_per_request = (time.process_time() - cpu0) / (3 * (len(rows) * CALLS_PER_POOL + 1))
        # The node's own rate at this concurrency, from wrk (a C client): what any client could get from it.
        body = json.dumps({"address": accounts[0]["address"], "visible": True})
        node = run_wrk(
            f"{url}wallet/getaccountresource", method="POST", headers={"Content-Type": "application/json"},
            body=body, duration=3, connections=concurrency,
        )  # fmt: skip
    finally:
        await tron.close()
    up = sum(1 for p in snap.pools if p.up)
    n = len(rows)
    ideal = max(n * CALLS_PER_POOL * latency_ms / 1000 / concurrency, 1e-9)
    measured_ideal = n * CALLS_PER_POOL * per_call / concurrency
    cycle = statistics.median(times)
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"pools {n}, up {up}, calls/pool {CALLS_PER_POOL} (+1 head block/cycle), concurrency {concurrency}")
    print(f"baseline: one request, sequential   median {per_call * 1000:7.1f} ms (injected {latency_ms} ms)")
    print(f"scrape cycle (median of 3)                {cycle:7.3f} s   runs {runs}")
    print(
        f"ideal {n} x {CALLS_PER_POOL} x {latency_ms} ms / {concurrency}             {ideal:7.3f} s   "
        f"ratio {cycle / ideal:.3f} (target <= 1.25)"
    )
    print(f"ideal, measured latency   {measured_ideal:7.3f} s   ratio {cycle / measured_ideal:.3f}")
    node_ideal = (n * CALLS_PER_POOL + 1) / node.rps if node.rps else float("inf")
    print(
        f"ideal at the node's rate   {node_ideal:7.3f} s   ratio {cycle / node_ideal:.3f}"
        f"  (wrk, {concurrency} connections: {node.rps:.0f} req/s, p50 {node.p50_ms:.1f} ms; not judged)"
    )
    print(f"client CPU per request (scraper process)  {cpu_per_request * 1e6:7.0f} µs")
    ok = up == n and cycle / ideal <= 1.25
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    """Parse arguments, start the devnode, run."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", type=int, default=1000)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    wrk_binary()
    with devnode_with_pools(args.pools) as (url, accounts):
        return asyncio.run(bench(url, accounts, args.latency_ms, args.concurrency))


if __name__ == "__main__":
    sys.exit(main())
