"""Demo mode's story: a busy spell drains the pools, withdrawals queue, a partner writes in; then recovery
and the queued withdrawals are sent."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from daemon import accounts
from daemon.autopilot.policy import AutopilotState
from daemon.demo.bootstrap import DEMO_PARTNER
from daemon.demo.settings import DemoSettings
from daemon.devnode.resources import energy_limit_of, energy_used
from daemon.energy.snapshot import EnergySnapshot
from daemon.energy.status import sufficiency
from daemon.jobs import Job
from daemon.support import repo, service
from daemon.support.models import TicketCreate
from daemon.support.state import SupportState
from daemon.tron.addresses import b58
from daemon.withdrawals import queue_service
from daemon.withdrawals.deps import WithdrawalDeps
from daemon.withdrawals.models import WithdrawalRequest

log = logging.getLogger(__name__)

SAMPLE_TICKET = {
    "title": "출금이 지연되고 있습니다 / Withdrawals are delayed",
    "description": (
        "고객 출금이 30분째 대기 중입니다. 에너지 부족 때문인가요? 긴급히 확인 부탁드립니다.\n"
        "Customer withdrawals have been waiting for 30 minutes. Is energy short? Please check urgently."
    ),
}


@dataclass(frozen=True, slots=True)
class StoryDeps:
    """What the story drives and reads: the devnode, the withdrawal queue, the support desk, the autopilot."""

    cfg: DemoSettings
    node: Any  # the in-process Devnode
    withdrawals: WithdrawalDeps  # also the pool and the energy snapshot
    support: SupportState
    team: tuple[list[str], str]  # (receivers told of new tickets, external URL for links)
    autopilot: AutopilotState
    transfer_energy: int  # energy.transfer_energy
    quiet_rate: float  # tron.devnode_traffic_per_hour, the traffic between busy spells


async def _until(deps: StoryDeps, done: Callable[[EnergySnapshot], bool]) -> None:
    def reached() -> bool:
        snap = deps.withdrawals.snapshot()
        return bool(snap.pools) and not snap.stale() and done(snap)

    while not reached():
        await asyncio.sleep(deps.cfg.poll_seconds)


async def sample_ticket(deps: StoryDeps) -> int | None:
    """The demo partner's ticket about delayed withdrawals, once per database; its id (None: had one)."""
    state = deps.support
    async with deps.withdrawals.pool.acquire() as conn:
        partner = await accounts.partner_by_name(conn, DEMO_PARTNER, create=True)
        if await repo.partner_has_tickets(conn, partner["id"]):
            return None
        actor = service.Actor("partner", partner["id"])
        body = TicketCreate(**SAMPLE_TICKET)
        row = await service.create_ticket(
            conn, actor, body, state.clock(), state.settings, state.rules, *deps.team
        )
    state.metrics.created.labels(row["category"], row["priority"]).inc()
    state.touched()
    log.info("demo: %s opened ticket id=%s priority=%s", DEMO_PARTNER, row["id"], row["priority"])
    return int(row["id"])


async def queue_withdrawals(deps: StoryDeps, count: int) -> None:
    """The demo gateway queues withdrawals as its API calls would; the demo executor sends them later."""
    users = [a for a in deps.node.chain.accounts.values() if not a.pool]
    queue = deps.withdrawals
    pool = queue.pool
    async with pool.acquire() as conn:
        partner = await accounts.partner_by_name(conn, DEMO_PARTNER, create=True)
    round_id = int(time.time())
    for i in range(count):
        user = users[i % len(users)]
        body = WithdrawalRequest(
            withdrawal_id=f"demo-{round_id}-{i}",
            user_id=user.name,
            to_address=b58(user.address),
            amount=Decimal("25"),
        )
        required = await queue_service.required_energy(queue, body.to_address)
        async with pool.acquire() as conn:
            _, entry = await queue_service.enqueue(conn, queue, partner["id"], body, required)
        log.info(
            "demo: withdrawal queued id=%s user=%s position=%s wait_minutes=%s",
            entry.id,
            user.name,
            entry.queue_position,
            entry.estimated_wait_time,
        )
    queue.state.poke()


def _spent(node: Any, name: str, transfer_energy: int) -> bool:
    """Whether the simulated pool can no longer fund a transfer (the devnode's own books, not a scrape)."""
    chain = node.chain
    acc = node.account(name)
    limit = energy_limit_of(acc, chain.params, chain.energy_weight())
    return bool(limit - energy_used(acc, chain.head_slot) < transfer_energy)


async def _busy_spell(deps: StoryDeps, pools: list[str]) -> None:
    """Users withdraw fast until every pool is spent; each pool's traffic stops when it is (no TRX burned)."""
    cfg, node, transfer_energy = deps.cfg, deps.node, deps.transfer_energy
    log.info("demo: a busy spell starts, pools drain transfers_per_hour=%s", cfg.busy_transfers_per_hour)
    node.set_speed(cfg.busy_speed)
    busy = list(pools)
    for pool in busy:
        node.start_traffic(pool, cfg.busy_transfers_per_hour)
    while busy:
        await asyncio.sleep(cfg.poll_seconds)
        for pool in [p for p in busy if _spent(node, p, transfer_energy)]:
            node.stop_traffic(pool)
            busy.remove(pool)
            log.info("demo: pool spent pool=%s", pool)
        # The autopilot may delegate to a spent pool: its users withdraw again until the budget is gone.
        for pool in [p for p in pools if p not in busy and not _spent(node, p, transfer_energy)]:
            node.start_traffic(pool, cfg.busy_transfers_per_hour)
            busy.append(pool)
    node.set_speed(1.0)


RENTAL = {"name": "energy-rental", "seed": "demo-energy-rental", "trx": 100, "staked_energy_trx": 20_000}
RENTAL_LOCK_BLOCKS = 7 * 28_800  # a week of 3 s blocks


def rent_energy(node: Any, pool: str = "pool-beta") -> None:
    """A rental provider delegates a week-locked 10,000 TRX of energy to a pool, as gateways rent it."""
    node.add_account(RENTAL)
    node.delegate_energy(str(RENTAL["name"]), pool, 10_000, lock_blocks=RENTAL_LOCK_BLOCKS)
    log.info("demo: %s delegates energy to pool=%s", RENTAL["name"], pool)


async def autopilot_covered(deps: StoryDeps, limit_s: float) -> None:
    """Wait (at most `limit_s`) for the autopilot's first confirmed delegation, and tell the story."""
    if deps.autopilot.mode != "act":
        return
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        async with deps.withdrawals.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT a.id, p.name FROM autopilot_actions a JOIN energy_pools p ON p.id = a.pool_id "
                "WHERE a.kind = 'delegate' AND a.state = 'confirmed' ORDER BY a.id LIMIT 1"
            )
        if row is not None:
            log.info(
                "demo: the autopilot delegated reserve energy to pool=%s before it ran short; no withdrawal "
                "queued action=%s",
                row["name"],
                row["id"],
            )
            return
        await asyncio.sleep(deps.cfg.poll_seconds)


def job(deps: StoryDeps) -> Job:
    """`demo-scenario`: a calm prelude once, then the busy spell and the recovery, round after round."""
    pools = [a.name for a in deps.node.chain.accounts.values() if a.pool]
    begun = False

    async def once() -> None:
        nonlocal begun
        if not begun:
            await _prelude(deps)
            begun = True
        await _round(deps, pools)

    return Job("demo-scenario", once, interval=0.0)


async def _prelude(deps: StoryDeps) -> None:
    cfg, node = deps.cfg, deps.node
    if any(a.name == "pool-beta" for a in node.chain.accounts.values()):
        rent_energy(node)
    # A calm spell on a fast clock first, so the daily consumption and runway figures have a baseline.
    node.set_speed(cfg.recover_speed)
    await asyncio.sleep(cfg.calm_seconds)
    # pool-gamma starts nearly spent: the autopilot covers it from the reserve before anyone waits.
    await autopilot_covered(deps, limit_s=30.0)


async def _round(deps: StoryDeps, pools: list[str]) -> None:
    cfg, node, quiet_rate = deps.cfg, deps.node, deps.quiet_rate
    await _busy_spell(deps, pools)
    await _until(deps, lambda s: not sufficiency(s).sufficient)
    log.info(
        "demo: no pool can fund a transfer, withdrawals queue level=%s", deps.withdrawals.snapshot().level
    )
    if cfg.queued_withdrawals:
        await queue_withdrawals(deps, cfg.queued_withdrawals)
    if cfg.sample_ticket:
        await sample_ticket(deps)
    await asyncio.sleep(cfg.hold_seconds)
    node.set_speed(cfg.recover_speed)  # no traffic: it would scale with the clock and outpace recovery
    log.info("demo: the busy spell is over, pools recover speed=%s", cfg.recover_speed)
    await _until(deps, lambda s: s.level == "ok")
    node.set_speed(1.0)
    for pool in pools:
        if quiet_rate > 0:
            node.start_traffic(pool, quiet_rate)
    log.info("demo: energy is back to normal")
    await asyncio.sleep(cfg.hold_seconds)
