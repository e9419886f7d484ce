"""Where a request's CPU goes: the daemon's `/healthz` served with one layer added at a time, loaded by wrk.

Each server runs in its own thread and event loop in this process; wrk loads them in alternating
rounds and the figure is the server thread's CPU per request (the median round's), beside a bare
aiohttp app whose handler answers the same bytes:

    bare        aiohttp's AppRunner, one route, no middleware
    daemon      the daemon's app and listener (header deadline), its middlewares removed
    + core      the core middleware (request id, metrics, problem+json)
    + access    the access middleware too (scan, IP blocks, key, limits): the app as it runs
    me          that app's GET /api/v1/me with a cached partner key (authentication, the principal)

    .venv/bin/python bench/http_layers.py [--duration 3] [--rounds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys

from _withdrawals import build_app
from _wrk import run_wrk, wrk_binary
from aiohttp import web
from served import Served
from ticket_create import bench_database, partner_key

from daemon.http.core_routes import healthz
from daemon.http.middlewares import core_middleware


def bare_app() -> web.Application:
    """aiohttp with the daemon's healthz handler and nothing else."""
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


def main() -> int:
    """Print each layer's CPU per request, its step over the layer below and the ratio to bare."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    wrk_binary()
    with bench_database("tw-layers-") as (url, tmp):
        daemon, core, full = (build_app(url, tmp / name) for name in ("daemon", "core", "full"))
        daemon.middlewares.clear()
        core.middlewares[:] = [core_middleware]
        secret, _ = asyncio.run(partner_key(url))
        with (
            Served(bare_app()) as bare,
            Served(daemon, daemon=True) as s_daemon,
            Served(core, daemon=True) as s_core,
            Served(full, daemon=True) as s_full,
        ):
            me = {"Authorization": f"Bearer {secret}"}
            layers = [
                ("bare", bare, "/healthz", {}),
                ("daemon", s_daemon, "/healthz", {}),
                ("+ core", s_core, "/healthz", {}),
                ("+ access", s_full, "/healthz", {}),
                ("me", s_full, "/api/v1/me", me),
            ]
            cpu: dict[str, list[float]] = {name: [] for name, *_ in layers}
            rps: dict[str, list[float]] = {name: [] for name, *_ in layers}
            for _ in range(args.rounds):
                for name, server, path, headers in layers:
                    before = server.cpu()
                    run = run_wrk(
                        f"http://127.0.0.1:{server.port}{path}",
                        headers=headers,
                        duration=args.duration,
                        connections=args.connections,
                    )
                    cpu[name].append((server.cpu() - before) / max(1, run.requests) * 1e6)
                    rps[name].append(run.rps)
    print(f"wrk -t1 -c{args.connections} -d{args.duration:.0f}s, {args.rounds} alternating rounds (medians)")
    base = statistics.median(cpu["bare"])
    below = base
    for name, *_ in layers:
        us = statistics.median(cpu[name])
        ratios = [r / b for r, b in zip(rps[name], rps["bare"], strict=True)]
        print(
            f"{name:9} {statistics.median(rps[name]):9,.0f} req/s  {us:6.1f} µs per request"
            f"  step {us - below:+5.1f} µs  over bare {us - base:+5.1f} µs"
            f"  ratio {statistics.median(ratios):.2f}x"
        )
        below = us
    return 0


if __name__ == "__main__":
    sys.exit(main())
