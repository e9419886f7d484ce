"""/ws/monitoring fan-out: 1,000 WebSocket clients, every update to all of them, and memory per client.

Issue 8 figure: every update reaches all 1,000 clients with p99 <= 250 ms; memory per client <= 50 KB.
Embedded PostgreSQL and the real app in a thread; updates travel the production path: a
metrics_update NOTIFY (what the collector's lease holder sends) -> the app's LISTEN connection -> the
hub -> one writer task per client. Latency is from just before the NOTIFY to the moment a client
process reads the message (the clients run in spawned processes; same machine, same clock).
Memory is the server process's RSS growth from before the clients connect to after they have all
received updates, divided by the clients. Baseline in the same run: the same updates to 1 client.

    .venv/bin/python bench/ws_fanout.py [--clients 1000] [--updates 10] [--procs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
from loadgen import _percentile
from prometheus_client import CollectorRegistry
from served import Served
from ticket_create import bench_database, verdict

from daemon import accounts
from daemon.app import create_app
from daemon.config import load_settings
from daemon.monitoring import repo
from daemon.monitoring.snapshot import metrics_message
from daemon.monitoring.state import monitoring_state

MAX_P99_MS, MAX_KB_PER_CLIENT = 250.0, 50.0
_CTX = multiprocessing.get_context("spawn")
_MARK = '"collected_at":"'


def _stamp(text: str) -> float:
    """The snapshot's collected_at (the publish moment) without parsing the whole message."""
    start = text.index(_MARK) + len(_MARK)
    return datetime.fromisoformat(text[start : text.index('"', start)]).timestamp()


async def _clients(url: str, key: str, count: int, updates: int, go: Any, ready: Any) -> list[float]:
    """Connect `count` clients, signal ready, and collect each metrics_update's delivery latency."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        sockets: list[aiohttp.ClientWebSocketResponse] = []
        for batch in range(0, count, 50):
            sockets += await asyncio.gather(
                *(session.ws_connect(url, headers=headers) for _ in range(min(50, count - batch)))
            )
        ready.set()

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            got = 0
            while got < updates:
                msg = await ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"stream ended: {msg.type}")
                if msg.data.startswith('{"type":"metrics_update"'):
                    stamp = _stamp(msg.data)
                    if stamp >= go:  # not the greeting snapshot sent on connect
                        latencies.append(time.time() - stamp)
                        got += 1

        await asyncio.wait_for(asyncio.gather(*(read(ws) for ws in sockets)), timeout=60 + 5 * updates)
        await asyncio.gather(*(ws.close() for ws in sockets))
    return latencies


def _child(pipe: Any, *args: Any) -> None:
    pipe.send(asyncio.run(_clients(*args)))
    pipe.close()


def _publish(url: str, served: Served, updates: int, gap: float) -> None:
    """Send `updates` snapshots the way the collector's lease holder does (stored message + NOTIFY)."""

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            base = served.app[monitoring_state].current
            assert base is not None
            for _ in range(updates):
                snap = base.model_copy(update={"collected_at": datetime.now(UTC)})
                await repo.notify(conn, metrics_message(snap))
                await asyncio.sleep(gap)
        finally:
            await conn.close()

    asyncio.run(run())


def _round(
    url: str, served: Served, key: str, clients: int, procs: int, updates: int
) -> tuple[list[float], int]:
    """(latencies, RSS growth in bytes) for `clients` clients split over `procs` processes."""
    ws_url = f"http://127.0.0.1:{served.port}/ws/monitoring"
    gc.collect()
    rss_before = psutil.Process().memory_info().rss
    go = time.time()
    shares = [clients // procs + (1 if n < clients % procs else 0) for n in range(procs)]
    children = []
    for share in (s for s in shares if s):
        parent, child = _CTX.Pipe(duplex=False)
        ready = _CTX.Event()
        proc = _CTX.Process(target=_child, args=(child, ws_url, key, share, updates, go, ready), daemon=True)
        proc.start()
        child.close()
        children.append((proc, parent, ready))
    for _, _, ready in children:
        if not ready.wait(120):
            raise RuntimeError("clients did not connect")
    hub = served.app[monitoring_state].hub
    while len(hub.clients) < clients:
        time.sleep(0.05)
    _publish(url, served, updates, gap=0.5)
    latencies: list[float] = []
    for _proc, parent, _ in children:
        if not parent.poll(120):
            raise RuntimeError("client process did not finish")
        latencies += parent.recv()
        # Measured while the clients are still connected (they close after sending their figures).
    rss_after = psutil.Process().memory_info().rss
    for proc, parent, _ in children:
        proc.join(30)
        parent.close()
    return sorted(latencies), rss_after - rss_before


async def _admin_key(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return (await accounts.create_key(conn, role="admin", admin_name="bench")).secret
    finally:
        await conn.close()


def main() -> int:
    """Measure and print; exit 1 with --strict when a target is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    print(
        f"ws_fanout: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}; "
        f"{args.clients} clients in {args.procs} processes, {args.updates} updates 0.5 s apart"
    )
    with bench_database("tw-bench-ws-") as (url, tmp):
        settings = load_settings(
            None,
            environ={},
            overrides={
                "database": {"url": url, "run_migrations": False},
                "data_dir": str(Path(tmp)),
                # Updates come from this script; the collector's own ticks would only add noise.
                "monitoring": {
                    "collect_interval": 3600,
                    "ws_queue_size": 32,
                    # every client connects from 127.0.0.1 at once: the pending caps are for floods
                    "ws_max_pending": 100_000,
                    "ws_max_pending_per_ip": 100_000,
                },
            },
        )
        app = create_app(settings, database_url=url, registry=CollectorRegistry())
        with Served(app) as served:
            key = asyncio.run(_admin_key(url))
            state = app[monitoring_state]
            for _ in range(100):
                if state.current is not None:
                    break
                time.sleep(0.1)
            one, _ = _round(url, served, key, 1, 1, args.updates)  # baseline (also warms up)
            many, grown = _round(url, served, key, args.clients, args.procs, args.updates)
    expected = args.clients * args.updates
    p99_one, p99_many = _percentile(one, 99) * 1000, _percentile(many, 99) * 1000
    per_client_kb = grown / args.clients / 1024
    print(f"  baseline, 1 client:  p50 {_percentile(one, 50) * 1000:7.2f} ms  p99 {p99_one:7.2f} ms")
    print(
        f"  {args.clients} clients:       p50 {_percentile(many, 50) * 1000:7.2f} ms  "
        f"p99 {p99_many:7.2f} ms  "
        f"max {many[-1] * 1000:7.2f} ms  delivered {len(many)}/{expected}"
    )
    print(f"  ratio p99 {args.clients} clients / 1 client: {p99_many / max(p99_one, 1e-6):.1f}x")
    print(f"  server RSS growth {grown / 1024 / 1024:.1f} MiB = {per_client_kb:.1f} KB per client")
    ok_latency = p99_many <= MAX_P99_MS and len(many) == expected
    ok_memory = per_client_kb <= MAX_KB_PER_CLIENT
    print(f"  p99 <= {MAX_P99_MS:g} ms, every update to every client: {verdict(ok_latency)}")
    print(f"  memory <= {MAX_KB_PER_CLIENT:g} KB per client: {verdict(ok_memory)}")
    return 0 if (ok_latency and ok_memory) or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
