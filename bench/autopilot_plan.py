"""Benchmark: one autopilot planning cycle over 1,000 pools vs sorting them by available energy (≤ 50 ms)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from daemon.autopilot.planner import Inputs, Plan, plan
from daemon.autopilot.sources import SOURCES, Budget, Reserve
from daemon.energy.delegations import Delegation
from daemon.energy.snapshot import PoolView

TARGET_MS = 50.0
RESERVES = [f"TReserve{i:026d}" for i in range(8)]


def _pools(n: int, seed: int) -> list[PoolView]:
    """Pools of every kind: healthy, draining, short now, unknown runway, holding reserve energy."""
    rng, now = random.Random(seed), datetime.now(UTC)
    out = []
    for i in range(n):
        limit = rng.randrange(200_000, 20_000_000)
        used = rng.randrange(0, limit)
        runway = rng.choice([float("inf"), None, rng.uniform(0, 86_400), rng.uniform(0, 600)])
        held = ()
        if i % 5 == 0:
            expires = now + timedelta(seconds=rng.choice([-60, 3600])) if i % 10 else None
            held = (Delegation("in", RESERVES[i % len(RESERVES)], 50_000 * 10**6, 500_000, expires),)
        out.append(
            PoolView(
                id=i + 1,
                name=f"pool-{i:04d}",
                wallet_address=f"TPool{i:029d}",
                enabled=True,
                target_trx=Decimal(0),
                up=True,
                status="active",
                energy_limit=limit,
                energy_used=used,
                daily_consumption=rng.randrange(0, 5_000_000),
                runway_seconds=runway,
                last_scraped_at=now,
                chain_time=now,
                acquired_energy=500_000 if held else 0,
                delegations=held,
            )
        )
    return out


def _baseline(pools: list[PoolView]) -> object:
    """The least any planner does: one pass over the pools, sorted by available energy."""
    return sorted((p.energy_available, p.id) for p in pools if p.enabled and p.up)


def _cycle(pools: list[PoolView]) -> Plan:
    reserves = [Reserve(a, 10**15, 10**13) for a in RESERVES]
    budget = Budget(50_000_000, 10**12, 100 * 10**6, 180_000_000_000, 18_000_000_000)
    inp = Inputs(
        {1: 400_000}, 130_285, 6 * 3600.0, frozenset(range(1, 50)), frozenset(RESERVES), datetime.now(UTC)
    )
    return plan(pools, reserves, budget, [SOURCES[n] for n in ("rebalance", "stake", "queue")], inp)


def _best_ms(repeat: int, fn: Callable[[list[PoolView]], object], pools: list[PoolView]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(pools)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    pools = _pools(args.n, args.seed)
    result = _cycle(pools)
    proposals = len(result.proposals)
    short = len(result.short)
    base = _best_ms(args.repeat, _baseline, pools)
    cycle = _best_ms(args.repeat, _cycle, pools)
    out = sys.stdout
    out.write(f"pools: {args.n:,}  short: {short}  proposals: {proposals}  (best of {args.repeat})\n")
    out.write(f"baseline sort by available energy: {base:.2f} ms\n")
    out.write(f"autopilot planning cycle:          {cycle:.2f} ms  ratio {cycle / base:.2f}x baseline\n")
    verdict = "PASS" if cycle <= TARGET_MS else "FAIL"
    out.write(f"target <= {TARGET_MS:.0f} ms per cycle: {verdict}\n")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
