"""A small reusable HTTP load generator and a bare aiohttp hello-world baseline, each in its own process.

    from loadgen import run_load, start_hello_world
    with start_hello_world() as url:
        print(run_load(url, duration=5, connections=32))

The load runs in a separate (spawned) process so the generator never shares the server's event loop.
Run this file directly for a quick self-check against the hello-world server.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

__all__ = ["LoadResult", "combine", "in_process", "run_load", "start_hello_world"]

_CTX = multiprocessing.get_context("spawn")
Load = Callable[..., Awaitable["LoadResult"]]


@dataclass(frozen=True)
class LoadResult:
    """Outcome of one load run; `requests` and the latencies count only responses with status < 400."""

    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # CPU seconds the generator process itself used (is it the bottleneck?)

    def __str__(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.rps:9.1f} req/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms  "
            f"ok {self.requests}  errors {self.errors}  statuses {{{codes}}}"
        )

    @classmethod
    def of(
        cls, latencies: list[float], *, errors: int, elapsed: float, statuses: dict[int, int]
    ) -> LoadResult:
        """Summarise one run's latencies (seconds) over `elapsed` seconds."""
        lat = sorted(latencies)
        rps = len(lat) / elapsed if elapsed > 0 else 0.0
        return cls(
            len(lat), errors, rps, _percentile(lat, 50) * 1000.0, _percentile(lat, 99) * 1000.0, statuses
        )


def combine(results: list[LoadResult], p99: Callable[[Iterable[float]], float] = max) -> LoadResult:
    """Rounds of equal length as one: mean rps, summed counts, median p50, worst (or `p99`) p99."""
    statuses: dict[int, int] = {}
    for r in results:
        for code, n in r.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    return LoadResult(
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        rps=statistics.fmean(r.rps for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=p99(r.p99_ms for r in results),
        statuses=statuses,
        client_cpu_s=sum(r.client_cpu_s for r in results),
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(q / 100.0 * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def _load(url: str, headers: dict[str, str], duration: float, connections: int) -> LoadResult:
    """Run `connections` workers against url until the deadline; return the raw figures."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures = 0
    timeout = ClientTimeout(total=max(10.0, duration))
    connector = TCPConnector(limit=connections)
    async with ClientSession(connector=connector, timeout=timeout, headers=headers) as session:
        start = time.perf_counter()
        deadline = start + duration

        async def worker() -> None:
            nonlocal failures
            while (t0 := time.perf_counter()) < deadline:
                try:
                    async with session.get(url) as resp:
                        await resp.read()
                        status = resp.status
                except (ClientError, TimeoutError, OSError):
                    failures += 1
                    continue
                statuses[status] = statuses.get(status, 0) + 1
                if status < 400:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return LoadResult.of(latencies, errors=failures, elapsed=elapsed, statuses=statuses)


def _child(conn: multiprocessing.connection.Connection, load: Load, args: tuple[Any, ...]) -> None:
    """Entry point of a load process: run the load and send its result (with the CPU it used) back."""
    cpu0 = time.process_time()
    result = asyncio.run(load(*args))
    conn.send(replace(result, client_cpu_s=time.process_time() - cpu0))
    conn.close()


def in_process(load: Load, *args: Any, timeout: float) -> LoadResult:
    """Run the coroutine function `load(*args)` in a spawned process (never the server's loop)."""
    parent, child = _CTX.Pipe(duplex=False)
    proc = _CTX.Process(target=_child, args=(child, load, args), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise RuntimeError(f"load process {load.__name__} did not finish in time")
        result: LoadResult = parent.recv()
    except EOFError:
        raise RuntimeError(f"load process {load.__name__} died (exit code {proc.exitcode})") from None
    finally:
        proc.join(10.0)
        if proc.is_alive():
            proc.kill()
            proc.join()
        parent.close()
    return result


def run_load(
    url: str, *, headers: dict[str, str] | None = None, duration: float = 5.0, connections: int = 32
) -> LoadResult:
    """GET url with `connections` concurrent workers for `duration` seconds, in a spawned process."""
    return in_process(_load, url, dict(headers or {}), duration, connections, timeout=duration + 60.0)


async def _hello(request: web.Request) -> web.Response:
    """The whole baseline app: a constant text response."""
    return web.Response(text="Hello, world")


async def _serve_hello(conn: multiprocessing.connection.Connection) -> None:
    """Serve the hello-world app on a free loopback port, report the port, run until killed."""
    app = web.Application()
    app.router.add_get("/", _hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(runner.addresses[0][1])
    conn.close()
    await asyncio.Event().wait()


def _hello_child(conn: multiprocessing.connection.Connection) -> None:
    """Entry point of the hello-world server process."""
    asyncio.run(_serve_hello(conn))


@contextmanager
def start_hello_world() -> Iterator[str]:
    """Serve a bare aiohttp hello-world app (no access log) in a spawned process; yield its URL."""
    parent, child = _CTX.Pipe(duplex=False)
    proc = _CTX.Process(target=_hello_child, args=(child,), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(30.0):
            raise RuntimeError("hello-world server did not start in 30 s")
        port = parent.recv()
        yield f"http://127.0.0.1:{port}/"
    finally:
        parent.close()
        proc.terminate()
        proc.join(5.0)
        if proc.is_alive():
            proc.kill()
            proc.join()


def main() -> None:
    """Self-check: load the hello-world server and print the result."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    args = parser.parse_args()
    with start_hello_world() as url:
        print(f"hello-world at {url}")
        print(run_load(url, duration=args.duration, connections=args.connections))


if __name__ == "__main__":
    main()
