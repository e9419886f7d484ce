"""Queue operations: enqueue, read with live position and wait, cancel, claim, complete."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from daemon.db.types import Connection, Record
from daemon.energy.snapshot import EnergySnapshot
from daemon.errors import Conflict, NotFound
from daemon.tron.errors import TronError
from daemon.withdrawals import emergency_repo, queue_repo
from daemon.withdrawals.deps import WithdrawalDeps
from daemon.withdrawals.estimate import minutes
from daemon.withdrawals.models import QueueEntry, WithdrawalRequest
from daemon.withdrawals.state import WithdrawalState

log = logging.getLogger(__name__)
INFLIGHT_TTL = 1.0  # seconds: estimates may lag the dispatcher by this much, saving a query per request
_ENERGY_CACHE_MAX = 10_000


async def required_energy(deps: WithdrawalDeps, to_address: str) -> int:
    """Energy of this transfer (triggerconstantcontract from a pool); the configured figure if unknown."""
    state, tron, snap = deps.state, deps.tron, deps.snapshot()
    cached = state.energy_cache.get(to_address)
    if cached is not None:
        return cached
    owner = next((p.wallet_address for p in snap.pools if p.enabled and p.up), None)
    if tron is None or owner is None:
        return snap.transfer_energy  # node down or no pools: enqueue still works, conservatively
    try:
        async with asyncio.timeout(state.settings.estimate_timeout):
            energy = await tron.estimate_usdt_transfer_energy(owner, to_address, 1)
    except (TronError, TimeoutError, OSError, ValueError) as exc:
        log.info("transfer energy estimate failed, using the configured figure error=%s", exc)
        return snap.transfer_energy
    if energy <= 0:
        return snap.transfer_energy
    if len(state.energy_cache) >= _ENERGY_CACHE_MAX:
        state.energy_cache.clear()
    # A holder stays a holder for the life of this cache (an empty address may become one: only cheaper).
    state.energy_cache[to_address] = energy
    return energy


async def inflight(conn: Connection, state: WithdrawalState, snap: EnergySnapshot) -> dict[int, int]:
    """Energy per pool held by released/claimed entries and unseen completions (cached ~1 s)."""
    hit = state.inflight_cache
    now = time.monotonic()
    if hit is not None and hit[1] is snap and now - hit[0] < INFLIGHT_TTL:
        return hit[2]
    pools = [p for p in snap.pools if p.has_data]
    settle = timedelta(seconds=state.settings.settle_seconds)
    cutoffs = [p.last_scraped_at - settle for p in pools if p.last_scraped_at is not None]
    value = await queue_repo.inflight(conn, [p.id for p in pools], cutoffs)
    state.inflight_cache = (now, snap, value)
    return value


async def wait_seconds(
    conn: Connection, deps: WithdrawalDeps, energy_ahead: int, required: int
) -> int | None:
    """Wall seconds until an entry of `required` energy behind `energy_ahead` is released; None unknown."""
    state, snap = deps.state, deps.snapshot()
    held = await inflight(conn, state, snap)
    speed = deps.chain_speed()
    return state.estimator.wait_seconds(snap, held, energy_ahead, required, speed)


async def live_wait(
    conn: Connection, deps: WithdrawalDeps, ahead: int, energy_ahead: int, required: int
) -> tuple[int, int | None]:
    """(1-based FIFO position, minutes until release or None) for a waiting entry."""
    return ahead + 1, minutes(await wait_seconds(conn, deps, energy_ahead, required))


async def view(conn: Connection, deps: WithdrawalDeps, row: Any) -> QueueEntry:
    """The API view of an entry row (with `ahead`/`energy_ahead` when waiting)."""
    position = wait = None
    if row["status"] == "waiting":
        position, wait = await live_wait(
            conn, deps, row["ahead"], row["energy_ahead"], row["required_energy"]
        )
    return _entry(dict(row), position, wait)


_ENTRY_FIELDS = frozenset(QueueEntry.model_fields)


def _entry(data: dict[str, Any], position: int | None, wait: int | None) -> QueueEntry:
    fields = {k: v for k, v in data.items() if k in _ENTRY_FIELDS}
    fields.update(queue_position=position, estimated_wait_time=wait, pool=data.get("pool_name"))
    return QueueEntry(**fields)


def _same(row: Record, body: WithdrawalRequest, user_id: str) -> bool:
    return bool(
        row["to_address"] == body.to_address and row["amount"] == body.amount and row["user_id"] == user_id
    )


async def enqueue(
    conn: Connection, deps: WithdrawalDeps, partner_id: int, body: WithdrawalRequest, required: int
) -> tuple[int, QueueEntry]:
    """201 and the new entry, or 200 and the existing one for a retry of the same withdrawal."""
    state = deps.state
    row = await queue_repo.insert(
        conn,
        partner_id,
        body.user_id,
        body.withdrawal_id,
        body.to_address,
        body.amount,
        required,
        state.clock(),
        await state.waiting.base(conn),
    )
    if row is not None:
        return 201, await view(conn, deps, row)
    live = await emergency_repo.live_for(conn, partner_id, body.withdrawal_id)
    if live is not None:
        raise _emergency_conflict(live)
    existing = await queue_repo.get_by_withdrawal(conn, partner_id, body.withdrawal_id)
    if existing is None:  # deleted with its partner in between; nothing sensible to return
        raise Conflict("this withdrawal changed concurrently; retry", field="withdrawal_id")
    if not _same(existing, body, body.user_id):
        raise Conflict("this withdrawal_id was queued with other details", field="withdrawal_id")
    if existing["status"] == "cancelled" and await emergency_repo.any_for(
        conn, partner_id, body.withdrawal_id
    ):
        # Its emergency quote expired unpaid: the user chose to wait after all.
        async with conn.transaction():
            back = await queue_repo.requeue(conn, partner_id, body.withdrawal_id, state.clock())
        if back is not None:
            full = await queue_repo.get(conn, partner_id, back)
            return 201, await view(conn, deps, full)
        live = await emergency_repo.live_for(conn, partner_id, body.withdrawal_id)
        if live is not None:  # a new emergency won the race
            raise _emergency_conflict(live)
        existing = await queue_repo.get_by_withdrawal(conn, partner_id, body.withdrawal_id)
        assert existing is not None  # queue rows go only with their partner
    full = await queue_repo.get(conn, partner_id, existing["id"])
    return 200, await view(conn, deps, full)


def _emergency_conflict(live: Any) -> Conflict:
    if live["status"] in ("pending_trx_payment", "verifying"):
        return Conflict(
            f"this withdrawal has an emergency withdrawal ({live['status']}); it can queue once that quote "
            f"expires unpaid at {live['quote_expires_at'].isoformat()}",
            field="withdrawal_id",
        )
    return Conflict(
        f"this withdrawal is an emergency withdrawal ({live['status']}): it is sent that way, not queued",
        field="withdrawal_id",
    )


async def is_retry(conn: Connection, partner_id: int, body: WithdrawalRequest) -> bool:
    """Whether enqueueing `body` would only return its stored entry (no new work to rate-limit)."""
    row = await queue_repo.get_by_withdrawal(conn, partner_id, body.withdrawal_id)
    if row is None or not _same(row, body, body.user_id):
        return False
    # A cancelled row with an emergency is new work (re-queued) or a 409, never a stored answer.
    return row["status"] != "cancelled" or not await emergency_repo.any_for(
        conn, partner_id, body.withdrawal_id
    )


async def get(conn: Connection, deps: WithdrawalDeps, partner_id: int, entry_id: int) -> QueueEntry:
    """One entry of this partner (404 for others')."""
    row = await queue_repo.get(conn, partner_id, entry_id)
    if row is None:
        raise NotFound(f"no queue entry {entry_id}")
    return await view(conn, deps, row)


async def cancel(conn: Connection, deps: WithdrawalDeps, partner_id: int, entry_id: int) -> QueueEntry:
    """Cancel while waiting; 409 once released (the executor may be sending it)."""
    row = await queue_repo.lock(conn, partner_id, entry_id)
    if row is None:
        raise NotFound(f"no queue entry {entry_id}")
    if row["status"] not in ("waiting", "cancelled"):
        raise Conflict(f"the entry is {row['status']}; only waiting entries can be cancelled")
    if await queue_repo.set_status(conn, entry_id, "cancelled", only_from="waiting"):
        deps.state.waiting.invalidate()
    return await get(conn, deps, partner_id, entry_id)


async def complete(
    conn: Connection, partner_id: int, entry_id: int, tx_hash: str, now: datetime
) -> dict[str, Any]:
    """Record the executor's transfer; repeating the same hash is fine, another hash is 409."""
    row = await queue_repo.lock(conn, partner_id, entry_id)
    if row is None:
        raise NotFound(f"no queue entry {entry_id}")
    if row["status"] == "completed":
        if row["tx_hash"] != tx_hash:
            raise Conflict("the entry was completed with another transaction", field="tx_hash")
        return dict(row)
    # A late completion of a claim that timed out still wins: the transfer happened, never send it twice.
    if row["status"] == "cancelled" or row["claim_count"] == 0:
        raise Conflict(f"the entry is {row['status']} and was never claimed", field="tx_hash")
    done = await queue_repo.complete(conn, partner_id, entry_id, tx_hash, now)
    assert done is not None  # the row is locked by this transaction
    return dict(done)


async def queue_position(
    deps: WithdrawalDeps, partner_id: int, user_id: str
) -> tuple[int, int | None] | None:
    """The user's oldest waiting withdrawal: (FIFO position, minutes) — for GET /energy/status."""
    async with deps.pool.acquire() as conn:
        row = await queue_repo.user_waiting(conn, partner_id, user_id)
        if row is None:
            return None
        return await live_wait(conn, deps, row["ahead"], row["energy_ahead"], row["required_energy"])
