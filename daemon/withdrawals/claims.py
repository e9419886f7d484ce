"""The executor protocol's claim and complete steps, shared by the HTTP routes and the demo executor."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from daemon.energy.quote import FALLBACK_ENERGY
from daemon.energy.snapshot import EnergySnapshot
from daemon.withdrawals import emergency_repo, emergency_service, queue_repo, queue_service
from daemon.withdrawals.deps import WithdrawalDeps
from daemon.withdrawals.models import ClaimedItem

QUEUE = "/api/v1/energy/queue"
EMERGENCY = "/api/v1/energy/emergency-withdrawal"
# A cap, not a price: the highest getEnergyFee mainnet ever had (docs/tron-nodes.md), used only before
# the first chain-parameter read, so a fee_limit is never too low for the energy a transfer needs.
MAX_HISTORIC_ENERGY_FEE = 420


def fee_limit(energy: int, energy_fee_sun: int | None, margin: float, cold_energy: int = 0) -> int:
    """Room for the worse of this transfer's estimate and a cold recipient's energy, times the margin.

    fee_limit caps the energy a call may use even when staked energy pays, and a recipient that
    empties its USDT balance before the send costs the cold figure: sized for the estimate alone,
    the transfer would fail OUT_OF_ENERGY and burn the pool's energy (docs/tron-nodes.md).
    """
    return math.ceil(max(energy, cold_energy) * (energy_fee_sun or MAX_HISTORIC_ENERGY_FEE) * margin)


def cold_recipient_energy(snap: EnergySnapshot) -> int:
    """Energy of a USDT transfer to an address holding none: the scraper's chain estimate, else 130,285."""
    return snap.quote.energy if snap.quote is not None else FALLBACK_ENERGY


async def claim(deps: WithdrawalDeps, partner_id: int, limit: int) -> list[ClaimedItem]:
    """Claim this partner's paid emergencies, then released entries, up to `limit` in all."""
    state, snap = deps.state, deps.snapshot()
    fee = snap.energy_fee_sun
    now, margin, cold = state.clock(), state.settings.fee_limit_margin, cold_recipient_energy(snap)
    expires = now + timedelta(seconds=state.settings.claim_timeout)
    limit = min(limit, state.settings.claim_limit)
    async with deps.pool.acquire() as conn, conn.transaction():
        emergencies = await emergency_repo.claim(conn, partner_id, limit, now)
        queued = (
            await queue_repo.claim(conn, partner_id, limit - len(emergencies), now)
            if limit > len(emergencies)
            else []
        )
    for _ in emergencies:
        state.metrics.emergency.labels("processing").inc()
    return [
        ClaimedItem(
            kind="emergency",
            id=r["id"],
            withdrawal_id=r["withdrawal_id"],
            user_id=r["user_id"],
            to_address=r["to_address"],
            amount=r["amount"],
            currency=r["currency"],
            from_address=r["pay_to"],
            pool=None,
            required_energy=r["energy_estimate"],
            # The price may have risen since the quote: the transfer must still not run out of energy.
            fee_limit_sun=fee_limit(r["energy_estimate"], max(r["energy_fee_sun"], fee or 0), margin, cold),
            claim_expires_at=expires,
            complete_url=f"{EMERGENCY}/{r['id']}/complete",
        )
        for r in emergencies
    ] + [
        ClaimedItem(
            kind="queue",
            id=r["id"],
            withdrawal_id=r["withdrawal_id"],
            user_id=r["user_id"],
            to_address=r["to_address"],
            amount=r["amount"],
            currency=r["currency"],
            from_address=r["from_address"],
            pool=r["pool_name"],
            required_energy=r["required_energy"],
            fee_limit_sun=fee_limit(r["required_energy"], fee, margin, cold),
            claim_expires_at=expires,
            complete_url=f"{QUEUE}/{r['id']}/complete",
        )
        for r in queued
    ]


async def complete_queued(deps: WithdrawalDeps, partner_id: int, entry_id: int, tx_hash: str) -> None:
    """Record the broadcast transfer of a claimed queue entry."""
    state = deps.state
    async with deps.pool.acquire() as conn, conn.transaction():
        await queue_service.complete(conn, partner_id, entry_id, tx_hash, state.clock())
    state.inflight_cache = None


async def complete_emergency(deps: WithdrawalDeps, partner_id: int, emergency_id: int, tx_hash: str) -> Any:
    """Record the broadcast transfer of a claimed emergency; counted once, when it first completes."""
    state = deps.state
    async with deps.pool.acquire() as conn, conn.transaction():
        row, newly = await emergency_service.complete(conn, partner_id, emergency_id, tx_hash, state.clock())
    if newly:
        state.metrics.emergency.labels("completed").inc()
    return row
