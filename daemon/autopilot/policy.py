"""One autopilot cycle: read pools, reserves and budgets, plan, record, and (in `act`) carry actions out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from daemon.autopilot import actions_repo as repo
from daemon.autopilot.actions import Actuator
from daemon.autopilot.planner import Inputs, Plan, plan
from daemon.autopilot.settings import AutopilotSettings, Mode
from daemon.autopilot.signer import Signers
from daemon.autopilot.sources import SOURCES, SUN, Budget, Reserve
from daemon.db.types import Pool
from daemon.energy.snapshot import EnergySnapshot
from daemon.tron.client import TronClient
from daemon.withdrawals import queue_repo

log = logging.getLogger(__name__)
FINAL = ("confirmed", "failed")


class AutopilotMetrics:
    """tronwatch_autopilot_actions_total{source,outcome} and tronwatch_autopilot_budget_remaining{kind}."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.actions = Counter(
            "tronwatch_autopilot_actions",
            "Autopilot actions by source and outcome (planned, confirmed, failed, cancelled)",
            ["source", "outcome"],
            registry=registry,
        )
        self.budget = Gauge(
            "tronwatch_autopilot_budget_remaining",
            "Today's autopilot budget left: delegate_energy (energy), stake_sun (sun)",
            ["kind"],
            registry=registry,
        )


@dataclass
class AutopilotState:
    """Settings, resolved mode, signers, metrics and the last cycle's plan and figures."""

    settings: AutopilotSettings
    mode: Mode
    metrics: AutopilotMetrics
    signers: Signers = field(default_factory=Signers)
    extra_reserves: list[str] = field(default_factory=list)  # demo: the devnode's reserve account
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    last_plan: Plan | None = None
    exhausted_on: datetime | None = None  # the day the budget-used-up warning was logged
    figures: dict[str, Any] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one cycle at a time (job, wake, tests)
    # pool id -> the shortage forecast's seconds (None: no forecast yet); unset: the runway alone decides
    forecast: Callable[[int], float | None] | None = None

    def reserve_addresses(self) -> list[str]:
        """Configured reserves, then any the demo added."""
        return [r.address for r in self.settings.reserves] + self.extra_reserves


def _forecasts(state: AutopilotState, snap: EnergySnapshot) -> dict[int, float]:
    """The shortage forecast per pool, where it has one."""
    if state.forecast is None:
        return {}
    out = {p.id: state.forecast(p.id) for p in snap.pools}
    return {pool_id: secs for pool_id, secs in out.items() if secs is not None}


def waiting_by_pool(snap: EnergySnapshot, waiting: int) -> dict[int, int]:
    """The queue's energy counts against the pool with the most energy: the one that would pay it next."""
    pools = [p for p in snap.pools if p.enabled and p.up]
    if not pools or waiting <= 0:
        return {}
    return {max(pools, key=lambda p: p.energy_available).id: waiting}


async def read_reserves(tron: TronClient, addresses: Sequence[str]) -> tuple[list[Reserve], int, int]:
    """Each reserve's delegatable stake and liquid TRX, and the chain's energy totals."""
    out, limit, weight = [], 0, 0
    for address in addresses:
        account = await tron.get_account(address) or {}
        got = await tron.raw.get_can_delegated_max_size(address, "ENERGY")
        out.append(Reserve(address, int(got.get("max_size", 0)), int(account.get("balance", 0))))
        if not weight:
            res = await tron.get_account_resource(address)
            limit, weight = int(res.get("TotalEnergyLimit", 0)), int(res.get("TotalEnergyWeight", 0))
    return out, limit, weight


async def cycle(state: AutopilotState, pool: Pool, tron: TronClient, snap: EnergySnapshot) -> Plan:
    """Plan once; record the plan; in `act` approve it; then move every approved or in-flight action on."""
    s, now = state.settings, state.clock()
    if state.mode == "off":
        return Plan()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    reserves, total_limit, total_weight = await read_reserves(tron, state.reserve_addresses())
    async with pool.acquire() as conn:
        spent_energy, spent_sun = await repo.spent_since(conn, day)
        busy = frozenset(await repo.busy_pools(conn, now - timedelta(seconds=s.cooldown_seconds)))
        waiting = await queue_repo.waiting_energy(conn)
    budget = Budget(
        max(0, s.daily_delegate_energy - spent_energy),
        max(0, int(s.daily_stake_trx * SUN) - spent_sun),
        int(s.min_reserve_trx * SUN),
        total_limit,
        total_weight,
        stakes_allowed=s.daily_stake_trx > 0,
    )
    inputs = Inputs(
        waiting_by_pool(snap, waiting),
        snap.transfer_energy,
        s.headroom_seconds,
        busy,
        frozenset(state.reserve_addresses()),
        now,
        _forecasts(state, snap),
    )
    result = plan(snap.pools, reserves, budget, [SOURCES[n] for n in s.sources], inputs)
    async with pool.acquire() as conn:
        async with conn.transaction():
            keep = []
            for p in result.proposals:
                row = await repo.upsert_planned(
                    conn, p, s.lock_blocks if p.kind == "delegate" else 0, state.signers.kind(p.owner)
                )
                if row is None:
                    continue
                keep.append(row["id"])
                if row["created_at"] == row["updated_at"]:
                    state.metrics.actions.labels(p.source, "planned").inc()
                if state.mode == "act":
                    await repo.move(conn, row["id"], ("planned",), "approved")
            await repo.drop_stale_plans(conn, keep)
        actuator = Actuator(conn, tron, state.signers)
        for row in await repo.open_actions(conn):
            if row["state"] == "planned":
                continue
            after = await actuator.advance(row)
            if after["state"] in FINAL and after["state"] != row["state"]:
                state.metrics.actions.labels(row["source"], after["state"]).inc()
        spent_energy, spent_sun = await repo.spent_since(conn, day)
        failed = await repo.failed_since(conn, now - timedelta(hours=1))
    left_energy = max(0, s.daily_delegate_energy - spent_energy)
    left_sun = max(0, int(s.daily_stake_trx * SUN) - spent_sun)
    state.metrics.budget.labels("delegate_energy").set(left_energy)
    state.metrics.budget.labels("stake_sun").set(left_sun)
    state.last_plan = result
    exhausted = any("budget used up" in b for b in result.blocked)
    if exhausted and state.exhausted_on != day:
        log.warning(
            "autopilot budget used up for today; short pools are left to the queue blocked=%s", result.blocked
        )
    state.exhausted_on = day if exhausted else state.exhausted_on
    state.figures = {
        "mode": state.mode,
        "budget_remaining_delegate_energy": left_energy,
        "budget_remaining_stake_trx": left_sun / SUN,
        "budget_exhausted": int(exhausted),
        "pools_short": len(result.short),
        "uncovered": len(result.blocked),
        "failed_last_1h": failed,
    }
    return result
