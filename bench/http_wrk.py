"""tronwatch's request path beside bare aiohttp servers doing the same work, loaded by Debian's wrk.

The issue-18 table: GET /healthz and GET /api/v1/me against a bare hello-world; GET
/api/v1/admin/partners against a bare handler running the same SELECT; ticket create and enqueue
against a bare handler doing one INSERT ... RETURNING on the same database. Both servers run in this
process, each in its own thread and event loop (tronwatch behind the daemon's own listener, as
`tronwatch run` serves it), on one embedded PostgreSQL, and are loaded in
alternating rounds by wrk (which costs far less CPU per request than a Python client, so the ratio is
the server's). Rate limits are off (one key is loaded far past them); bench/ratelimit.py measures them.

    .venv/bin/python bench/http_wrk.py [--duration 5] [--rounds 2] [--connections 32] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil
from _withdrawals import POOL_MAX, build_app, publish_pools
from _wrk import WrkResult, run_wrk, wrk_binary
from aiohttp import web
from served import Served
from ticket_create import bench_database, partner_key

from daemon import accounts
from daemon.db.connect import keep_session

TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
TICKET = {
    "title": "Webhook callbacks not arriving %d",
    "description": "We stopped receiving webhooks at 09:10.",
}
GOALS = {"healthz": 0.75, "me": 0.75, "partners": 0.5, "ticket": 0.6, "enqueue": 0.6}
P99_GOALS = {"me": 20.0, "partners": 20.0, "ticket": 50.0}


def postgres_cpu(pgdata: Path) -> float:
    """CPU seconds this bench's embedded server (its postmaster and backends) has used, not any other's."""
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    return sum(sum(p.cpu_times()[:2]) for p in (postmaster, *postmaster.children(recursive=True)))


def bare_app(url: str) -> web.Application:
    """The baselines: hello-world, the partners SELECT, one INSERT ... RETURNING; nothing else."""
    app = web.Application()
    pool_key = web.AppKey("pool", asyncpg.Pool)

    async def pool_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        app[pool_key] = await asyncpg.create_pool(
            url, min_size=POOL_MAX, max_size=POOL_MAX, reset=keep_session
        )
        yield
        await app[pool_key].close()

    async def hello(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def partners(request: web.Request) -> web.Response:
        async with request.app[pool_key].acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, name, contact_email, created_at FROM partners WHERE id > $1 ORDER BY id LIMIT $2",
                0,
                51,
            )
        items = [{**dict(r), "created_at": r["created_at"].isoformat()} for r in rows[:50]]
        return web.json_response({"items": items, "next_cursor": None})

    async def insert(request: web.Request) -> web.Response:
        body = await request.json()
        async with request.app[pool_key].acquire() as conn:
            row_id = await conn.fetchval(
                "INSERT INTO bench_rows (title, body, created_at) VALUES ($1, $2, $3) RETURNING id",
                str(body.get("title", body.get("withdrawal_id", ""))),
                json.dumps(body),
                datetime.now(UTC),
            )
        return web.json_response({"id": row_id}, status=201)

    app.cleanup_ctx.append(pool_ctx)
    app.router.add_get("/hello", hello)
    app.router.add_get("/partners", partners)
    app.router.add_post("/insert", insert)
    return app


@dataclass
class Row:
    """One figure: tronwatch's request and its baseline, each measured in the same rounds."""

    name: str
    ours: tuple[str, str, dict[str, str], str]  # method, url, headers, body template
    bare: tuple[str, str, dict[str, str], str]
    ours_runs: list[WrkResult] = field(default_factory=list)
    bare_runs: list[WrkResult] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=lambda: [0.0, 0.0])  # server thread CPU: ours, bare
    process_s: list[float] = field(default_factory=lambda: [0.0, 0.0])  # the whole process's CPU
    postgres_s: list[float] = field(default_factory=lambda: [0.0, 0.0])  # PostgreSQL's, while each side ran
    served: list[int] = field(default_factory=lambda: [0, 0])

    def measure(
        self, duration: float, connections: int, servers: tuple[Served, Served], pgdata: Path
    ) -> None:
        """One round of each side, with the CPU its server's thread took (both servers share this process)."""
        sides = ((self.ours, self.ours_runs), (self.bare, self.bare_runs))
        for i, ((method, url, headers, body), runs) in enumerate(sides):
            cpu0, process0, pg0 = servers[i].cpu(), time.process_time(), postgres_cpu(pgdata)
            run = run_wrk(
                url, method=method, headers=headers, body=body, duration=duration, connections=connections
            )
            self.cpu_s[i] += servers[i].cpu() - cpu0
            self.process_s[i] += time.process_time() - process0
            self.postgres_s[i] += postgres_cpu(pgdata) - pg0
            self.served[i] += run.requests
            runs.append(run)

    def cpu_us(self, side: int, process: bool = False) -> float:
        """Server CPU microseconds per request (PostgreSQL's own work is in another process)."""
        return (self.process_s if process else self.cpu_s)[side] / max(1, self.served[side]) * 1e6

    def report(self) -> bool:
        """Print the row; True when it meets its goals."""
        ours, bare = best(self.ours_runs), best(self.bare_runs)
        ratio = ours.rps / bare.rps if bare.rps else 0.0
        p99 = max(r.p99_ms for r in self.ours_runs)
        ok = ratio >= GOALS[self.name] and p99 <= P99_GOALS.get(self.name, float("inf")) and ours.bad == 0
        goal = f"goal >= {GOALS[self.name]}x" + (
            f", p99 <= {P99_GOALS[self.name]:.0f} ms" if self.name in P99_GOALS else ""
        )
        print(f"{self.name:9} tronwatch {ours.line()}  (worst p99 {p99:.2f} ms)")
        print(f"{'':9} bare      {bare.line()}")
        print(f"{'':9} ratio {ratio:.2f}x  ({goal})  {'PASS' if ok else 'FAIL'}")
        cpu_ratio = self.cpu_us(1) / self.cpu_us(0) if self.cpu_us(0) else 0.0
        print(
            f"{'':9} server CPU per request {self.cpu_us(0):.1f} µs vs bare {self.cpu_us(1):.1f} µs"
            f" = {cpu_ratio:.2f}x (server threads; whole process {self.cpu_us(0, True):.0f} vs"
            f" {self.cpu_us(1, True):.0f} µs)"
        )
        if self.postgres_s[0] or self.postgres_s[1]:
            pg = [self.postgres_s[i] / max(1, self.served[i]) * 1e6 for i in (0, 1)]
            print(f"{'':9} PostgreSQL CPU per request {pg[0]:.0f} µs vs bare {pg[1]:.0f} µs")
        return ok


def best(runs: list[WrkResult]) -> WrkResult:
    """The round with the most requests/s (the machine is shared: the least disturbed round)."""
    return max(runs, key=lambda r: r.rps)


async def setup(url: str) -> tuple[str, str]:
    """An admin key, a partner key (partners to list), and the baseline's table."""
    conn = await asyncpg.connect(url)
    try:
        admin = await accounts.create_key(conn, role="admin", admin_name="bench")
        for i in range(20):
            await accounts.partner_by_name(conn, f"partner-{i:02d}", create=True)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, title text NOT NULL, "
            "body jsonb NOT NULL, created_at timestamptz NOT NULL)"
        )
    finally:
        await conn.close()
    partner, _ = await partner_key(url)
    return admin.secret, partner


def main() -> int:
    """Measure every row and print the table; exit 1 with --strict when a goal is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per row (default 2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=sorted(GOALS), action="append", help="measure only these rows")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    wrk_binary()
    print(
        f"{platform.node()} {platform.processor() or platform.machine()} python {platform.python_version()}"
    )
    with bench_database("tw-wrk-") as (url, tmp):
        app = build_app(url, tmp)
        with Served(app, daemon=True) as tw, Served(bare_app(url)) as bare:
            tw.call(publish_pools(url, app, [0, 0], 1_000_000))  # no room: every entry waits
            admin, partner = asyncio.run(setup(url))
            ours, base = f"http://127.0.0.1:{tw.port}", f"http://127.0.0.1:{bare.port}"
            json_h = {"Content-Type": "application/json"}
            p_h = {"Authorization": f"Bearer {partner}"}
            a_h = {"Authorization": f"Bearer {admin}"}
            enqueue = json.dumps({"withdrawal_id": "w-%d", "user_id": "u1", "to_address": TO, "amount": "10"})
            rows = [
                Row("healthz", ("GET", f"{ours}/healthz", {}, ""), ("GET", f"{base}/hello", {}, "")),
                Row("me", ("GET", f"{ours}/api/v1/me", p_h, ""), ("GET", f"{base}/hello", {}, "")),
                Row(
                    "partners",
                    ("GET", f"{ours}/api/v1/admin/partners", a_h, ""),
                    ("GET", f"{base}/partners", {}, ""),
                ),
                Row(
                    "ticket",
                    ("POST", f"{ours}/api/v1/support/tickets", {**p_h, **json_h}, json.dumps(TICKET)),
                    ("POST", f"{base}/insert", json_h, json.dumps(TICKET)),
                ),
                Row(
                    "enqueue",
                    ("POST", f"{ours}/api/v1/energy/queue", {**p_h, **json_h}, enqueue),
                    ("POST", f"{base}/insert", json_h, enqueue),
                ),
            ]
            rows = [r for r in rows if not args.only or r.name in args.only]
            for round_no in range(args.rounds):
                for row in rows:
                    if row.name == "enqueue":  # a new withdrawal_id per round too
                        row.ours = (*row.ours[:3], enqueue.replace("w-%d", f"w{round_no}-%d"))
                    row.measure(args.duration, args.connections, (tw, bare), tmp / "pg")
            runs = f"best of {args.rounds} alternating rounds"
            print(f"wrk -t1 -c{args.connections} -d{args.duration:.0f}s, {runs}")
            results = [row.report() for row in rows]
    ok = all(results)
    print("ALL PASS" if ok else "SOME FAIL")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
