"""getaccountresource requests/s on the devnode vs a bare aiohttp hello-world, same run, same load generator.

Each server runs in this process; the load generator (aiohttp client, N concurrent workers, fixed
duration) runs in a separate process so it does not share the server's event loop. Prints both
figures and the ratio (target >= 0.5).

    .venv/bin/python bench/devnode_rps.py [--seconds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from aiohttp import ClientSession, TCPConnector, web

POOL = "TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe"  # pool-alpha in the demo accounts
BODY = json.dumps({"address": POOL, "visible": True})


async def _load(url: str, seconds: float, concurrency: int) -> int:
    """Run `concurrency` workers posting BODY to url for `seconds`; return completed 200s."""
    done = 0
    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                async with session.post(url, data=BODY, headers={"Content-Type": "application/json"}) as resp:
                    await resp.read()
                    if resp.status == 200:
                        done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


async def _measure(url: str, seconds: float, concurrency: int) -> float:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--load",
        url,
        "--seconds",
        str(seconds),
        "--concurrency",
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed for {url}")
    return int(out.decode().strip()) / seconds


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


async def main(seconds: float, concurrency: int) -> None:
    from daemon.devnode import Devnode

    hello_app = web.Application()
    hello_app.router.add_route("*", "/", _hello)
    runner, hello_url = await _serve(hello_app)
    try:
        await _measure(hello_url, 0.5, concurrency)  # warm-up
        hello_rps = await _measure(hello_url, seconds, concurrency)
    finally:
        await runner.cleanup()
    async with Devnode.start(speed=1.0) as node:
        url = node.url + "wallet/getaccountresource"
        await _measure(url, 0.5, concurrency)
        devnode_rps = await _measure(url, seconds, concurrency)
    print(f"hello-world aiohttp:           {hello_rps:10.0f} req/s")
    print(f"devnode getaccountresource:    {devnode_rps:10.0f} req/s")
    print(f"ratio devnode/hello-world:     {devnode_rps / hello_rps:10.2f}  (target >= 0.50)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        print(asyncio.run(_load(args.load, args.seconds, args.concurrency)))
    else:
        asyncio.run(main(args.seconds, args.concurrency))
