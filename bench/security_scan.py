"""Request rate with the security scan on vs off, same run, same database, same generator.

Issue 8 figure: with the scan on, >= 90% of the request rate with it off. Two apps (create_app, full
middleware stack) serve in threads of this process on one migrated database; bench/loadgen.py loads
them in alternating rounds. The request is a partner's `GET /api/v1/energy/status?user_id=...`
with a browser User-Agent and Referer (path, the query and two headers scanned). Rate limits
are off in both apps (bench/ratelimit.py measures those), so the only difference is `security.scan_enabled`.
Also printed: the scan's own cost per request (the same values, scanned in a loop).

    .venv/bin/python bench/security_scan.py [--duration 10] [--connections 32] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from loadgen import LoadResult, combine, run_load
from prometheus_client import CollectorRegistry
from served import NO_RATE_LIMITS, Served
from ticket_create import bench_database, partner_key, verdict

from daemon.app import create_app
from daemon.config import load_settings
from daemon.security.scan import json_strings, scan

MIN_RATIO = 0.90
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
HEADERS = {"User-Agent": UA, "Referer": "https://gateway.example.com/withdraw?id=7", "Accept-Language": "ko"}
PATH = "/api/v1/energy/status?user_id=user-20261123-0042"


def served(url: str, data_dir: Path, scan_enabled: bool) -> Served:
    """The full app with the scan on or off."""
    settings = load_settings(
        None,
        environ={},
        overrides={
            "database": {"url": url, "run_migrations": False, "pool_max": 10},
            "data_dir": str(data_dir / ("on" if scan_enabled else "off")),
            "security": {**NO_RATE_LIMITS, "scan_enabled": scan_enabled},
        },
    )
    return Served(create_app(settings, database_url=url, registry=CollectorRegistry()))


def scan_cost_us(n: int = 20_000) -> float:
    """Microseconds to scan this request's values once (path, query, headers), in a loop."""
    values = [
        ("path", PATH),
        ("path", "/api/v1/energy/status"),
        ("query:user_id", "user-20261123-0042"),
        ("query:user_id", "user_id"),
        ("header:User-Agent", UA),
        ("header:Referer", HEADERS["Referer"]),
    ]
    t0 = time.perf_counter()
    for _ in range(n):
        scan(values, max_length=2048, max_values=256)
    return (time.perf_counter() - t0) / n * 1e6


BODY = json.dumps(
    {
        "title": "Withdrawal stuck since 09:10 KST",
        "description": "User u-1042 asked for 250 USDT to TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy at 09:10; "
        "the status page says energy is low and the queue position has not moved. " * 6,
        "priority": "high",
        "attachments": [{"name": "screenshot.png", "size": 20480, "content_type": "image/png"}],
    }
).encode()


def body_scan_cost_us(n: int = 5_000) -> float:
    """Microseconds to parse, walk and scan a ~1 KiB ticket body (what a JSON POST adds)."""
    t0 = time.perf_counter()
    for _ in range(n):
        scan(json_strings(json.loads(BODY)), max_length=2048, max_values=256)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> int:
    """Measure both apps and print the figures; exit 1 with --strict when the target is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per app (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds sharing the duration")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    print(
        f"security_scan: {os.cpu_count()} CPUs, Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}; {args.connections} connections, {args.duration:g} s per app in "
        f"{args.rounds} alternating rounds; rate limits off in both apps"
    )
    results: dict[bool, list[LoadResult]] = {True: [], False: []}
    cpu: dict[bool, float] = {True: 0.0, False: 0.0}
    with bench_database("tw-bench-scan-") as (url, tmp):
        key, _ = asyncio.run(partner_key(url))
        headers: dict[str, Any] = {**HEADERS, "Authorization": f"Bearer {key}"}
        with served(url, tmp, True) as on, served(url, tmp, False) as off:
            apps = {True: on, False: off}
            for flag, app in apps.items():  # warm-up, and a check that the request succeeds
                warm = run_load(f"http://127.0.0.1:{app.port}{PATH}", headers=headers, duration=1.0)
                if set(warm.statuses) != {200}:
                    print(f"warm-up statuses (scan {flag}): {warm.statuses}", file=sys.stderr)
                    return 1
            for i in range(args.rounds):
                for flag in (True, False) if i % 2 == 0 else (False, True):
                    cpu0 = time.process_time()  # the apps run in this process: its CPU is theirs
                    results[flag].append(
                        run_load(
                            f"http://127.0.0.1:{apps[flag].port}{PATH}",
                            headers=headers,
                            duration=args.duration / args.rounds,
                            connections=args.connections,
                        )
                    )
                    cpu[flag] += time.process_time() - cpu0
    for i, (a, b) in enumerate(zip(results[True], results[False], strict=True), 1):
        print(f"  round {i}: scan on   {a}")
        print(f"  round {i}: scan off  {b}")
    on_r, off_r = combine(results[True]), combine(results[False])
    ratio = on_r.rps / off_r.rps if off_r.rps else 0.0
    per_req = {f: cpu[f] / max(1, sum(sum(r.statuses.values()) for r in results[f])) * 1e6 for f in cpu}
    ok = ratio >= MIN_RATIO and on_r.errors == 0 and off_r.errors == 0
    print(f"  scan off (baseline)   {off_r}")
    print(f"  scan on               {on_r}")
    print(f"  server CPU/request    on {per_req[True]:.0f} µs, off {per_req[False]:.0f} µs")
    print(f"  scan alone            {scan_cost_us():.1f} µs per request (6 values)")
    print(f"  JSON body             {body_scan_cost_us():.1f} µs to parse, walk, scan {len(BODY)} bytes")
    print(f"  ratio rps on ÷ off    {ratio:.3f}  (target >= {MIN_RATIO:.2f})   {verdict(ratio >= MIN_RATIO)}")
    print(f"security_scan: {verdict(ok)}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
