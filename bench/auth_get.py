"""Authenticated GET /api/v1/me on a real daemon vs a bare aiohttp hello-world, same run, same generator.

Issue 2 figure: requests/s >= 40% of the hello-world, p99 <= 20 ms at 32 connections. Starts
`tronwatch run` (demo mode, fresh data dir, TRONWATCH_TRON__NETWORK=none so no simulated node competes
for CPU), takes the admin key from its banner, loads `GET /api/v1/me` with `Authorization: Bearer <key>`,
and the hello-world with the same generator (bench/loadgen.py) for the same time, in alternating rounds.

Also printed: each server's CPU time per request (psutil). On 2 cores the aiohttp client can cost more
per request than the hello-world server, so the rps ratio can be capped by the generator; the CPU ratio
does not depend on it.

    .venv/bin/python bench/auth_get.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from loadgen import LoadResult, combine, run_load, start_hello_world
from twdaemon import Daemon, cpu_seconds, pid_listening_on

MIN_RATIO = 0.40
MAX_P99_MS = 20.0


@dataclass
class Side:
    """One server under load: its URL, headers, pid and the rounds measured so far."""

    name: str
    url: str
    headers: dict[str, str]
    pid: int
    results: list[LoadResult]
    server_cpu_s: float = 0.0

    def measure(self, duration: float, connections: int) -> None:
        """One round of load, adding the server's CPU time."""
        cpu0 = cpu_seconds(self.pid)
        self.results.append(
            run_load(self.url, headers=self.headers, duration=duration, connections=connections)
        )
        self.server_cpu_s += cpu_seconds(self.pid) - cpu0

    def combined(self) -> LoadResult:
        """The rounds as one (see loadgen.combine)."""
        return combine(self.results)

    def server_us(self) -> float:
        """Server CPU microseconds per answered request."""
        n = sum(sum(r.statuses.values()) for r in self.results)
        return self.server_cpu_s / n * 1e6 if n else 0.0

    def client_us(self) -> float:
        """Load-generator CPU microseconds per answered request."""
        n = sum(sum(r.statuses.values()) for r in self.results)
        return sum(r.client_cpu_s for r in self.results) / n * 1e6 if n else 0.0


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    """Measure both servers and print the figures; exit 0 (1 with --strict when a target is missed)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds of load per server (default 10)"
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating rounds sharing the duration (default 2)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per server (default 2)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    print(
        f"auth_get: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}; {args.connections} connections, {args.duration:g} s per server "
        f"in {args.rounds} alternating rounds (+{args.warmup:g} s warm-up)"
    )
    conns = args.connections
    with (
        tempfile.TemporaryDirectory(prefix="tw-bench-auth-") as tmp,
        start_hello_world() as hello_url,
        Daemon(Path(tmp), env={"TRONWATCH_TRON__NETWORK": "none"}) as daemon,
    ):
        key = daemon.admin_key()
        daemon.wait_ready()
        me_url = f"{daemon.url}/api/v1/me"
        auth = {"Authorization": f"Bearer {key}"}
        bad = run_load(
            me_url, headers={"Authorization": "Bearer tw_00000000_nope"}, duration=0.2, connections=1
        )
        warm = run_load(me_url, headers=auth, duration=args.warmup, connections=conns)
        if bad.statuses.keys() != {401} or warm.statuses.keys() != {200}:
            print(
                f"GET /api/v1/me: bad key -> {bad.statuses}, admin key -> {warm.statuses}",
                file=sys.stderr,
            )
            return 1
        run_load(hello_url, duration=args.warmup, connections=conns)
        hello = Side("hello-world", hello_url, {}, pid_listening_on(urlsplit(hello_url).port or 0), [])
        me = Side("/api/v1/me", me_url, auth, daemon.pid, [])
        for i in range(args.rounds):
            # Alternate the order so slow drifts in machine load hit both sides alike.
            for side in (hello, me) if i % 2 == 0 else (me, hello):
                side.measure(args.duration / args.rounds, conns)
        code, stop_s = daemon.stop()

    for i, (h, m) in enumerate(zip(hello.results, me.results, strict=True), 1):
        print(f"  round {i}: hello-world       {h}")
        print(f"  round {i}: GET /api/v1/me    {m}")
    h, m = hello.combined(), me.combined()
    ratio = m.rps / h.rps if h.rps else 0.0
    cpu_ratio = hello.server_us() / me.server_us() if me.server_us() else 0.0
    ratio_ok = ratio >= MIN_RATIO
    p99_ok = m.p99_ms <= MAX_P99_MS
    print(f"  hello-world (baseline)      {h}")
    print(f"  GET /api/v1/me (Bearer)     {m}")
    print(f"  server CPU per request      hello {hello.server_us():.0f} µs, /me {me.server_us():.0f} µs")
    print(f"  client CPU per request      hello {hello.client_us():.0f} µs, /me {me.client_us():.0f} µs")
    print(f"  ratio rps /me ÷ hello       {ratio:.3f}  (target >= {MIN_RATIO:.2f})   {_verdict(ratio_ok)}")
    print(f"  ratio CPU/request hello÷/me {cpu_ratio:.3f}  (same target, generator-independent)")
    if hello.client_us() > hello.server_us():
        print("  note: the generator costs more per request than the hello-world server; its rps is capped")
    print(
        f"  p99 /me                     {m.p99_ms:.2f} ms  (target <= {MAX_P99_MS:g} ms)   {_verdict(p99_ok)}"
    )
    print(f"  errors /me                  {m.errors}")
    print(f"  daemon stop (SIGTERM)       exit code {code}, {stop_s:.2f} s")
    ok = ratio_ok and p99_ok and m.errors == 0 and code == 0
    print(f"auth_get: {_verdict(ok)}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
