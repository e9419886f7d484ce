"""POST /api/v1/support/tickets at 32 concurrent clients vs raw asyncpg inserts, same run, same database.

Issue 7 figure: >= 800 requests/s and p99 <= 50 ms; the ratio to the raw insert rate is printed, no
longer judged (issue 18 replaced it with bench/http_wrk.py's like-for-like ratio under wrk). Starts an
embedded PostgreSQL, serves create_app + the support endpoints (as daemon/app.py wires them) in a
thread, and alternates rounds of (a) HTTP creates from a spawned load process (auth, JSON, validation,
classification, the Idempotency-Key path, one INSERT ... RETURNING with the `created` event) and (b) the
same ticket rows inserted straight through an asyncpg pool of the app's size from 32 tasks.

    .venv/bin/python bench/ticket_create.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
from loadgen import LoadResult, combine, in_process
from prometheus_client import CollectorRegistry
from served import NO_RATE_LIMITS, Served

from daemon import accounts
from daemon.app import create_app
from daemon.config import load_settings
from daemon.db import migrate
from daemon.db.connect import keep_session
from daemon.db.embedded import EmbeddedPostgres

MIN_RPS, MAX_P99_MS = 800.0, 50.0
POOL_MAX = 10
TITLES = [
    ("출금 불가 긴급", "현재 모든 고객 출금이 불가능합니다. 출금 요청이 전부 실패하고 있습니다."),
    ("Webhook callbacks not arriving", "We stopped receiving deposit webhooks around 09:10 KST."),
    ("Invoice for October is wrong", "Our invoice charges 1,250 USDT but the contract says 800 USDT."),
    ("에너지 풀 임계치 변경", "에너지 사용률 90% 경고를 85%로 낮추고 싶습니다. 가능한가요?"),
    ("Add a second admin user", "Please add our operations lead as an admin on our account."),
    ("Dashboard shows impossible numbers", "The Grafana panel for pool usage shows 120% for pool-beta."),
]


def bodies() -> list[bytes]:
    """Request bodies the load cycles through (real classification work, ko and en)."""
    return [json.dumps({"title": t, "description": d}).encode() for t, d in TITLES]


async def _post_load(url: str, headers: dict[str, str], duration: float, connections: int) -> LoadResult:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures, payloads = 0, bodies()
    connector = aiohttp.TCPConnector(limit=connections)
    hdrs = {**headers, "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector, headers=hdrs) as session:
        start = time.perf_counter()
        deadline = start + duration

        async def worker(n: int) -> None:
            nonlocal failures
            i = n
            while (t0 := time.perf_counter()) < deadline:
                i += 1
                try:
                    async with session.post(url, data=payloads[i % len(payloads)]) as resp:
                        await resp.read()
                        status = resp.status
                except (aiohttp.ClientError, TimeoutError, OSError):
                    failures += 1
                    continue
                statuses[status] = statuses.get(status, 0) + 1
                if status < 400:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - start
    return LoadResult.of(latencies, errors=failures, elapsed=elapsed, statuses=statuses)


def run_post_load(url: str, *, headers: dict[str, str], duration: float, connections: int) -> LoadResult:
    """POST ticket bodies with `connections` workers for `duration` s, from a spawned process."""
    return in_process(_post_load, url, headers, duration, connections, timeout=duration + 60)


class ServedSupport(Served):
    """The full app (support routes included) on a free port, in its own thread and event loop."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        settings = load_settings(
            None,
            environ={},
            overrides={
                "database": {"url": database_url, "run_migrations": False, "pool_max": POOL_MAX},
                "data_dir": str(data_dir),
                "security": NO_RATE_LIMITS,
            },
        )
        super().__init__(create_app(settings, database_url=database_url, registry=CollectorRegistry()))


@contextmanager
def bench_database(prefix: str) -> Iterator[tuple[str, Path]]:
    """A migrated database on a fresh embedded PostgreSQL: (url, scratch directory)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = EmbeddedPostgres(Path(tmp))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.start()
        try:

            async def create() -> None:
                conn = await asyncpg.connect(server.url("postgres"))
                await conn.execute('CREATE DATABASE "bench"')
                await conn.close()

            asyncio.run(create())
            url = server.url("bench")
            migrate.upgrade_sync(url)
            yield url, Path(tmp)
        finally:
            server.stop()


async def partner_key(url: str, name: str = "bench") -> tuple[str, int]:
    """A partner (created) and its key."""
    conn = await asyncpg.connect(url)
    try:
        partner = await accounts.partner_by_name(conn, name, create=True)
        new = await accounts.create_key(conn, role="partner", partner_id=partner["id"])
    finally:
        await conn.close()
    return new.secret, partner["id"]


RAW_INSERT = (
    "INSERT INTO support_tickets (partner_id, title, description, attachments, category, category_source, "
    "priority, priority_source, status, created_at, updated_at, last_activity_at, first_response_due_at, "
    "resolution_due_at, awaiting_reply_since) "
    "VALUES ($1, $2, $3, '[]', 'withdrawal', 'auto', 'critical', 'auto', 'open', $4, $4, $4, $5, $6, $4)"
)


async def raw_inserts(url: str, partner_id: int, duration: float, connections: int) -> LoadResult:
    """The baseline: one INSERT per ticket from `connections` tasks through a pool of the app's size."""
    # The same pool setup as the app (no reset query on release), so the baseline is not handicapped.
    pool = await asyncpg.create_pool(url, min_size=POOL_MAX, max_size=POOL_MAX, reset=keep_session)
    latencies: list[float] = []
    deadline = time.perf_counter() + duration

    async def worker(n: int) -> None:
        i = n
        while (t0 := time.perf_counter()) < deadline:
            i += 1
            title, desc = TITLES[i % len(TITLES)]
            now = datetime.now(UTC)
            async with pool.acquire() as conn:
                await conn.execute(
                    RAW_INSERT,
                    partner_id,
                    title,
                    desc,
                    now,
                    now + timedelta(hours=1),
                    now + timedelta(hours=4),
                )
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return LoadResult.of(latencies, errors=0, elapsed=elapsed, statuses={201: len(latencies)})


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def main() -> int:
    """Measure and print; exit 1 with --strict when a target is missed."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per side (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds sharing the duration")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    print(
        f"ticket_create: {os.cpu_count()} CPUs, Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}; {args.connections} connections, {args.duration:g} s per side in "
        f"{args.rounds} alternating rounds; pool {POOL_MAX} connections on both sides"
    )
    with bench_database("tw-bench-ticket-") as (url, tmp), ServedSupport(url, tmp) as served:
        key, partner_id = asyncio.run(partner_key(url))
        endpoint = f"http://127.0.0.1:{served.port}/api/v1/support/tickets"
        headers = {"Authorization": f"Bearer {key}"}
        run_post_load(endpoint, headers=headers, duration=2, connections=args.connections)  # warm-up
        asyncio.run(raw_inserts(url, partner_id, 1, args.connections))
        http_rounds, raw_rounds = [], []
        per = args.duration / args.rounds
        for i in range(args.rounds):
            order = ("raw", "http") if i % 2 == 0 else ("http", "raw")
            for side in order:
                if side == "raw":
                    raw_rounds.append(asyncio.run(raw_inserts(url, partner_id, per, args.connections)))
                else:
                    http_rounds.append(
                        run_post_load(endpoint, headers=headers, duration=per, connections=args.connections)
                    )
    for i, (r, h) in enumerate(zip(raw_rounds, http_rounds, strict=True), 1):
        print(f"  round {i}: raw asyncpg INSERT   {r}")
        print(f"  round {i}: POST /support/tickets {h}")
    raw, http = combine(raw_rounds), combine(http_rounds)
    ratio = http.rps / raw.rps if raw.rps else 0.0
    ok_rps, ok_p99 = http.rps >= MIN_RPS, http.p99_ms <= MAX_P99_MS
    print(f"  raw asyncpg INSERT (baseline)  {raw}")
    print(f"  POST /api/v1/support/tickets   {http}")
    print(f"  requests/s                     {http.rps:.0f}  (target >= {MIN_RPS:.0f})   {verdict(ok_rps)}")
    p99 = f"{http.p99_ms:.2f} ms  (target <= {MAX_P99_MS:g} ms)"
    print(f"  p99                            {p99}   {verdict(ok_p99)}")
    print(f"  ratio HTTP ÷ raw insert        {ratio:.3f}  (not judged: see bench/http_wrk.py)")
    ok = ok_rps and ok_p99 and http.errors == 0
    print(f"ticket_create: {verdict(ok)}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
