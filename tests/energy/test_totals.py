"""The totals' runway (the dashboard's "expected duration"): the pool model applied to the pools as one."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

from daemon.energy.snapshot import PoolView, totals_of
from daemon.tron.energy import SECONDS_PER_DAY, WINDOW_SLOTS, runway_seconds


def _pool(i: int, limit: int, used: int, daily: int | None, window: int = WINDOW_SLOTS) -> PoolView:
    return PoolView(
        i,
        f"p{i}",
        f"T{i}",
        True,
        Decimal(0),
        True,
        "active",
        energy_limit=limit,
        energy_used=used,
        window_slots=window,
        daily_consumption=daily,
        last_scraped_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _alone(limit: int, used: int, daily: int, window: int = WINDOW_SLOTS) -> float:
    return runway_seconds(limit, used, window, daily / SECONDS_PER_DAY)


def test_one_pool_totals_runway_is_that_pools_runway() -> None:
    totals = totals_of([_pool(1, 3_000_000, 2_400_000, 9_000_000)])
    assert totals.runway_seconds == _alone(3_000_000, 2_400_000, 9_000_000)
    assert 0 < totals.runway_seconds < math.inf


def test_the_other_pools_energy_extends_the_runway_of_the_spend() -> None:
    busy = _pool(1, 3_000_000, 2_400_000, 30_000_000)
    idle = _pool(2, 10_000_000, 2_000_000, 0)
    totals = totals_of([busy, idle])
    assert totals.runway_seconds == _alone(13_000_000, 4_400_000, 30_000_000)
    assert _alone(3_000_000, 2_400_000, 30_000_000) < totals.runway_seconds < math.inf
    # Spend the pools recover together (below half their summed limit a day) lasts for ever.
    assert totals_of([busy, _pool(2, 60_000_000, 0, 0)]).runway_seconds == math.inf


def test_pools_with_different_windows_recover_at_their_combined_rate() -> None:
    # 2.4M recovering over 8 h plus 0.6M over 24 h: 0.325M/h now, as one 3M pool with a ≈9.23 h window.
    fast, slow = _pool(1, 3_000_000, 2_400_000, 20_000_000, 9_600), _pool(2, 1_000_000, 600_000, 0)
    totals = totals_of([fast, slow])
    assert totals.runway_seconds == _alone(
        4_000_000, 3_000_000, 20_000_000, round(3_000_000 / 325_000 * 1200)
    )


def test_no_daily_consumption_yet_means_no_runway() -> None:
    assert totals_of([_pool(1, 3_000_000, 2_400_000, None)]).runway_seconds is None
