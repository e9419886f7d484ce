"""Benchmark: the shortage forecast vs when the devnode's pool actually runs short (issue 13: within 10 %),
and one forecast over 1,000 pools vs the runway model over the same pools (the baseline)."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.autopilot.scenario

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from ticket_create import bench_database

from daemon.app import create_app
from daemon.autopilot.forecast import Forecast
from daemon.config import load_settings
from daemon.energy.runtime import energy_runtime
from daemon.energy.snapshot import PoolView, assemble
from daemon.tron.energy import runway_seconds
from tests.autopilot import scenario

TARGET_ERROR = 0.10
HOUR_MS = 3_600_000


async def measure_accuracy(url: str, tmp: Path) -> scenario.Outcome:
    """The devnode scenario in an app on this database (frozen chain clock, jobs driven by hand)."""
    settings = load_settings(
        None,
        environ={},
        overrides={
            "database": {"url": url, "run_migrations": False},
            "data_dir": str(tmp),
            "jobs": {"lease_interval": 0.2},
            "tron": {"network": "devnode", "devnode_speed": 0, "devnode_traffic_per_hour": 0,
                     "health_interval": 0.05, "requests_per_second": 5000},
            "energy": {"scrape_interval": 3600, "chain_params_interval": 3600, "history_interval": 0.001},
            "forecast": {"interval": 3600},
            "withdrawals": {"demo_executor": False},
        },
    )  # fmt: skip
    app = create_app(settings, database_url=url, registry=CollectorRegistry())
    async with TestClient(TestServer(app)):
        for _ in range(500):
            energy = app[energy_runtime]
            if energy is not None and energy.scraper is not None and energy.holder.current.pools:
                break
            await asyncio.sleep(0.02)
        return await scenario.run(app)


def planning(pools: int, seed: int) -> tuple[float, float]:
    """Seconds for one forecast of `pools` pools (a day of hourly readings each) and for their runways."""
    rng = random.Random(seed)
    forecast, views = Forecast(), []
    now_ms = (int(time.time() * 1000) // HOUR_MS) * HOUR_MS
    chain = datetime.fromtimestamp(now_ms / 1000, UTC)
    for pid in range(1, pools + 1):
        limit, used = 10_000_000, 0
        for h in range(25):
            used = min(limit, int(used * 0.96) + rng.randrange(0, 400_000))
            forecast.observe(pid, now_ms - (24 - h) * HOUR_MS, used, 28_800)
        views.append(
            PoolView(pid, f"p{pid}", "T", True, Decimal(1), True, "active", energy_limit=limit,
                     energy_used=used, window_slots=28_800, last_scraped_at=chain, chain_time=chain)
        )  # fmt: skip
    snap = assemble(views, thresholds=(0.9, 0.95, 0.98), stale_after=60, transfer_energy=130_285,
                    reserve_energy=0, energy_fee_sun=100, transaction_fee_sun=1000, quote=None,
                    serial=1)  # fmt: skip
    t0 = time.perf_counter()
    forecast.update(snap, 0, 48 * 3600)
    forecast_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for v in views:
        runway_seconds(v.energy_limit, v.energy_used, v.window_slots, 2_000_000 / 86_400)
    return forecast_s, time.perf_counter() - t0


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pools", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    with bench_database("tw-bench-forecast-") as (url, tmp):
        outcome = asyncio.run(measure_accuracy(url, tmp))
    if outcome.actual_s is None:
        print("the devnode pool never ran short: scenario broken")
        return 1
    print(f"forecast at the limit drop: {outcome.forecast_s / 3600:.2f} h until short")
    print(f"actual on the devnode:      {outcome.actual_s / 3600:.2f} h (checked each chain minute)")
    print(f"error: {outcome.error:.1%} (target <= {TARGET_ERROR:.0%})")
    forecast_s, runway_s = planning(args.pools, args.seed)
    print(f"one forecast of {args.pools} pools (48 h horizon, 5 min steps): {forecast_s * 1000:.1f} ms")
    print(f"baseline, the runway model over the same pools:        {runway_s * 1000:.1f} ms")
    print(f"ratio: {forecast_s / runway_s:.1f}x")
    return 0 if outcome.error <= TARGET_ERROR else 1


if __name__ == "__main__":
    sys.exit(main())
