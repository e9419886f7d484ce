"""`tronwatch run`: serve the API until SIGTERM/SIGINT, then stop everything cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web

from daemon import __version__, keys
from daemon.app import create_app
from daemon.config import Settings
from daemon.db.embedded_watch import keep_alive
from daemon.db.target import DatabaseTarget, open_database
from daemon.demo.bootstrap import bootstrap as bootstrap_demo
from daemon.demo.context import story_job
from daemon.heap import freeze_startup_heap
from daemon.http.listener import Runner
from daemon.jobs import Supervisor
from daemon.runtime import Runtime

log = logging.getLogger(__name__)


def _network_label(settings: Settings, runtime: Runtime) -> str:
    network = settings.tron.network
    if runtime.devnode is not None:
        pools = sum(1 for a in runtime.devnode.chain.accounts.values() if a.pool)
        return f"SIMULATED devnode at {runtime.devnode.url} ({pools} demo pools, background traffic)"
    return "no network configured" if network == "none" else network


def _mode(settings: Settings, runtime: Runtime) -> str:
    """What this start really is: a config without database.url is not the demo unless the devnode runs."""
    if not settings.demo:
        return "configured"
    if runtime.devnode is not None:
        return "demo mode (no config file)"
    return "embedded PostgreSQL (no database.url set), no demo network or pools"


def _banner(
    settings: Settings,
    runtime: Runtime,
    target: DatabaseTarget,
    address: str,
    demo_keys: dict[str, str] | None,
) -> str:
    mode = _mode(settings, runtime)
    lines = [
        f"tronwatch {__version__} — {mode}",
        f"  database:     {target.description}",
        f"  TRON network: {_network_label(settings, runtime)}",
    ]
    if demo_keys:
        lines += [
            "  Demo API keys — shown once, store them now / 데모 API 키는 지금 한 번만 표시됩니다:",
            f"    admin:   {demo_keys['admin']}",
            f"    partner: {demo_keys['partner']}",
            "    lost them? `tronwatch keys create --admin NAME` makes another",
        ]
    # Last line on purpose: scripts wait for it.
    lines.append(f"  listening:    http://{address}  (/readyz, /metrics, /openapi.json)")
    return "\n".join(lines)


def _start_story(settings: Settings, app: web.Application, target: DatabaseTarget) -> None:
    """Demo mode's scenario on the in-process devnode (never against a real network or database)."""
    quiet = settings.tron.devnode_traffic_per_hour <= 0  # a devnode asked to stay still stays still
    if quiet or not (target.embedded and settings.demo_scenario.enabled and app[keys.runtime].devnode):
        return

    app[keys.jobs].add(story_job(app, settings.demo_scenario))  # the jobs run already: it starts now


async def serve(settings: Settings) -> int:
    """Run until a stop signal; return the process exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_database(settings) as target:
        # Started first and stopped last: whatever else runs may need the server back.
        watch = Supervisor()
        if target.server:
            watch.add(keep_alive(target.server))
        watch.start()
        try:
            code = await _serve(settings, target, stop)
        finally:
            await watch.stop()
    log.info("stopped")
    return code


async def _serve(settings: Settings, target: DatabaseTarget, stop: asyncio.Event) -> int:
    """Serve the app on `target` until `stop` is set; the exit code."""
    app = create_app(settings, database_url=target.url)
    runner = Runner(
        app,
        header_timeout=settings.server.header_timeout,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=settings.server.shutdown_timeout,
    )
    await runner.setup()
    try:
        new_keys = None
        if target.embedded:
            async with app[keys.runtime].pool.acquire() as conn:
                new_keys = await bootstrap_demo(conn)
        site = web.TCPSite(runner, settings.server.host, settings.server.port)
        try:
            await site.start()
        except OSError as exc:
            print(
                f"tronwatch: cannot listen on {settings.server.host}:{settings.server.port}: {exc.strerror}",
                file=sys.stderr,
            )
            return 1
        host, port = runner.addresses[0][:2]
        app[keys.runtime].listen_address = (host, port)
        freeze_startup_heap()
        print(_banner(settings, app[keys.runtime], target, f"{host}:{port}", new_keys), flush=True)
        log.info("ready address=%s:%s", host, port)
        _start_story(settings, app, target)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
    return 0
