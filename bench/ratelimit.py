"""Latency the `api_call` rate-limit check adds: the same requests with the limit on vs off, same run.

Issue 8 figure: p99 added latency <= 2 ms. Two apps (create_app, full middleware stack) serve in threads
of this process on one migrated database. `GET /api/v1/me` with one partner key (every request hits the
same counter row) is sent at a fixed rate (default 500 req/s over 8 connections, from a spawned
process), to one app then the other, in alternating rounds: the figure is the latency a request gains,
not throughput at saturation. The limit is on in one app (10^9 per 60 s: nothing is refused, every
request pays the check, one upsert statement) and off in the other. Added latency = p50/p99 (on) minus
p50/p99 (off). Also printed: the check's own p50/p99 inside the app (profiler, `db.rate_limit`), and
for information the saturated rates with bench/loadgen.py (a 2-CPU machine shared with PostgreSQL:
the statement's CPU cost shows there).

    .venv/bin/python bench/ratelimit.py [--duration 10] [--rate 500] [--connections 8] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import aiohttp
from loadgen import LoadResult, combine, in_process, run_load
from prometheus_client import CollectorRegistry
from served import Served
from ticket_create import bench_database, partner_key, verdict

from daemon.app import create_app
from daemon.config import load_settings
from daemon.observability.profiling import profiler_key

MAX_ADDED_P99_MS = 2.0
PATH = "/api/v1/me"


def served(url: str, data_dir: Path, limited: bool) -> Served:
    """The full app with the api_call limit on (never reached) or off; the scan off in both."""
    limits = {"api_call": {"enabled": limited, "limit": 10**9}, "withdrawal": {"enabled": False}}
    settings = load_settings(
        None,
        environ={},
        overrides={
            "database": {"url": url, "run_migrations": False, "pool_max": 10},
            "data_dir": str(data_dir / ("on" if limited else "off")),
            "security": {"rate_limits": limits, "scan_enabled": False},
        },
    )
    return Served(create_app(settings, database_url=url, registry=CollectorRegistry()))


async def _paced(url: str, headers: dict[str, str], rate: float, duration: float, conns: int) -> LoadResult:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    gap = conns / rate  # each connection sends every `gap` seconds, staggered
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conns), headers=headers) as session:
        start = time.perf_counter() + 0.05

        async def worker(n: int) -> None:
            slot = start + n * gap / conns
            while slot < start + duration:
                await asyncio.sleep(max(0.0, slot - time.perf_counter()))
                t0 = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - t0)
                slot += gap

        await asyncio.gather(*(worker(n) for n in range(conns)))
        elapsed = time.perf_counter() - start
    return LoadResult.of(
        latencies,
        errors=sum(n for code, n in statuses.items() if code >= 400),
        elapsed=elapsed,
        statuses=statuses,
    )


def paced_load(url: str, headers: dict[str, str], rate: float, duration: float, conns: int) -> LoadResult:
    """`rate` requests/s for `duration` s over `conns` connections, from a spawned process."""
    return in_process(_paced, url, headers, rate, duration, conns, timeout=duration + 60)


def main() -> int:
    """Measure both apps and print the figures; exit 1 with --strict when the target is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per app (default 10)")
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second (default 500)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds sharing the duration")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    print(
        f"ratelimit: {os.cpu_count()} CPUs, Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}; GET {PATH} at {args.rate:g} req/s over {args.connections} connections, "
        f"{args.duration:g} s per app in {args.rounds} alternating rounds; api_call limit 10^9/60 s (on) "
        "vs disabled (off)"
    )
    results: dict[bool, list[LoadResult]] = {True: [], False: []}
    with bench_database("tw-bench-ratelimit-") as (url, tmp):
        key, _ = asyncio.run(partner_key(url))
        headers = {"Authorization": f"Bearer {key}"}
        with served(url, tmp, True) as on, served(url, tmp, False) as off:
            apps = {True: on, False: off}
            for flag, app in apps.items():
                warm = run_load(f"http://127.0.0.1:{app.port}{PATH}", headers=headers, duration=1.0)
                if set(warm.statuses) != {200}:
                    print(f"warm-up statuses (limit {flag}): {warm.statuses}", file=sys.stderr)
                    return 1
            for i in range(args.rounds):
                for flag in (True, False) if i % 2 == 0 else (False, True):
                    results[flag].append(
                        paced_load(
                            f"http://127.0.0.1:{apps[flag].port}{PATH}",
                            headers,
                            args.rate,
                            args.duration / args.rounds,
                            args.connections,
                        )
                    )
            check = next(s for s in on.app[profiler_key].stats() if s.operation == "db.rate_limit")
            saturated = {
                flag: run_load(
                    f"http://127.0.0.1:{app.port}{PATH}", headers=headers, duration=3.0, connections=32
                )
                for flag, app in apps.items()
            }
    for i, (a, b) in enumerate(zip(results[True], results[False], strict=True), 1):
        print(f"  round {i}: limit on   {a}")
        print(f"  round {i}: limit off  {b}")
    on_r, off_r = combine(results[True], statistics.median), combine(results[False], statistics.median)
    added_p50, added_p99 = on_r.p50_ms - off_r.p50_ms, on_r.p99_ms - off_r.p99_ms
    ok = added_p99 <= MAX_ADDED_P99_MS and on_r.errors == 0 and off_r.errors == 0
    print(f"  limit off (baseline)  {off_r}")
    print(f"  limit on              {on_r}")
    print(
        f"  check in the app      p50 {check.median * 1000:.2f} ms, p99 {check.p99 * 1000:.2f} ms over the "
        f"last {check.window} of {check.count} checks (profiler, db.rate_limit)"
    )
    print(f"  saturated, off        {saturated[False]}  (32 connections, info)")
    print(
        f"  saturated, on         {saturated[True]}  (ratio {saturated[True].rps / saturated[False].rps:.3f})"
    )
    print(f"  added p50             {added_p50:.2f} ms")
    print(f"  added p99             {added_p99:.2f} ms  (target <= {MAX_ADDED_P99_MS:g} ms)   {verdict(ok)}")
    print(f"ratelimit: {verdict(ok)}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
