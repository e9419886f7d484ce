"""tronwatch's request path beside bare aiohttp servers doing the same work, loaded by Debian's wrk.

The issue-18 table: GET /healthz and GET /api/v1/me against a bare hello-world; GET
/api/v1/admin/partners against a bare handler running the same SELECT; ticket create and enqueue
against a bare handler running the daemon's own statement (the same SQL, through the same repository
function, with inputs computed once: the goal's baseline), and against one plain INSERT ... RETURNING
(the issue's first baseline, printed but not judged: it writes one narrow row where a ticket writes
three, with their indexes and foreign keys, so it measures the database as much as us). Both servers
run in this process, each in its own thread and event loop (tronwatch behind the daemon's own
listener, as `tronwatch run` serves it), on one embedded PostgreSQL, and are loaded in alternating
rounds by wrk (which costs far less CPU per request than a Python client, so the ratio is
the server's). Rate limits are off (one key is loaded far past them); bench/ratelimit.py measures them.

    .venv/bin/python bench/http_wrk.py [--duration 3] [--rounds 5] [--connections 32] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import psutil
from _withdrawals import POOL_MAX, build_app, publish_pools
from _wrk import WrkResult, run_wrk, wrk_binary
from aiohttp import web
from served import Served
from ticket_create import bench_database, partner_key

from daemon import accounts
from daemon.db import migrate
from daemon.db.connect import keep_session
from daemon.support import notify_outbox
from daemon.support import repo as tickets_repo
from daemon.withdrawals import queue_repo
from daemon.withdrawals.waiting import WaitingBase

TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
TICKET = {
    "title": "Webhook callbacks not arriving %d",
    "description": "We stopped receiving webhooks at 09:10.",
}
GOALS = {"healthz": 0.75, "me": 0.75, "partners": 0.5, "ticket": 0.6, "enqueue": 0.6}
# The writes' goals are against a bare handler running the same statement; one plain INSERT is printed too.
SAME_SQL = ("ticket", "enqueue")
REQUIRED_ENERGY = 130_285  # what the daemon's default model charges one USDT transfer
P99_GOALS = {"me": 20.0, "partners": 20.0, "ticket": 50.0}


def postgres_cpu(pgdata: Path) -> float:
    """CPU seconds this bench's embedded server (its postmaster and backends) has used, not any other's."""
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    return sum(sum(p.cpu_times()[:2]) for p in (postmaster, *postmaster.children(recursive=True)))


def bare_app(url: str, same_url: str, partner_id: int) -> web.Application:
    """The baselines: hello-world, the partners SELECT, one INSERT ... RETURNING, and the daemon's own
    ticket and enqueue statements (its repository functions, with constant inputs) on `same_url`,
    a migrated database no daemon serves, so the bare's notifications wait there undelivered."""
    app = web.Application()
    pool_key = web.AppKey("pool", asyncpg.Pool)
    same_key = web.AppKey("same", asyncpg.Pool)

    async def pool_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        app[pool_key] = await asyncpg.create_pool(
            url, min_size=POOL_MAX, max_size=POOL_MAX, reset=keep_session
        )
        app[same_key] = await asyncpg.create_pool(
            same_url, min_size=POOL_MAX, max_size=POOL_MAX, reset=keep_session
        )
        yield
        await app[pool_key].close()
        await app[same_key].close()

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

    start = datetime.now(UTC)
    sample = {"partner_id": partner_id, "title": TICKET["title"], "description": TICKET["description"]}
    sample |= {"priority": "medium", "category": "api", "attachments": []}
    template, placeholder = notify_outbox.created_template(sample, start, "")
    # A tail as long as the daemon's (its whole API JSON after the id), rendered once.
    tail = (
        "," + json.dumps({**sample, "status": "open", "created_at": start.isoformat(), "pad": "x" * 260})[1:]
    )
    detail = {"priority": "medium", "priority_keywords": [], "category": "api", "category_scores": {"api": 2}}
    waiting = [WaitingBase(taken=0.0, ttl=0.0, max_id=0, count=0, energy=0)]

    async def same_ticket(request: web.Request) -> web.Response:
        body = await request.json()
        now = datetime.now(UTC)
        due = {
            "first_response_due_at": now + timedelta(hours=8),
            "resolution_due_at": now + timedelta(days=3),
        }
        ticket = {**sample, **body, **due, "requested_priority": None, "created_at": now}
        async with request.app[same_key].acquire() as conn:
            row = await tickets_repo.insert_ticket(
                conn,
                ticket,
                partner_id,
                detail,
                ["log"],
                template,
                placeholder,
                api_json_tail=tail,
                full=False,
            )
        return web.Response(text=row["api_json"], status=201, content_type="application/json")

    async def same_enqueue(request: web.Request) -> web.Response:
        body = await request.json()
        async with request.app[same_key].acquire() as conn:
            row = await queue_repo.insert(
                conn,
                partner_id,
                body["user_id"],
                body["withdrawal_id"],
                body["to_address"],
                Decimal(body["amount"]),
                REQUIRED_ENERGY,
                datetime.now(UTC),
                waiting[0],
            )
        assert row is not None
        # Count from this entry on, as the daemon's cached base does: a short index range per insert.
        waiting[0] = WaitingBase(0.0, 0.0, row["id"], row["ahead"] + 1, row["energy_ahead"] + REQUIRED_ENERGY)
        entry = {"id": row["id"], "status": "waiting", "queue_position": row["ahead"] + 1}
        return web.json_response(entry, status=201)

    app.cleanup_ctx.append(pool_ctx)
    app.router.add_post("/same/ticket", same_ticket)
    app.router.add_post("/same/enqueue", same_enqueue)
    app.router.add_get("/hello", hello)
    app.router.add_get("/partners", partners)
    app.router.add_post("/insert", insert)
    return app


Request = tuple[str, str, dict[str, str], str]  # method, url, headers, body template


@dataclass
class Side:
    """One server's request in a row, and what its rounds measured."""

    label: str
    request: Request
    server: int  # 0: tronwatch's thread, 1: the bare's
    runs: list[WrkResult] = field(default_factory=list)
    cpu_s: float = 0.0  # its server thread's CPU
    process_s: float = 0.0  # the whole process's CPU
    postgres_s: float = 0.0  # PostgreSQL's, while it ran
    served: int = 0

    @staticmethod
    def hello(base: str) -> Side:
        """The bare hello-world."""
        return Side("bare", ("GET", f"{base}/hello", {}, ""), 1)

    def per_request_us(self, seconds: float) -> float:
        """Microseconds of `seconds` per request served."""
        return seconds / max(1, self.served) * 1e6


@dataclass
class Row:
    """One figure: tronwatch's request and its baselines, each measured in the same rounds.

    The goal is against the last baseline: the same statement for writes, else the only one.
    """

    name: str
    sides: list[Side]

    def measure(
        self, duration: float, connections: int, servers: tuple[Served, Served], pgdata: Path
    ) -> None:
        """One round of each side, with the CPU its server's thread took (both servers share this process)."""
        for side in self.sides:
            method, url, headers, body = side.request
            server = servers[side.server]
            cpu0, process0, pg0 = server.cpu(), time.process_time(), postgres_cpu(pgdata)
            run = run_wrk(
                url, method=method, headers=headers, body=body, duration=duration, connections=connections
            )
            side.cpu_s += server.cpu() - cpu0
            side.process_s += time.process_time() - process0
            side.postgres_s += postgres_cpu(pgdata) - pg0
            side.served += run.requests
            side.runs.append(run)

    def report(self) -> bool:
        """Print the row; True when it meets its goals."""
        ours = self.sides[0]
        best_ours = best(ours.runs)
        p99 = statistics.median(r.p99_ms for r in ours.runs)
        worst = max(r.p99_ms for r in ours.runs)
        print(
            f"{self.name:9} {ours.label:10} {best_ours.line()}  (p99: median {p99:.2f}, worst {worst:.2f} ms)"
        )
        ok = p99 <= P99_GOALS.get(self.name, float("inf")) and all(r.bad == 0 for r in ours.runs)
        for side in self.sides[1:]:
            base = best(side.runs)
            # Each round's ratio pairs runs a few seconds apart; the host's speed drifts over minutes.
            rounds = [o.rps / b.rps for o, b in zip(ours.runs, side.runs, strict=True) if b.rps]
            ratio = statistics.median(rounds) if rounds else 0.0
            spread = (
                f"median of {len(rounds)} rounds, {min(rounds, default=0):.2f}-{max(rounds, default=0):.2f}"
            )
            judged = side is self.sides[-1]
            print(f"{'':9} {side.label:10} {base.line()}")
            if judged:
                ok = ok and ratio >= GOALS[self.name]
                goal = f"goal >= {GOALS[self.name]}x" + (
                    f", p99 <= {P99_GOALS[self.name]:.0f} ms" if self.name in P99_GOALS else ""
                )
                print(f"{'':9} ratio {ratio:.2f}x, {spread}  ({goal})  {'PASS' if ok else 'FAIL'}")
            else:
                print(f"{'':9} ratio {ratio:.2f}x, {spread}  (not judged)")
            cpu = [s.per_request_us(s.cpu_s) for s in (ours, side)]
            process = [s.per_request_us(s.process_s) for s in (ours, side)]
            pg = [s.per_request_us(s.postgres_s) for s in (ours, side)]
            cpu_ratio = cpu[1] / cpu[0] if cpu[0] else 0.0
            print(
                f"{'':9} server CPU per request {cpu[0]:.1f} µs vs {cpu[1]:.1f} µs = {cpu_ratio:.2f}x"
                f" (server threads; whole process {process[0]:.0f} vs {process[1]:.0f} µs)"
            )
            if pg[0] or pg[1]:
                print(f"{'':9} PostgreSQL CPU per request {pg[0]:.0f} µs vs {pg[1]:.0f} µs")
        return ok


def best(runs: list[WrkResult]) -> WrkResult:
    """The round with the most requests/s (the least disturbed round: what the figures lines show)."""
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


async def same_database(url: str) -> tuple[str, int]:
    """A second migrated database on the same server, with one partner, for the same-statement baselines."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute('CREATE DATABASE "same"')
    finally:
        await conn.close()
    same_url = urlsplit(url)._replace(path="/same").geturl()
    await asyncio.to_thread(migrate.upgrade_sync, same_url)
    conn = await asyncpg.connect(same_url)
    try:
        partner = await accounts.partner_by_name(conn, "bench", create=True)
    finally:
        await conn.close()
    return same_url, int(partner["id"])


def main() -> int:
    """Measure every row and print the table; exit 1 with --strict when a goal is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per row (default 5)")
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
        same_url, same_partner = asyncio.run(same_database(url))
        with Served(app, daemon=True) as tw, Served(bare_app(url, same_url, same_partner)) as bare:
            tw.call(publish_pools(url, app, [0, 0], 1_000_000))  # no room: every entry waits
            admin, partner = asyncio.run(setup(url))
            ours, base = f"http://127.0.0.1:{tw.port}", f"http://127.0.0.1:{bare.port}"
            json_h = {"Content-Type": "application/json"}
            p_h = {"Authorization": f"Bearer {partner}"}
            a_h = {"Authorization": f"Bearer {admin}"}
            enqueue = json.dumps({"withdrawal_id": "w-%d", "user_id": "u1", "to_address": TO, "amount": "10"})
            rows = [
                Row("healthz", [Side("tronwatch", ("GET", f"{ours}/healthz", {}, ""), 0), Side.hello(base)]),
                Row("me", [Side("tronwatch", ("GET", f"{ours}/api/v1/me", p_h, ""), 0), Side.hello(base)]),
                Row(
                    "partners",
                    [
                        Side("tronwatch", ("GET", f"{ours}/api/v1/admin/partners", a_h, ""), 0),
                        Side("bare", ("GET", f"{base}/partners", {}, ""), 1),
                    ],
                ),
                Row(
                    "ticket",
                    [
                        Side(
                            "tronwatch",
                            ("POST", f"{ours}/api/v1/support/tickets", {**p_h, **json_h}, json.dumps(TICKET)),
                            0,
                        ),
                        Side("one INSERT", ("POST", f"{base}/insert", json_h, json.dumps(TICKET)), 1),
                        Side("same SQL", ("POST", f"{base}/same/ticket", json_h, json.dumps(TICKET)), 1),
                    ],
                ),
                Row(
                    "enqueue",
                    [
                        Side(
                            "tronwatch",
                            ("POST", f"{ours}/api/v1/energy/queue", {**p_h, **json_h}, enqueue),
                            0,
                        ),
                        Side("one INSERT", ("POST", f"{base}/insert", json_h, enqueue), 1),
                        Side("same SQL", ("POST", f"{base}/same/enqueue", json_h, enqueue), 1),
                    ],
                ),
            ]
            rows = [r for r in rows if not args.only or r.name in args.only]
            for round_no in range(args.rounds):
                for row in rows:
                    if row.name == "enqueue":  # a new withdrawal_id per round too
                        for side in row.sides:
                            side.request = (*side.request[:3], enqueue.replace("w-%d", f"w{round_no}-%d"))
                    row.measure(args.duration, args.connections, (tw, bare), tmp / "pg")
            runs = f"{args.rounds} alternating rounds (req/s, p50: the best round; ratio, p99: the median)"
            print(f"wrk -t1 -c{args.connections} -d{args.duration:.0f}s, {runs}")
            results = [row.report() for row in rows]
    ok = all(results)
    print("ALL PASS" if ok else "SOME FAIL")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
