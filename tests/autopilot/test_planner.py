"""The planner on its own: sources in the operator's order, budgets, the reserve floor, first-short first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from daemon.autopilot.planner import Inputs, plan
from daemon.autopilot.sources import SOURCES, SUN, Budget, Reserve
from daemon.energy.snapshot import PoolView

NOW = datetime.now(UTC)


def pool(i: int, available: int, runway: float | None) -> PoolView:
    return PoolView(
        id=i, name=f"p{i}", wallet_address=f"TPool{i:029d}", enabled=True, target_trx=Decimal(0), up=True,
        status="active", energy_limit=10_000_000, energy_used=10_000_000 - available, runway_seconds=runway,
        last_scraped_at=NOW, chain_time=NOW,
    )  # fmt: skip


def budget(delegate: int = 10**9, stake_trx: int = 0) -> Budget:
    # 10 energy per staked TRX, as on the devnode
    return Budget(
        delegate, stake_trx * SUN, 100 * SUN, 180_000_000_000, 18_000_000_000, stakes_allowed=stake_trx > 0
    )


def inputs() -> Inputs:
    return Inputs({}, 130_285, 6 * 3600.0, frozenset(), frozenset({"TReserve"}), NOW)


def test_the_pool_that_runs_short_first_is_served_first_within_the_budget() -> None:
    pools = [pool(1, 5_000_000, 7200.0), pool(2, 50_000, 3600.0), pool(3, 9_000_000, float("inf"))]
    got = plan(
        pools, [Reserve("TReserve", 10**15, 0)], budget(delegate=1_000_000), [SOURCES["rebalance"]], inputs()
    )
    assert [s.pool_name for s in got.short] == ["p2", "p1"]  # p3 is sustainable
    # p2 gets all it needs, p1 what is left of the budget, and the rest is left to the queue
    assert [(p.pool_id, p.kind) for p in got.proposals] == [(2, "delegate"), (1, "delegate")]
    assert 370_000 < got.proposals[0].energy < 390_000
    assert sum(p.energy for p in got.proposals) <= 1_000_000
    assert any("p1: daily delegation budget used up" in b for b in got.blocked)


def test_stake_keeps_the_reserve_floor_and_queue_only_does_nothing() -> None:
    pools = [pool(2, 50_000, 3600.0)]
    reserve = Reserve("TReserve", 0, 150 * SUN)
    got = plan(pools, [reserve], budget(stake_trx=1_000), [SOURCES["rebalance"], SOURCES["stake"]], inputs())
    (stake,) = got.proposals
    assert stake.kind == "stake" and stake.amount_sun == 50 * SUN  # 150 TRX liquid, 100 kept
    nothing = plan(pools, [Reserve("TReserve", 10**15, 10**12)], budget(), [SOURCES["queue"]], inputs())
    assert nothing.proposals == [] and nothing.blocked  # left to the queue, and said so
    off = plan(pools, [Reserve("TReserve", 0, 10**12)], budget(stake_trx=0), [SOURCES["stake"]], inputs())
    assert off.proposals == [] and not any("budget used up" in b for b in off.blocked)


def test_a_peak_the_forecast_foresees_is_covered_before_the_trailing_rate_shows_it() -> None:
    """A pool whose runway looks sustainable but whose hour-of-day profile runs it short in an hour."""
    pools = [pool(1, 5_000_000, float("inf"))]
    reserves = [Reserve("TReserve", 10**15, 0)]
    calm = plan(pools, reserves, budget(), [SOURCES["rebalance"]], inputs())
    assert calm.short == [] and calm.proposals == []
    peak = replace(inputs(), forecast={1: 3600.0})
    got = plan(pools, reserves, budget(), [SOURCES["rebalance"]], peak)
    assert [s.pool_name for s in got.short] == ["p1"] and got.short[0].seconds == 3600.0
    assert [(p.pool_id, p.kind) for p in got.proposals] == [(1, "delegate")]
