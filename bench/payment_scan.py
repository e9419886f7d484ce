"""The payment scan: settle 1,000 quotes from one block (target <= 2 s); keep up with 3 s blocks (< 10 % CPU).

Issue 12 figures. Embedded PostgreSQL and the app without a TRON node; a bare aiohttp server in
another thread plays the solidity node, serving pre-built blocks in java-tron's JSON shape (hex
addresses). Quotes are inserted by COPY, each holding its exact amount.

1. One solid block with 1,000 TransferContracts to pay_to, each paying one of 1,000 open quotes:
   one `scanner.scan` (HTTP fetch, parse, match, settle, record, cursor) until all are paid.
2. 20 blocks of 300 transfers: every transfer to pay_to paying a quote (worst case), and 300
   transfers to other addresses (a mainnet-like block): the app thread's CPU per block ÷ 3 s.

Baseline, same run: a bare loop that `json.loads` the same block bytes and reads each
transaction's type, owner, recipient and amount (what any scanner must at least do).

    .venv/bin/python bench/payment_scan.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from _withdrawals import build_app
from aiohttp import web
from prometheus_client import CollectorRegistry
from served import Served
from ticket_create import bench_database, partner_key, verdict
from tronpy import keys

from daemon import keys as app_keys
from daemon.tron.client import TronClient
from daemon.tron.options import TronClientOptions
from daemon.withdrawals import scanner
from daemon.withdrawals.deps import withdrawal_deps
from daemon.withdrawals.state import withdrawal_state

PAY_TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
PAY_TO_HEX = keys.to_hex_address(PAY_TO)
SETTLE_TARGET_S = 2.0
CPU_TARGET = 0.10
BLOCK_S = 3.0
FIRST = 1_000_000  # block numbers used by the bench


def tx_json(to_hex: str, amount: int) -> dict[str, Any]:
    """One TransferContract as java-tron prints it in a block (visible=false)."""
    return {
        "ret": [{"contractRet": "SUCCESS"}],
        "signature": [secrets.token_hex(65)],
        "txID": secrets.token_hex(32),
        "raw_data": {
            "ref_block_bytes": "a1b2",
            "ref_block_hash": secrets.token_hex(8),
            "expiration": 1_800_000_060_000,
            "contract": [
                {
                    "parameter": {
                        "value": {"amount": amount, "owner_address": "41" + secrets.token_hex(20),
                                  "to_address": to_hex},
                        "type_url": "type.googleapis.com/protocol.TransferContract",
                    },
                    "type": "TransferContract",
                }
            ],
            "timestamp": 1_800_000_000_000,
        },
        "raw_data_hex": secrets.token_hex(110),
    }  # fmt: skip


def block_bytes(number: int, txs: list[dict[str, Any]]) -> bytes:
    """A block's JSON body."""
    raw = {
        "number": number,
        "txTrieRoot": secrets.token_hex(32),
        "timestamp": 1_800_000_000_000,
        "parentHash": secrets.token_hex(32),
        "witness_address": "41" + secrets.token_hex(20),
        "version": 32,
    }
    header = {"raw_data": raw, "witness_signature": secrets.token_hex(65)}
    return json.dumps({"blockID": f"{number:016x}" + secrets.token_hex(24), "block_header": header,
                       "transactions": txs}, separators=(",", ":")).encode()  # fmt: skip


def bare_parse(body: bytes) -> int:
    """The baseline: parse and read every transfer's fields."""
    n = 0
    for tx in json.loads(body).get("transactions", ()):
        c = tx["raw_data"]["contract"][0]
        v = c["parameter"]["value"]
        if c["type"] == "TransferContract" and v["to_address"] and v["owner_address"] and v["amount"] > 0:
            n += 1
    return n


class FakeSolidity:
    """getnowblock / getblockbynum from pre-built bodies."""

    def __init__(self) -> None:
        self.blocks: dict[int, bytes] = {}
        self.head = 0
        self.app = web.Application()
        self.app.router.add_post("/walletsolidity/getnowblock", self._now)
        self.app.router.add_post("/walletsolidity/getblockbynum", self._by_num)

    async def _now(self, request: web.Request) -> web.Response:
        # The daemon may ask before the bench has built its first block: an empty answer, not a 500.
        return web.Response(body=self.blocks.get(self.head, b"{}"), content_type="application/json")

    async def _by_num(self, request: web.Request) -> web.Response:
        num = int((await request.json())["num"])
        return web.Response(body=self.blocks.get(num, b"{}"), content_type="application/json")


async def add_quotes(url: str, partner_id: int, amounts: list[int], quote_block: int, prefix: str) -> None:
    """Open quotes holding these exact amounts."""
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "emergency_withdrawals",
            columns=["partner_id", "user_id", "withdrawal_id", "to_address", "amount", "currency",
                     "energy_estimate", "energy_fee_sun", "bandwidth_bytes", "bandwidth_sun", "fee_sun",
                     "trx_fee_amount", "pay_to", "quote_block", "quote_expires_at", "created_at",
                     "pay_amount_sun", "amount_held"],
            records=[(partner_id, f"u{i}", f"{prefix}{i}", PAY_TO, 1, "USDT", 130_285, 100, 345, 345_000,
                      13_373_500, 13.3735, PAY_TO, quote_block, now + timedelta(hours=1), now, a, True)
                     for i, a in enumerate(amounts)],
        )  # fmt: skip
        await conn.execute("ANALYZE emergency_withdrawals")
    finally:
        await conn.close()


async def set_cursor(url: str, block: int) -> None:
    """The scan has read up to `block`."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO payment_scan_cursor VALUES ($1, $2, now()) ON CONFLICT (pay_to) DO UPDATE "
            "SET block_number = $2",
            PAY_TO,
            block,
        )
    finally:
        await conn.close()


async def paid(url: str, prefix: str) -> int:
    """Quotes of this batch that are paid."""
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM emergency_withdrawals WHERE status = 'paid' AND withdrawal_id LIKE $1",
                prefix + "%",
            )
        )
    finally:
        await conn.close()


async def timed_scan(app: web.Application) -> tuple[float, float, bool]:
    """(wall s, this thread's CPU s, caught up) of one scan on the app's loop."""
    w0, c0 = time.perf_counter(), time.thread_time()
    caught_up = await scanner.scan(app[withdrawal_deps])
    return time.perf_counter() - w0, time.thread_time() - c0, caught_up


def amounts(n: int, start: int) -> list[int]:
    """`n` distinct exact amounts."""
    return [start + i * 7 + 1 for i in range(n)]


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quotes", type=int, default=1000)
    parser.add_argument("--per-block", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=20)
    args = parser.parse_args()
    fake = FakeSolidity()
    with bench_database("tw-bench-payscan-") as (url, tmp), Served(fake.app) as node:
        _, partner_id = asyncio.run(partner_key(url))
        app = build_app(url, tmp, dispatch_interval=3600, watcher_interval=3600, demo_executor=False,
                        scan_max_blocks=args.blocks)  # fmt: skip
        with Served(app) as served:
            options = TronClientOptions(network=f"http://127.0.0.1:{node.port}/", rps=0, timeout=30)
            app[app_keys.runtime].tron = TronClient(options, registry=CollectorRegistry())
            app[withdrawal_state].pay_to = PAY_TO

            # 1. One block, 1,000 transfers, 1,000 quotes.
            big = amounts(args.quotes, 13_380_000)
            asyncio.run(add_quotes(url, partner_id, big, FIRST - 10, "big"))
            fake.blocks[FIRST] = block_bytes(FIRST, [tx_json(PAY_TO_HEX, a) for a in big])
            fake.head = FIRST
            asyncio.run(set_cursor(url, FIRST - 1))
            base0 = time.perf_counter()
            assert bare_parse(fake.blocks[FIRST]) == args.quotes
            base_big = time.perf_counter() - base0
            big_s, _, _ = served.call(timed_scan(app))
            settled = asyncio.run(paid(url, "big"))

            # 2. Steady state: blocks of 300 transfers, all paying quotes; then 300 to other addresses.
            start = FIRST + 1
            per = args.per_block
            steady = amounts(per * args.blocks, 20_000_000)
            asyncio.run(add_quotes(url, partner_id, steady, FIRST, "st"))
            for b in range(args.blocks):
                chunk = steady[b * per : (b + 1) * per]
                fake.blocks[start + b] = block_bytes(start + b, [tx_json(PAY_TO_HEX, a) for a in chunk])
            fake.head = start + args.blocks - 1
            pay_wall, pay_cpu, caught = served.call(timed_scan(app))
            steady_paid = asyncio.run(paid(url, "st"))
            start2 = fake.head + 1
            for b in range(args.blocks):
                other = [tx_json("41" + secrets.token_hex(20), 1_000_000 + b) for _ in range(per)]
                fake.blocks[start2 + b] = block_bytes(start2 + b, other)
            fake.head = start2 + args.blocks - 1
            other_wall, other_cpu, caught2 = served.call(timed_scan(app))
            c0 = time.thread_time()
            for b in range(args.blocks):
                bare_parse(fake.blocks[start + b])
            base_cpu = (time.thread_time() - c0) / args.blocks

    n, blocks = args.quotes, args.blocks
    pay_share, other_share = pay_cpu / blocks / BLOCK_S, other_cpu / blocks / BLOCK_S
    print(
        f"payment_scan: {n} quotes settled from one block of {n} transfers; "
        f"{blocks} blocks of {per} transfers"
    )
    print(f"  bare json.loads + field loop, {n}-tx block (baseline)  {base_big:.3f} s")
    print(
        f"  scan settled {settled}/{n}                                {big_s:.3f} s  "
        f"(target <= {SETTLE_TARGET_S:g} s)"
    )
    print(f"  ratio scan ÷ bare parse                             {big_s / base_big:.1f}")
    print(
        f"  {per}-tx block, all paying quotes: app CPU {pay_cpu / blocks * 1000:.1f} ms/block = "
        f"{pay_share:.1%} of one core at 3 s blocks; wall {pay_wall / blocks * 1000:.1f} ms/block; "
        f"paid {steady_paid}/{per * blocks}"
    )
    print(
        f"  {per}-tx block, none to pay_to:    app CPU {other_cpu / blocks * 1000:.1f} ms/block = "
        f"{other_share:.1%} of one core; wall {other_wall / blocks * 1000:.1f} ms/block"
    )
    print(
        f"  bare parse of a {per}-tx block (baseline) CPU {base_cpu * 1000:.1f} ms; ratio all-paying ÷ bare "
        f"{pay_cpu / blocks / base_cpu:.1f}, none-to-pay_to ÷ bare {other_cpu / blocks / base_cpu:.1f}"
    )
    ok = (
        settled == n
        and big_s <= SETTLE_TARGET_S
        and steady_paid == per * blocks
        and caught
        and caught2
        and pay_share < CPU_TARGET
        and other_share < CPU_TARGET
    )
    print(f"payment_scan: {verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
