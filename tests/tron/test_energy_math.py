"""Energy math against vectors worked by hand from java-tron's formulas (docs/tron.md#energy)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.tron.energy import (
    PRECISION,
    SLOT_MS,
    WINDOW_OPTIMIZED_SCALE,
    WINDOW_SLOTS,
    available_energy,
    decayed_usage,
    decayed_usage_many,
    energy_limit,
    increase_usage,
    java_round,
    recovery_per_hour,
    runway_seconds,
    seconds_until_available,
    window_slots_from_stored,
)

TOTAL_LIMIT = 180_000_000_000  # mainnet TotalEnergyCurrentLimit (docs/tron.md#energy-limit)
FULL_SCALED = 28_800_000  # 28,800 slots × 1000 (energy_window_optimized)


def test_constants() -> None:
    assert WINDOW_SLOTS == 86_400_000 // 3_000 == 28_800
    assert SLOT_MS == 3_000
    assert PRECISION == 1_000_000
    assert WINDOW_OPTIMIZED_SCALE == 1000


# ---- energy_limit: (long)(sun/1e6 × (TotalEnergyCurrentLimit / TotalEnergyWeight)) ------------------


@pytest.mark.parametrize(
    ("staked_sun", "weight", "expected"),
    [
        # 10,000 TRX: 10000.0 × (180e9 / 18e9 = 10.0) = 100000.0 -> 100000
        (10_000_000_000, 18_000_000_000, 100_000),
        # 1.5 TRX: 1.5 × 10.0 = 15.0 -> 15 (V2 uses the fractional TRX weight, no floor to whole TRX)
        (1_500_000, 18_000_000_000, 15),
        # 1 TRX with the mainnet sample weight: 180e9 / 18,971,780,957 = 9.4877755... -> 9
        # (the fixture itself reports EnergyLimit 9)
        (1_000_000, 18_971_780_957, 9),
        # 6,800 TRX ("about 6,800 TRX per 64k transfer"): 6800 × 9.4877755... = 64516.87 -> 64516
        (6_800_000_000, 18_971_780_957, 64_516),
        # nothing staked, or weight 0 (calculateGlobalEnergyLimitV2 returns 0)
        (0, 18_000_000_000, 0),
        (10_000_000_000, 0, 0),
    ],
)
def test_energy_limit_vectors(staked_sun: int, weight: int, expected: int) -> None:
    assert energy_limit(staked_sun, TOTAL_LIMIT, weight) == expected


def test_available_energy_never_negative() -> None:
    assert available_energy(100_000, 64_285) == 35_715
    assert available_energy(100, 250) == 0


# ---- decayed_usage: avg = ceil(u·1e6/W); round(avg·((W−Δ)/W)) if Δ<W else 0; avg·W/1e6 ----------------


@pytest.mark.parametrize(
    ("usage", "elapsed", "window", "expected"),
    [
        # Δ=0: avg = ceil(64,285e6 / 28,800) = ceil(2,232,118.06) = 2,232,119;
        #      2,232,119 × 28,800 = 64,285,027,200 // 1e6 = 64,285 (round trip is exact)
        (64_285, 0, WINDOW_SLOTS, 64_285),
        # half window: 2,232,119 × 0.5 = 1,116,059.5 -> 1,116,060; ×28,800 = 32,142,528,000 // 1e6 = 32,142
        (64_285, 14_400, WINDOW_SLOTS, 32_142),
        # tie where Java's half-up and Python's half-even disagree:
        # avg = ceil(1e8 / 28,800) = ceil(3,472.22) = 3,473; × 0.5 = 1,736.5 -> 1,737 (Java), not 1,736;
        # 1,737 × 28,800 = 50,025,600 // 1e6 = 50   (half-even would give 49,996,800 -> 49)
        (100, 14_400, WINDOW_SLOTS, 50),
        # one unit: avg = ceil(1e6 / 28,800) = 35; Δ=411: 35 × 28,389/28,800 = 34.5005 -> 35 -> 1.008 -> 1
        (1, 411, WINDOW_SLOTS, 1),
        # Δ=412: 35 × 28,388/28,800 = 34.4993 -> 34; 34 × 28,800 = 979,200 // 1e6 = 0
        (1, 412, WINDOW_SLOTS, 0),
        # last slot of the window: 2,232,119 × 1/28,800 = 77.504 -> 78; 78 × 28,800 = 2,246,400 -> 2
        (64_285, 28_799, WINDOW_SLOTS, 2),
        # Δ ≥ W: fully recovered
        (64_285, 28_800, WINDOW_SLOTS, 0),
        (64_285, 10**9, WINDOW_SLOTS, 0),
        # non-default window 14,400: avg = ceil(1e9 / 14,400) = ceil(69,444.4) = 69,445;
        # Δ=7,200 -> × 0.5 = 34,722.5 -> 34,723; × 14,400 = 500,011,200 // 1e6 = 500
        (1_000, 7_200, 14_400, 500),
        # zero usage stays zero
        (0, 0, WINDOW_SLOTS, 0),
        (0, 5, WINDOW_SLOTS, 0),
    ],
)
def test_decayed_usage_vectors(usage: int, elapsed: int, window: int, expected: int) -> None:
    assert decayed_usage(usage, elapsed, window) == expected
    assert decayed_usage_many([usage], [elapsed], window) == [expected]


def test_decayed_usage_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        decayed_usage(10, -1)
    with pytest.raises(ValueError):
        decayed_usage(10, 1, 0)
    with pytest.raises(ValueError):
        decayed_usage_many([10], [-1])
    with pytest.raises(ValueError):
        decayed_usage_many([1, 2], [1])


@pytest.mark.parametrize(
    ("x", "expected"),
    [(0.5, 1), (1.5, 2), (2.5, 3), (0.49999999999999994, 0), (1_116_059.5, 1_116_060), (3.0, 3), (0.0, 0)],
)
def test_java_round_is_half_up(x: float, expected: int) -> None:
    assert java_round(x) == expected


@pytest.mark.parametrize(
    ("stored", "optimized", "slots"),
    [
        (0, True, 28_800),
        (999, True, 28_800),
        (28_800_000, True, 28_800),
        (14_400_500, True, 14_400),
        (9_600, False, 9_600),
    ],
)
def test_window_slots_from_stored(stored: int, optimized: bool, slots: int) -> None:
    # AccountCapsule.getWindowSize: 0 -> default; optimized and < 1000 -> default; else stored // 1000
    assert window_slots_from_stored(stored, optimized) == slots


# ---- increase_usage: java-tron increaseV2 (window ×1000) ----------------------------------------------


def test_increase_fresh_account() -> None:
    # avg_last = 0; avg_new = ceil(64,285e6 / 28,800) = 2,232,119; new = 2,232,119 × 28,800 // 1e6 = 64,285;
    # remain = 0 -> window reset to 28,800 × 1000
    assert increase_usage(0, 0, 100, 0, 64_285) == (64_285, FULL_SCALED)


def test_increase_half_decayed_blends_window() -> None:
    # avg_last = 2,232,119 -> × 0.5 = 1,116,059.5 -> 1,116,060; avg_new = 2,232,119
    # new = (1,116,060 + 2,232,119) × 28,800 // 1e6 = 96,427,555,200 // 1e6 = 96,427
    # remain = 1,116,060 × 28,800 // 1e6 = 32,142; remain_window = 28,800,000 − 14,400 × 1000 = 14,400,000
    # W' = ceil((32,142 × 14,400,000 + 64,285 × 28,800,000) / 96,427) = ceil(2,314,252,800,000 / 96,427)
    #    = ceil(24,000,049.78) = 24,000,050   (a third of the usage has 12 h left, two thirds 24 h -> ~20 h)
    assert increase_usage(64_285, 0, 14_400, FULL_SCALED, 64_285) == (96_427, 24_000_050)


def test_increase_same_slot_keeps_full_window() -> None:
    # Δ=0: no decay; new = (2,232,119 + 2,232,119) × 28,800 // 1e6 = 128,570,054,400 // 1e6 = 128,570
    # W' = ceil((64,285 × 28.8e6 + 64,285 × 28.8e6) / 128,570) = 28,800,000
    assert increase_usage(64_285, 5, 5, FULL_SCALED, 64_285) == (128_570, FULL_SCALED)


def test_increase_after_full_recovery() -> None:
    # Δ=30,000 ≥ 28,800 -> avg_last = 0; avg_new = ceil(1e9 / 28,800) = 34,723; 34,723 × 28,800 // 1e6 = 1,000
    assert increase_usage(50_000, 0, 30_000, FULL_SCALED, 1_000) == (1_000, FULL_SCALED)


def test_increase_with_shrunk_window() -> None:
    # old window 14,400 slots (stored 14,400,000); Δ = 4,800
    # avg_last = ceil(1e10 / 14,400) = 694,445; × (9,600/14,400 = 0.6667) = 462,963.33 -> 462,963
    # avg_new = ceil(1e10 / 28,800) = 347,223   (new spend always uses the full 28,800 window)
    # new = (462,963 × 14,400 + 347,223 × 28,800) // 1e6 = (6,666,667,200 + 10,000,022,400) // 1e6 = 16,666
    # remain = 6,666,667,200 // 1e6 = 6,666; remain_window = 14,400,000 − 4,800,000 = 9,600,000
    # W' = ceil((6,666 × 9.6e6 + 10,000 × 28.8e6) / 16,666) = ceil(351,993,600,000 / 16,666) = 21,120,461
    assert increase_usage(10_000, 0, 4_800, 14_400_000, 10_000) == (16_666, 21_120_461)


def test_increase_clamps_window_to_full() -> None:
    # an (out-of-range) stored window of 40,000 slots: avg_last = ceil(1e9 / 40,000) = 25,000 (Δ=0, no decay)
    # avg_new = ceil(1e9 / 28,800) = 34,723; new = (25,000 × 40,000 + 34,723 × 28,800) // 1e6 = 2,000
    # W' = ceil((1,000 × 40,000,000 + 1,000 × 28,800,000) / 2,000) = 34,400,000 -> min(…, 28,800,000)
    assert increase_usage(1_000, 0, 0, 40_000_000, 1_000) == (2_000, FULL_SCALED)


def test_increase_rejects_time_travel() -> None:
    with pytest.raises(ValueError):
        increase_usage(10, 5, 4, FULL_SCALED, 1)
    with pytest.raises(ValueError):
        increase_usage(10, 5, 6, FULL_SCALED, -1)


def test_steady_spend_converges_to_half_window() -> None:
    # Spending s each slot, increaseV2's steady state has decay = spend, i.e. usage = s·W/2 and a ~W/2 window:
    # that is the per-unit linear model runway_seconds uses.
    usage, window, last = 0, 0, 0
    for slot in range(1, 3 * WINDOW_SLOTS):
        usage, window = increase_usage(usage, last, slot, window, 1_000)
        last = slot
    assert usage == pytest.approx(1_000 * WINDOW_SLOTS / 2, rel=0.01)
    assert window == pytest.approx(FULL_SCALED / 2, rel=0.01)


# ---- recovery, time until available, runway -------------------------------------------------------------


def test_recovery_per_hour_vector() -> None:
    # avg = ceil(28,800e6 / 28,800) = 1,000,000; × 27,600/28,800 = 958,333.33 -> 958,333;
    # 958,333 × 28,800 // 1e6 = 27,599 -> recovered 28,800 − 27,599 = 1,201 (≈ usage/24)
    assert recovery_per_hour(28_800) == 1_201
    assert recovery_per_hour(0) == 0
    # window shorter than an hour: everything recovers within the hour
    assert recovery_per_hour(5_000, 600) == 5_000


def test_seconds_until_available_vectors() -> None:
    # limit 100,000 fully used, need 64,285 -> usage must fall to 35,715.
    # avg = ceil(1e11 / 28,800) = 3,472,223.
    # Δ=18,514: × 10,286/28,800 = 1,240,114.09 -> 1,240,114; × 28,800 // 1e6 = 35,715 ≤ 35,715 ✓
    # Δ=18,513: × 10,287/28,800 = 1,240,234.65 -> 1,240,235; × 28,800 // 1e6 = 35,718 > 35,715
    # -> 18,514 slots × 3 s = 55,542 s
    assert seconds_until_available(100_000, 100_000, WINDOW_SLOTS, 64_285) == 55_542
    assert seconds_until_available(100_000, 30_000, WINDOW_SLOTS, 64_285) == 0  # 70,000 already free
    assert seconds_until_available(100_000, 0, WINDOW_SLOTS, 100_001) is None  # more than the limit
    # needed == limit: wait for usage to reach 0; a unit of usage clears at Δ=412 (see decay vectors)
    assert seconds_until_available(10, 1, WINDOW_SLOTS, 10) == 412 * 3


def test_runway_vectors() -> None:
    # U(t) = 4t − 4t²/(2·86,400) = 100,000  ->  t² − 172,800 t + 4.32e9 = 0
    # t = (172,800 − sqrt(172,800² − 4 × 4.32e9)) / 2 = (172,800 − 112,159.886) / 2 = 30,320.057
    assert runway_seconds(100_000, 0, WINDOW_SLOTS, 4.0) == pytest.approx(30_320.057, abs=0.01)
    # s·D/2 = 2 × 43,200 = 86,400 < 100,000 -> recovery keeps up forever
    assert runway_seconds(100_000, 0, WINDOW_SLOTS, 2.0) == math.inf
    assert runway_seconds(100_000, 50_000, WINDOW_SLOTS, 0.0) == math.inf
    assert runway_seconds(100_000, 100_000, WINDOW_SLOTS, 0.0) == 0.0
    # 50,000 used with 1,200 slots (3,600 s) left, spending 10/s: on [0, 3,600) the sum
    # 50,000(1 − t/3,600) + 10t − t²/17,280 only falls (slope −13.9 + 10 − t/8,640 < 0), so no crossing;
    # afterwards the new usage alone must reach it: 10t − t²/17,280 = 100,000
    # -> t = (172,800 − sqrt(172,800² − 4 × 17,280 × 100,000)) / 2 = (172,800 − 151,485.4) / 2 ≈ 10,657
    expected = (172_800 - math.sqrt(172_800**2 - 4 * 17_280 * 100_000)) / 2
    assert runway_seconds(100_000, 50_000, 1_200, 10.0) == pytest.approx(expected, rel=1e-9)


# ---- properties ------------------------------------------------------------------------------------------

usages = st.integers(min_value=0, max_value=10**12)
windows = st.integers(min_value=1, max_value=WINDOW_SLOTS)


@given(usages, st.integers(min_value=0, max_value=40_000), windows)
def test_decay_bounds_and_linearity(usage: int, elapsed: int, window: int) -> None:
    got = decayed_usage(usage, elapsed, window)
    assert 0 <= got <= usage
    if elapsed >= window:
        assert got == 0
    else:
        # linear decay to zero over the window, up to the ceil/round/floor steps and double precision
        exact = usage * (window - elapsed) / window
        assert abs(got - exact) <= 2 + exact * 1e-12


@given(usages, st.integers(min_value=0, max_value=WINDOW_SLOTS), st.integers(min_value=0, max_value=100))
def test_decay_is_monotone(usage: int, elapsed: int, step: int) -> None:
    assert decayed_usage(usage, elapsed + step) <= decayed_usage(usage, elapsed)


@given(st.lists(st.tuples(usages, st.integers(min_value=0, max_value=40_000)), max_size=50), windows)
def test_many_matches_scalar(pairs: list[tuple[int, int]], window: int) -> None:
    us = [u for u, _ in pairs]
    ds = [d for _, d in pairs]
    assert decayed_usage_many(us, ds, window) == [decayed_usage(u, d, window) for u, d in pairs]


@given(st.floats(min_value=0, max_value=2**52, allow_nan=False))
def test_java_round_matches_decimal_half_up(x: float) -> None:
    assert java_round(x) == int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=0, max_value=40_000),
    st.sampled_from([0, 500, 1_000, 14_400_000, 21_120_461, FULL_SCALED]),
)
def test_increase_with_zero_spend_is_recovery(usage: int, elapsed: int, stored: int) -> None:
    # java-tron recovery() == increase(lastUsage, 0, ...) over the account's window
    new, _ = increase_usage(usage, 0, elapsed, stored, 0)
    assert new == decayed_usage(usage, elapsed, window_slots_from_stored(stored))


@given(
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=0, max_value=40_000),
    st.sampled_from([0, 1_000, 14_400_000, FULL_SCALED]),
    st.integers(min_value=0, max_value=10**9),
)
def test_increase_adds_spend_and_bounds_window(usage: int, elapsed: int, stored: int, spend: int) -> None:
    new, window = increase_usage(usage, 0, elapsed, stored, spend)
    remain = decayed_usage(usage, elapsed, window_slots_from_stored(stored))
    assert remain + spend - 1 <= new <= remain + spend + 1
    assert 0 < window <= FULL_SCALED


@given(
    st.integers(min_value=1, max_value=10**9),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
    windows,
)
def test_seconds_until_available_is_the_first_slot(limit: int, used: float, need: float, window: int) -> None:
    usage = int(limit * used)
    needed = int(limit * need)
    secs = seconds_until_available(limit, usage, window, needed)
    assert secs is not None and secs % 3 == 0
    slot = secs // 3
    assert limit - decayed_usage(usage, slot, window) >= needed
    if slot > 0:
        assert limit - decayed_usage(usage, slot - 1, window) < needed


@given(
    st.integers(min_value=1, max_value=10**9),
    st.floats(min_value=0, max_value=0.999),
    windows,
    st.floats(min_value=0, max_value=1e5, allow_nan=False),
)
def test_runway_is_a_crossing(limit: int, used: float, window: int, spend: float) -> None:
    usage = int(limit * used)
    t = runway_seconds(limit, usage, window, spend)
    assert t >= 0
    if spend * 86_400 / 2 >= limit * 1.0001:
        assert t < math.inf  # steady-state usage would exceed the limit
    if spend * 86_400 / 2 < limit and spend * 86_400 / 2 + usage < limit:
        assert t == math.inf  # old + steady-state usage never reaches the limit
