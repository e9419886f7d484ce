"""An app on a free loopback port in its own thread and event loop, for benchmarks."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from aiohttp import web

from daemon import keys
from daemon.heap import freeze_startup_heap
from daemon.http.listener import Runner

# The `security:` section benches use: they load one key (and one user) far past the default
# api_call (100/min) and withdrawal (3/min) limits; bench/ratelimit.py measures the limiter itself.
NO_RATE_LIMITS = {"rate_limits": {"withdrawal": {"enabled": False}, "api_call": {"enabled": False}}}


class Served:
    """An app on a free port in its own thread and event loop."""

    def __init__(self, app: web.Application, *, daemon: bool = False) -> None:
        self.app = app
        self.daemon = daemon  # serve it as `tronwatch run` does: its Runner, with the header deadline
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        if self.daemon:
            timeout = self.app[keys.settings].server.header_timeout
            runner: web.AppRunner = Runner(
                self.app, header_timeout=timeout, handle_signals=False, access_log=None
            )
        else:
            runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        freeze_startup_heap()  # as `tronwatch run` does once it listens
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def cpu(self) -> float:
        """CPU seconds this server's thread has used (its loop: requests and background jobs)."""
        assert self.thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the app's loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)

    def __enter__(self) -> Served:
        self.thread.start()
        if not self.ready.wait(60):
            raise RuntimeError("app did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
