"""The payment scan: solidified blocks, from a persisted cursor, settle the quotes their transfers pay."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeGuard

from daemon.db.types import Connection
from daemon.tron import blocks
from daemon.tron.blocks import Transfer, hex_address
from daemon.tron.client import TronClient
from daemon.tron.errors import TronError
from daemon.withdrawals import payments_repo
from daemon.withdrawals.binding import STEP, Decision, Matcher, Quote, b58
from daemon.withdrawals.deps import WithdrawalDeps
from daemon.withdrawals.state import WithdrawalState

log = logging.getLogger(__name__)
FETCH_AHEAD = 8  # blocks fetched at once while catching up


async def own_addresses(conn: Connection, state: WithdrawalState) -> frozenset[str]:
    """The gateway's own wallets (hex): pools, pay_to and the operator's; their transfers pay nothing."""
    wallets = [*await payments_repo.own_wallets(conn), *state.settings.operator_addresses]
    if state.pay_to is not None:
        wallets.append(state.pay_to)
    return frozenset(hex_address(w) for w in wallets)


async def scan(deps: WithdrawalDeps) -> bool:
    """Scan new solid blocks (at most `scan_max_blocks`); True once caught up with the solid head."""
    state = deps.state
    tron, pay_to = deps.tron, state.pay_to
    if tron is None or pay_to is None:
        return True
    try:
        head = await blocks.solid_head(tron)
    except (TronError, TimeoutError, OSError) as exc:
        log.warning("payment scan: no solid head error=%s", exc)
        return False
    top = blocks.block_number(head)
    async with deps.pool.acquire() as conn:
        done = await payments_repo.cursor(conn, pay_to)
        if done is None:  # first scan of this pay_to: from the oldest quote that can still be paid
            oldest = await payments_repo.oldest_held_block(conn, pay_to)
            done = top if oldest is None else min(top, oldest)
            await payments_repo.move_cursor(conn, pay_to, done, state.clock())
        own = await own_addresses(conn, state)
    last = min(top, done + state.settings.scan_max_blocks)
    recipients = frozenset({hex_address(pay_to)})
    number = done + 1
    while number <= last:
        batch = list(range(number, min(last, number + FETCH_AHEAD - 1) + 1))
        # Every fetch runs to its end (no request left behind); the first failure stops this run there.
        got = await asyncio.gather(*(_fetch(tron, n, head, top) for n in batch), return_exceptions=True)
        for n, block in zip(batch, got, strict=True):
            if isinstance(block, TronError | TimeoutError | OSError):
                log.warning("payment scan stopped at block=%d error=%s", n, block)
                return False
            if isinstance(block, BaseException):
                raise block
            if block is None:  # not served as solid (a lagging solidity node): next run
                return False
            found = [t for t in blocks.transfers_to(block, recipients) if t.owner not in own]
            if found:
                await settle_block(deps, pay_to, n, found)
        async with deps.pool.acquire() as conn:
            await payments_repo.move_cursor(conn, pay_to, batch[-1], state.clock())
        state.metrics.scan_block.set(batch[-1])
        number = batch[-1] + 1
    return last == top


async def _fetch(tron: TronClient, number: int, head: dict[str, Any], top: int) -> dict[str, Any] | None:
    return head if number == top else await blocks.solid_block(tron, number)


async def settle_block(
    deps: WithdrawalDeps, pay_to: str, number: int, transfers: list[Transfer]
) -> list[Decision]:
    """In one transaction: settle what the block's transfers pay, record the rest, move the cursor past it."""
    state = deps.state
    now = state.clock()
    async with deps.pool.acquire() as conn, conn.transaction():
        cursor = await payments_repo.cursor(conn, pay_to, lock=True)
        if cursor is not None and cursor >= number:  # another leader's pass got here first
            return []
        bound = await payments_repo.bound_hashes(conn, [t.txid for t in transfers])
        fresh = [t for t in transfers if t.txid not in bound]
        matcher = Matcher(await _candidates(conn, pay_to, fresh))
        decisions = [matcher.decide(t) for t in fresh]
        wanted = [
            (d.quote.id, d.transfer.txid, b58(d.transfer.owner)) for d in decisions if _settles(d.quote, d)
        ]
        settled = await payments_repo.settle(conn, wanted, now) if wanted else set()
        decisions = [_lost(d) if _settles(d.quote, d) and d.quote.id not in settled else d for d in decisions]
        rows = [_row(d, pay_to) for d in decisions]
        await payments_repo.record(conn, rows, now)
        await payments_repo.move_cursor(conn, pay_to, number, now)
    for d in decisions:
        state.metrics.payments.labels(d.status).inc()
        log.info(
            "payment seen tx=%s status=%s emergency=%s", d.transfer.txid, d.status, d.quote and d.quote.id
        )
    if settled:
        state.metrics.emergency.labels("paid").inc(len(settled))
    return decisions


async def _candidates(conn: Connection, pay_to: str, transfers: list[Transfer]) -> list[Quote]:
    """The held quotes these transfers can concern: by exact amount or payer, then by tag for the rest."""
    payers = list({b58(t.owner) for t in transfers})
    rows = await payments_repo.held_quotes(conn, pay_to, [t.amount for t in transfers], payers)
    quotes = {r["id"]: Quote.of(r) for r in rows}
    exact = {q.pay_amount_sun: q.quote_block for q in quotes.values()}
    tags = list({t.amount % STEP for t in transfers if not exact.get(t.amount, t.block) < t.block})
    if tags:
        tagged = await payments_repo.held_by_tag(conn, pay_to, tags)
        quotes.update((r["id"], Quote.of(r)) for r in tagged)
    return list(quotes.values())


def _settles(quote: Quote | None, d: Decision) -> TypeGuard[Quote]:
    return d.status == "settled" and quote is not None


def _lost(d: Decision) -> Decision:
    # The quote changed since it was read (paid or expired a moment ago): the payment is kept on record.
    return Decision(d.transfer, "duplicate", d.quote, "the quote was no longer awaiting payment")


def _row(d: Decision, pay_to: str) -> tuple[Any, ...]:
    t = d.transfer
    emergency = d.quote.id if d.quote is not None else None
    return (t.txid, pay_to, b58(t.owner), t.amount, t.block, emergency, d.status, d.detail, "scan")
