"""The payment watcher (leader job): scans payments, finishes 202-pending ones, expires quotes and claims."""

from __future__ import annotations

import logging
from datetime import timedelta

from daemon.jobs import Job
from daemon.withdrawals import emergency_repo, payments_repo, queue_repo, scanner
from daemon.withdrawals.binding import Quote
from daemon.withdrawals.deps import WithdrawalDeps
from daemon.withdrawals.payment import payment_row, verify

log = logging.getLogger(__name__)
BATCH = 100


async def cycle(deps: WithdrawalDeps) -> None:
    """One pass: scan for payments, verify submitted ones, then expiry and stale claims."""
    state = deps.state
    caught_up = await scanner.scan(deps)
    async with deps.pool.acquire() as conn:
        pending = await emergency_repo.verifying(conn, BATCH)
        own = await scanner.own_addresses(conn, state)
    for row in pending:
        verdict = await verify(deps.tron, row["trx_tx_hash"], Quote.of(row), own)
        if verdict.outcome == "pending":
            continue
        async with deps.pool.acquire() as conn, conn.transaction():
            if verdict.outcome == "paid":
                done = await emergency_repo.mark_paid(conn, row["id"], verdict.payer, state.clock())
                if done is not None:
                    await payments_repo.record(conn, [payment_row(done, verdict)], state.clock())
            else:
                done = await emergency_repo.reject_payment(conn, row["id"], verdict.reason or "rejected")
        if done is not None:
            state.metrics.emergency.labels(done["status"]).inc()
            log.info("emergency payment %s id=%d", verdict.outcome, row["id"])
    now = state.clock()
    claimed_before = now - timedelta(seconds=state.settings.claim_timeout)
    async with deps.pool.acquire() as conn:
        # Only once the scan has read every solid block: a payment made in time is never lost to lag.
        expired = await emergency_repo.expire(conn, now) if caught_up else 0
        await payments_repo.release_amounts(conn, now - timedelta(seconds=state.settings.amount_hold))
        returned = await queue_repo.return_stale(conn, claimed_before)
        returned_em = await emergency_repo.return_stale(conn, claimed_before)
    if expired:
        state.metrics.emergency.labels("expired").inc(expired)
    if returned or returned_em:
        state.inflight_cache = None
        state.poke()
        log.warning("stale claims returned queue=%d emergency=%d", returned, returned_em)


def job(deps: WithdrawalDeps) -> Job:
    """`payment-watcher` (leader): a pass every `watcher_interval` seconds."""
    state = deps.state

    async def once() -> None:
        await cycle(deps)

    return Job("payment-watcher", once, interval=lambda: state.settings.watcher_interval, leader=True)
