"""Where energy comes from, in the operator's order: each Source proposes actions for one shortfall."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Protocol

Kind = Literal["delegate", "undelegate", "stake"]
SUN = 1_000_000


@dataclass(frozen=True, slots=True)
class Proposal:
    """One action the planner wants: who signs, for which pool, how much and why."""

    source: str
    kind: Kind
    owner: str
    receiver: str | None
    pool_id: int
    amount_sun: int
    energy: int
    reason: str


@dataclass(slots=True)
class Reserve:
    """A reserve account as read this cycle: what it may still delegate and stake."""

    address: str
    delegatable_sun: int
    liquid_sun: int


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A pool that will run short within the horizon."""

    pool_id: int
    pool_name: str
    address: str
    seconds: float
    energy: int


@dataclass(slots=True)
class Budget:
    """What is left of today's budgets and the chain's energy-per-stake totals."""

    delegate_energy: int
    stake_sun: int
    min_reserve_sun: int
    total_energy_limit: int
    total_energy_weight: int
    stakes_allowed: bool = True  # False when the daily stake budget is 0
    blocked: list[str] = field(default_factory=list)  # why a shortfall was left uncovered

    def energy(self, sun: int) -> int:
        """Energy a stake of `sun` yields (EnergyLimit's formula, docs/autopilot.md)."""
        if self.total_energy_weight <= 0:
            return 0
        return int(sun / SUN * self.total_energy_limit / self.total_energy_weight)

    def sun_for(self, energy: int) -> int:
        """Whole TRX of stake, in sun, that yields at least `energy`."""
        if self.total_energy_limit <= 0:
            return 0
        return math.ceil(energy * self.total_energy_weight / self.total_energy_limit) * SUN


class Source(Protocol):
    """A way to get energy; a rental provider would be one more implementation."""

    name: str

    def propose(self, need: Shortfall, reserves: list[Reserve], budget: Budget) -> list[Proposal]:
        """Actions covering as much of `need` as this source can; updates reserves and budget."""
        ...


def _when(seconds: float) -> str:
    return "now" if seconds <= 0 else f"in {seconds / 60:.0f} min"


class Rebalance:
    """Reserve accounts delegate staked energy to the pool (DelegateResource)."""

    name = "rebalance"

    def propose(self, need: Shortfall, reserves: list[Reserve], budget: Budget) -> list[Proposal]:
        """Delegate from the reserve with the most to give, within today's delegated-energy budget."""
        out: list[Proposal] = []
        left = need.energy
        for r in sorted(reserves, key=lambda r: -r.delegatable_sun):
            if left <= 0 or budget.delegate_energy <= 0:
                break
            want = min(left, budget.delegate_energy)
            sun = min(budget.sun_for(want), r.delegatable_sun // SUN * SUN)
            energy = budget.energy(sun)
            if sun < SUN or energy <= 0:
                continue
            r.delegatable_sun -= sun
            budget.delegate_energy -= energy
            left -= energy
            out.append(
                Proposal(
                    self.name,
                    "delegate",
                    r.address,
                    need.address,
                    need.pool_id,
                    sun,
                    energy,
                    f"pool {need.pool_name} short {_when(need.seconds)}: needs {need.energy} energy "
                    f"for the headroom; delegate {energy} from reserve {r.address}",
                )
            )
        if left > 0 and budget.delegate_energy <= 0:
            budget.blocked.append(f"{need.pool_name}: daily delegation budget used up")
        return out


class Stake:
    """A reserve stakes liquid TRX for energy (FreezeBalanceV2); a later cycle delegates it."""

    name = "stake"

    def propose(self, need: Shortfall, reserves: list[Reserve], budget: Budget) -> list[Proposal]:
        """Stake what the need calls for, keeping the reserve floor, within today's stake budget."""
        for r in sorted(reserves, key=lambda r: -r.liquid_sun):
            spare = max(0, r.liquid_sun - budget.min_reserve_sun)
            if budget.stake_sun < SUN:
                if budget.stakes_allowed:  # a budget of 0 means staking is off, not used up
                    budget.blocked.append(f"{need.pool_name}: daily stake budget used up")
                return []
            sun = min(budget.sun_for(need.energy), spare, budget.stake_sun) // SUN * SUN
            if sun < SUN:
                continue
            r.liquid_sun -= sun
            budget.stake_sun -= sun
            energy = budget.energy(sun)
            reason = (
                f"pool {need.pool_name} short {_when(need.seconds)} and the reserves cannot delegate "
                f"enough: stake {sun // SUN} TRX on {r.address} (≈{energy} energy) to delegate next"
            )
            return [Proposal(self.name, "stake", r.address, None, need.pool_id, sun, energy, reason)]
        return []


class Queue:
    """Leave the shortfall to the withdrawal queue and the emergency path: proposes nothing."""

    name = "queue"

    def propose(self, need: Shortfall, reserves: list[Reserve], budget: Budget) -> list[Proposal]:
        """Nothing to do: withdrawals wait or users pay the fee themselves."""
        return []


SOURCES: dict[str, Source] = {"rebalance": Rebalance(), "stake": Stake(), "queue": Queue()}
