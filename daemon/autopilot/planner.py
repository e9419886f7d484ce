"""One planning cycle as a pure function: shortfalls first-to-run-short first, sources in order, reclaims."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from daemon.autopilot.need import pool_seconds, shortfall
from daemon.autopilot.sources import Budget, Proposal, Reserve, Shortfall, Source
from daemon.energy.snapshot import PoolView


@dataclass(frozen=True, slots=True)
class Plan:
    """What one cycle would do, the pools found short, and why some were left uncovered."""

    proposals: list[Proposal] = field(default_factory=list)
    short: list[Shortfall] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the planner reads besides the pools."""

    waiting: Mapping[int, int]  # pool id -> energy of withdrawals waiting for it (0 when unassigned)
    transfer_energy: int
    horizon_s: float
    busy: frozenset[int]  # pools with an open action or inside the cooldown
    reserve_addresses: frozenset[str]
    now: datetime
    # pool id -> the shortage forecast's seconds (hour-of-day profile, queue, recovery); none: runway only
    forecast: Mapping[int, float] = field(default_factory=dict)


def plan(
    pools: Iterable[PoolView], reserves: list[Reserve], budget: Budget, sources: Sequence[Source], inp: Inputs
) -> Plan:
    """Cover the pools that run short within the horizon, then take back what is no longer needed."""
    short: list[Shortfall] = []
    calm: list[PoolView] = []
    for p in pools:
        if not (p.enabled and p.up and p.has_data) or p.wallet_address in inp.reserve_addresses:
            continue
        waiting = inp.waiting.get(p.id, 0)
        secs = min(pool_seconds(p, waiting, inp.transfer_energy), inp.forecast.get(p.id, math.inf))
        lacking = shortfall(p, waiting, inp.transfer_energy, inp.horizon_s) if secs <= inp.horizon_s else 0
        if secs <= inp.horizon_s and lacking == 0:
            lacking = inp.transfer_energy  # a peak the profile foresees and the trailing rate does not
        if lacking > 0:
            short.append(Shortfall(p.id, p.name, p.wallet_address, secs, lacking))
        elif p.acquired_energy > 0:
            calm.append(p)
    short.sort(key=lambda s: (s.seconds, -s.energy))
    out = Plan(short=short, blocked=budget.blocked)
    for need in short:
        if need.pool_id in inp.busy:
            continue
        left = need.energy
        for source in sources:
            if left <= 0:
                break
            got = source.propose(
                Shortfall(need.pool_id, need.pool_name, need.address, need.seconds, left), reserves, budget
            )
            out.proposals.extend(got)
            left -= sum(g.energy for g in got)
        if left > 0 and not any(need.pool_name in b for b in budget.blocked):
            budget.blocked.append(f"{need.pool_name}: {left} energy left to the queue and emergency path")
    for p in calm:
        if p.id not in inp.busy:
            out.proposals.extend(_reclaim(p, inp))
    return out


def _reclaim(p: PoolView, inp: Inputs) -> list[Proposal]:
    """One reserve delegation the pool can do without, once its lock has ended."""
    waiting = inp.waiting.get(p.id, 0)
    for d in p.delegations:
        if d.direction != "in" or d.counterpart not in inp.reserve_addresses:
            continue
        # Lock ends are chain time: compare with the head block time of the same reading.
        if d.expires_at is not None and d.expires_at >= (p.chain_time or inp.now):
            continue  # locked: UnDelegateResource would be refused until the lock ends
        if shortfall(p, waiting, inp.transfer_energy, 2 * inp.horizon_s, less=d.energy) > 0:
            continue
        reason = (
            f"pool {p.name} covers twice the headroom without the {d.energy} energy from "
            f"{d.counterpart}: reclaim it"
        )
        return [
            Proposal(
                "rebalance",
                "undelegate",
                d.counterpart,
                p.wallet_address,
                p.id,
                d.amount_sun,
                d.energy,
                reason,
            )
        ]
    return []
