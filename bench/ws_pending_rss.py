"""Unauthenticated /ws/monitoring sockets that ping: how many get in, when they close, daemon RSS after.

Issue 17 §3: sockets that ping every 3 s and never authenticate used to stay open for good (aiohttp's
receive timeout restarts on every ping), 20,000 of them stalled /healthz, and RSS grew 172 -> 303 MB
for good. Here: a real `tronwatch run` (TRON network none); a flood of N sockets from this one address,
each pinging every 0.5 s and never authenticating, in `--rounds` rounds. Per round: how many were
upgraded and how many refused (the per-IP and total pending caps), the seconds until the last one
was closed by the server (target: the auth deadline plus the close grace), /healthz latency during
the flood, and the daemon's RSS before, at the peak and after. Run twice: with the default caps, and
with the caps raised to N (what a flood from many addresses can reach). Baseline: RSS after the first
round (the allocator keeps its high-water mark; freed sockets are reused, not returned to the OS);
target: RSS after the last round within 5 % of it, i.e. closed sockets leave nothing behind. RSS
before the first round is printed too. /healthz latency here includes this script's own load on the
same CPUs.

    .venv/bin/python bench/ws_pending_rss.py [--sockets 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
from twdaemon import Daemon

MB = 1024 * 1024
AUTH_TIMEOUT = 5.0


async def _one(session: aiohttp.ClientSession, url: str, out: dict[str, int]) -> None:
    try:
        ws = await session.ws_connect(url, heartbeat=None, autoclose=True)
    except aiohttp.WSServerHandshakeError as exc:
        out[f"refused {exc.status}"] = out.get(f"refused {exc.status}", 0) + 1
        return
    except (aiohttp.ClientError, OSError, TimeoutError):
        out["failed"] = out.get("failed", 0) + 1
        return
    out["upgraded"] = out.get("upgraded", 0) + 1
    pinger = asyncio.create_task(_ping(ws))
    try:
        async for _ in ws:  # until the server closes it
            pass
        out[f"closed {ws.close_code}"] = out.get(f"closed {ws.close_code}", 0) + 1
    finally:
        pinger.cancel()
        await ws.close()


async def _ping(ws: aiohttp.ClientWebSocketResponse) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        while not ws.closed:
            await ws.ping()
            await asyncio.sleep(0.5)


async def _healthz(session: aiohttp.ClientSession, base: str, stop: asyncio.Event) -> list[float]:
    times = []
    while not stop.is_set():
        t0 = time.perf_counter()
        async with session.get(f"{base}/healthz") as resp:
            await resp.read()
        times.append(time.perf_counter() - t0)
        await asyncio.sleep(0.2)
    return times


async def _round(base: str, sockets: int, proc: psutil.Process) -> dict[str, float | str]:
    out: dict[str, int] = {}
    stop = asyncio.Event()
    peak = proc.memory_info().rss
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        health = asyncio.create_task(_healthz(session, base, stop))
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(_one(session, f"{base}/ws/monitoring", out)) for _ in range(sockets)]
        pending = set(tasks)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=0.5)
            peak = max(peak, proc.memory_info().rss)
        last_closed = time.perf_counter() - t0
        stop.set()
        health_times = await health
    await asyncio.sleep(3)  # let the server finish its side of the closes
    return {
        "counts": ", ".join(f"{k} {v}" for k, v in sorted(out.items())),
        "seconds": last_closed,
        "healthz_max_ms": 1000 * max(health_times, default=0.0),
        "peak": peak / MB,
        "after": proc.memory_info().rss / MB,
    }


async def _run(daemon: Daemon, sockets: int, rounds: int) -> bool:
    proc = psutil.Process(daemon.pid)
    baseline = proc.memory_info().rss / MB
    print(f"    RSS before the first flood {baseline:.1f} MB")
    after = first = baseline
    for n in range(1, rounds + 1):
        r = await _round(daemon.url, sockets, proc)
        after = float(r["after"])
        first = after if n == 1 else first
        print(
            f"    round {n}: {r['counts']}; all done in {float(r['seconds']):.1f} s; "
            f"/healthz max {float(r['healthz_max_ms']):.0f} ms; RSS peak {float(r['peak']):.1f} MB, "
            f"after {after:.1f} MB"
        )
    ok = after <= first * 1.05
    print(
        f"    RSS after the last round / after the first: {after / first:.2f}x   {'PASS' if ok else 'FAIL'}"
        f"   (/ before any: {after / baseline:.2f}x)"
    )
    return ok


def main() -> int:
    """Both cap settings; exit 0 (1 with --strict when RSS does not come back)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    print(f"ws_pending_rss: {args.sockets} pinging unauthenticated sockets x {args.rounds} rounds")
    ok = True
    base_env = {"TRONWATCH_TRON__NETWORK": "none", "TRONWATCH_MONITORING__WS_AUTH_TIMEOUT": str(AUTH_TIMEOUT)}
    raised = {
        "TRONWATCH_MONITORING__WS_MAX_PENDING": str(args.sockets),
        "TRONWATCH_MONITORING__WS_MAX_PENDING_PER_IP": str(args.sockets),
    }
    with tempfile.TemporaryDirectory(prefix="tw-bench-wsrss-") as tmp:
        for label, env in (("default caps", {}), (f"caps raised to {args.sockets}", raised)):
            print(f"  {label}")
            with Daemon(Path(tmp), env={**base_env, **env}) as daemon:
                daemon.wait_ready()
                ok = asyncio.run(_run(daemon, args.sockets, args.rounds)) and ok
    print(f"ws_pending_rss: {'PASS' if ok else 'FAIL'}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
