"""Daily consumption and runway against the devnode's own ledger (GET /_devnode/ground-truth)."""

from __future__ import annotations

import math
from typing import Any

from daemon.energy.consumption import ConsumptionTracker, spent_between
from daemon.tron.energy import WINDOW_SLOTS
from tests.energy.conftest import AppFactory, metric, node_of, scraper_of


def test_spent_between_reads_new_spend_over_decay() -> None:
    # 28,800 slots window: 2,880 slots (a tenth) decays a tenth of 1,000,000.
    assert spent_between(1_000_000, WINDOW_SLOTS, 900_000, 2_880 * 3000) == 0
    assert spent_between(1_000_000, WINDOW_SLOTS, 964_285, 2_880 * 3000) == 64_285
    assert spent_between(1_000_000, WINDOW_SLOTS, 0, 86_400_000) == 0


def test_tracker_scales_to_a_day_then_keeps_a_trailing_day() -> None:
    t = ConsumptionTracker()
    t.observe(0, 0, WINDOW_SLOTS)
    assert t.daily() is None  # nothing observed yet
    used = 0
    for hour in range(1, 49):  # 100,000 per hour, then nothing after hour 30
        ms = hour * 3_600_000
        spend = 100_000 if hour <= 30 else 0
        used = _decayed(used, 3_600_000) + spend
        t.observe(ms, used, WINDOW_SLOTS)
        if hour == 12:
            assert t.daily() == 2_400_000  # 12 h observed, scaled to 24 h
    assert t.daily() == 600_000  # trailing day = hours 24-48: only hours 25-30 spent


def _decayed(used: int, ms: int) -> int:
    from daemon.tron.energy import decayed_usage

    return decayed_usage(used, ms // 3000, WINDOW_SLOTS)


async def _truth(client: Any, name: str) -> dict[str, Any]:
    node = node_of(client)
    async with client.session.get(f"{node.url}_devnode/ground-truth", params={"address": name}) as resp:
        body = await resp.json()
    return next(iter(body["pools"].values()))


async def test_daily_consumption_matches_ground_truth_within_3_percent(energy_app: AppFactory) -> None:
    client = await energy_app()
    node, scraper = node_of(client), scraper_of(client)
    assert scraper is not None
    node.start_traffic("pool-alpha", 8)
    for _ in range(100):  # 25 h of chain time in 15-minute scrapes
        node.advance(900)
        snap = await scraper.cycle()
    alpha = next(p for p in snap.pools if p.name == "pool-alpha")
    truth = await _truth(client, "pool-alpha")
    assert truth["transactions"] >= 190 and truth["energy_from_stake"] == truth["energy_total"]
    assert alpha.daily_consumption is not None
    assert abs(alpha.daily_consumption - truth["energy_from_stake"]) <= 0.03 * truth["energy_from_stake"]
    # 12.3M/day against a 10M limit: recovery (≈2× limit/day under steady spend) outpaces it.
    assert alpha.runway_seconds == math.inf and alpha.status == "active"
    gamma = next(p for p in snap.pools if p.name == "pool-gamma")
    assert (await _truth(client, "pool-gamma"))["energy_total"] == 0
    # No spend at all: only java-tron's per-step rounding of the decay shows (tens of units a day).
    assert gamma.daily_consumption is not None and gamma.daily_consumption < 1_000
    assert await metric(client, "tronwatch_pool_runway_seconds", pool="pool-alpha") == math.inf
    daily = await metric(client, "tronwatch_pool_daily_consumption_energy", pool="pool-alpha")
    assert daily == alpha.daily_consumption


async def test_runway_predicts_when_an_overdrawn_pool_runs_dry(energy_app: AppFactory) -> None:
    client = await energy_app()
    node, scraper = node_of(client), scraper_of(client)
    assert scraper is not None
    node.start_traffic("pool-beta", 6)  # ≈9.3M/day against a ≈3M limit: not sustainable
    for _ in range(4):
        node.advance(900)
        snap = await scraper.cycle()
    beta = next(p for p in snap.pools if p.name == "pool-beta")
    assert beta.runway_seconds is not None and 0 < beta.runway_seconds < math.inf
    predicted, elapsed = beta.runway_seconds, 0
    while beta.energy_available >= 64_285 and elapsed < 3 * predicted:
        node.advance(300)
        elapsed += 300
        snap = await scraper.cycle()
        beta = next(p for p in snap.pools if p.name == "pool-beta")
    # Transfers come in 64k steps, so "dry" is judged at one transfer short; allow that granularity.
    assert abs(elapsed - predicted) <= 0.15 * predicted + 900, (elapsed, predicted)
    assert beta.status == "exhausted"
