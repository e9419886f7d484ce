"""The cost ledger's counters and histogram (incremented once per recorded receipt, by the leader)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from daemon.autopilot.costs_model import Cost

SUN_PER_TRX = 1_000_000
COST_BUCKETS = tuple(trx * SUN_PER_TRX for trx in (0, 0.5, 1, 2, 3, 5, 7, 10, 14, 20, 30, 60))


@dataclass(frozen=True)
class CostMetrics:
    """Burned TRX by reason, cost per withdrawal, energy spent by source."""

    burned: Counter
    cost: Histogram
    energy: Counter

    @classmethod
    def register(cls, registry: CollectorRegistry) -> CostMetrics:
        """Create the families on the app's registry."""
        return cls(
            Counter(
                "tronwatch_trx_burned_sun",
                "Sun (TRX/1e6) burned for withdrawal energy: pool_short (the pool lacked energy) or user_fee "
                "(an emergency withdrawal, paid from the user's TRX fee)",
                ["reason"],
                registry=registry,
            ),
            Histogram(
                "tronwatch_withdrawal_cost_sun",
                "Energy cost of one completed withdrawal in sun at the energy fee of that moment",
                buckets=COST_BUCKETS,
                registry=registry,
            ),
            Counter(
                "tronwatch_energy_spent",
                "Energy completed withdrawals used, by how it was paid (staked, delegated, burned, user_fee)",
                ["source"],
                registry=registry,
            ),
        )

    def observe(self, cost: Cost, *, user_paid: bool) -> None:
        """Count one recorded withdrawal."""
        self.burned.labels("user_fee" if user_paid else "pool_short").inc(cost.burned_sun)
        self.cost.observe(cost.cost_sun)
        self.energy.labels("staked").inc(cost.staked_energy)
        self.energy.labels("delegated").inc(cost.delegated_energy)
        self.energy.labels("user_fee" if user_paid else "burned").inc(cost.burned_energy)

    def touch(self) -> None:
        """Every label present from the start, so rate() works from the first payout."""
        for reason in ("pool_short", "user_fee"):
            self.burned.labels(reason)
        for source in ("staked", "delegated", "burned", "user_fee"):
            self.energy.labels(source)
