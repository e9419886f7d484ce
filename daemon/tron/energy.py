"""Stake 2.0 energy math as pure functions with java-tron semantics (docs/tron.md#energy).

Usage values are energy units, stakes are sun, slots are 3 s blocks. The
functions reproduce java-tron's integer/double mix exactly (ResourceProcessor
``increase``/``increaseV2``, EnergyProcessor ``calculateGlobalEnergyLimitV2``),
so the devnode and the daemon agree with a real node to the unit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = [
    "PRECISION",
    "SECONDS_PER_DAY",
    "SLOT_MS",
    "SUN_PER_TRX",
    "WINDOW_OPTIMIZED_SCALE",
    "WINDOW_SLOTS",
    "available_energy",
    "decayed_usage",
    "decayed_usage_many",
    "energy_limit",
    "increase_fixed",
    "increase_usage",
    "java_round",
    "recovery_per_hour",
    "runway_seconds",
    "seconds_until_available",
    "window_slots_from_stored",
]

SLOT_MS = 3_000  # BLOCK_PRODUCED_INTERVAL
WINDOW_SLOTS = 28_800  # WINDOW_SIZE_MS / BLOCK_PRODUCED_INTERVAL = 86_400_000 / 3_000
PRECISION = 1_000_000  # ChainConstant.PRECISION
WINDOW_OPTIMIZED_SCALE = 1000  # WINDOW_SIZE_PRECISION: energy_window_size is stored ×1000 when optimized
SUN_PER_TRX = 1_000_000
SECONDS_PER_DAY = 86_400
_SLOTS_PER_HOUR = 3_600_000 // SLOT_MS
_SLOT_S = SLOT_MS // 1000
_LONG_MAX = 2**63 - 1


def java_round(x: float) -> int:
    """Java ``Math.round`` for non-negative doubles: nearest integer, ties towards +inf."""
    # Python's round() is banker's rounding and int(x + 0.5) misrounds 0.49999999999999994.
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def _ceil_div(a: int, b: int) -> int:
    """java-tron divideCeil for non-negative operands."""
    return -(-a // b)


def energy_limit(staked_sun: int, total_energy_current_limit: int, total_energy_weight: int) -> int:
    """EnergyLimit = (long)(staked_sun/1e6 × (TotalEnergyCurrentLimit/TotalEnergyWeight)) (docs/tron.md)."""
    # Same operation order as calculateGlobalEnergyLimitV2 so double rounding matches java-tron.
    if total_energy_weight <= 0 or staked_sun <= 0:
        return 0
    # Java converts to double before dividing and its (long) cast saturates (docs/devnode-fidelity.md, 10).
    limit = (float(staked_sun) / SUN_PER_TRX) * (float(total_energy_current_limit) / total_energy_weight)
    return min(int(limit), _LONG_MAX)


def available_energy(limit: int, usage: int) -> int:
    """Available = EnergyLimit − EnergyUsed, never negative (usage can exceed a shrunk limit)."""
    return max(0, limit - usage)


def window_slots_from_stored(energy_window_size: int, optimized: bool = True) -> int:
    """AccountCapsule.getWindowSize: stored window → slots (0 or <1000 optimized → 28,800)."""
    if energy_window_size <= 0:
        return WINDOW_SLOTS
    if optimized:
        if energy_window_size < WINDOW_OPTIMIZED_SCALE:
            return WINDOW_SLOTS
        return energy_window_size // WINDOW_OPTIMIZED_SCALE
    return energy_window_size


def decayed_usage(usage: int, elapsed_slots: int, window_slots: int = WINDOW_SLOTS) -> int:
    """avg=ceil(u·1e6/W); avg=round(avg·((W−Δ)/W)) if Δ<W else 0; avg·W//1e6 (docs/tron.md#recovery)."""
    if elapsed_slots < 0:
        raise ValueError("elapsed_slots must be >= 0")
    if window_slots <= 0:
        raise ValueError("window_slots must be > 0")
    if usage <= 0:
        return 0
    avg = -(-usage * PRECISION // window_slots)
    if elapsed_slots:
        if elapsed_slots >= window_slots:
            return 0
        # java: double decay = (W - Δ) / (double) W; Math.round(avg * decay)
        avg = java_round(avg * ((window_slots - elapsed_slots) / window_slots))
    return avg * window_slots // PRECISION


def decayed_usage_many(
    usages: Iterable[int], elapsed: Iterable[int], window_slots: int = WINDOW_SLOTS
) -> list[int]:
    """decayed_usage over pairs with one window, inlined for throughput (same results)."""
    if window_slots <= 0:
        raise ValueError("window_slots must be > 0")
    w = window_slots
    p = PRECISION
    floor = math.floor
    out: list[int] = []
    append = out.append
    for u, d in zip(usages, elapsed, strict=True):
        if d < 0:
            raise ValueError("elapsed_slots must be >= 0")
        if u <= 0 or d >= w:
            append(0)
            continue
        avg = -(-u * p // w)
        if d:
            x = avg * ((w - d) / w)
            f = floor(x)
            avg = f + 1 if x - f >= 0.5 else f
        append(avg * w // p)
    return out


def increase_fixed(
    last_usage: int, spend: int, last_slot: int, now_slot: int, window_slots: int = WINDOW_SLOTS
) -> int:
    """ResourceProcessor.increase: decay over a fixed window, then add; no window blend (free bandwidth)."""
    if now_slot < last_slot:
        raise ValueError("now_slot must be >= last_slot")
    avg_last = _ceil_div(max(last_usage, 0) * PRECISION, window_slots)
    avg_new = _ceil_div(max(spend, 0) * PRECISION, window_slots)
    if now_slot != last_slot:
        if last_slot + window_slots > now_slot:
            delta = now_slot - last_slot
            avg_last = java_round(avg_last * ((window_slots - delta) / window_slots))
        else:
            avg_last = 0
    return (avg_last + avg_new) * window_slots // PRECISION


def increase_usage(
    last_usage: int, last_slot: int, now_slot: int, window_size_scaled: int, spend: int
) -> tuple[int, int]:
    """increaseV2: new = decayed + spend; W'×1000 = min(ceil((r·(W×1000−Δ·1000) + u·28.8e6)/new), 28.8e6).

    ``window_size_scaled`` is the stored ``energy_window_size`` with ``energy_window_optimized``
    (×1000; 0 means never set). Returns ``(new_usage, new_window_size_scaled)`` (docs/tron.md#recovery).
    """
    if now_slot < last_slot:
        raise ValueError("now_slot must be >= last_slot")
    if spend < 0:
        raise ValueError("spend must be >= 0")
    full_scaled = WINDOW_SLOTS * WINDOW_OPTIMIZED_SCALE
    old_window = window_slots_from_stored(window_size_scaled, optimized=True)  # getWindowSize
    # getWindowSizeV2: only 0 is unset; it can go negative (docs/devnode-fidelity.md, fact 10).
    old_window_v2 = window_size_scaled if window_size_scaled != 0 else full_scaled
    avg_last = _ceil_div(max(last_usage, 0) * PRECISION, old_window)
    avg_new = _ceil_div(spend * PRECISION, WINDOW_SLOTS)  # a new spend always uses the full window
    delta = now_slot - last_slot
    if delta:
        if last_slot + old_window > now_slot:
            avg_last = java_round(avg_last * ((old_window - delta) / old_window))
        else:
            avg_last = 0
    new_usage = (avg_last * old_window + avg_new * WINDOW_SLOTS) // PRECISION
    remain = avg_last * old_window // PRECISION
    if remain == 0:
        return new_usage, full_scaled
    remain_window = old_window_v2 - delta * WINDOW_OPTIMIZED_SCALE
    new_window = _ceil_div(remain * remain_window + spend * full_scaled, new_usage)
    return new_usage, min(new_window, full_scaled)


def recovery_per_hour(usage: int, window_slots: int = WINDOW_SLOTS) -> int:
    """Energy recovered in the next hour with no new use: usage − decayed_usage(usage, 1200, W)."""
    return usage - decayed_usage(usage, _SLOTS_PER_HOUR, window_slots)


def seconds_until_available(limit: int, usage: int, window_slots: int, needed: int) -> int | None:
    """3·min{Δ : limit − decayed_usage(usage, Δ, W) ≥ needed} seconds; None if needed > limit."""
    if needed > limit:
        return None
    target = limit - needed  # usage must fall to at most this
    if usage <= target:
        return 0
    if window_slots <= 0:
        return 0
    # Linear estimate Δ ≈ W·(usage − target)/usage, then walk to the exact java-rounded slot.
    slot = min(_ceil_div(window_slots * (usage - target), usage), window_slots)
    while slot > 0 and decayed_usage(usage, slot - 1, window_slots) <= target:
        slot -= 1
    while decayed_usage(usage, slot, window_slots) > target:
        slot += 1
    return slot * _SLOT_S


def runway_seconds(limit: int, usage: int, window_slots: int, spend_per_second: float) -> float:
    """First t with U(t) ≥ limit, U(t) = usage·(1−t/R)⁺ + s·(t − t²/2D) (t<D, then s·D/2); inf if never.

    R = window_slots·3 s is the remaining window of the current usage and D = 86,400 s: each
    newly spent unit recovers linearly over a full window, which is what increaseV2's
    usage-weighted window blend converges to (docs/tron.md#recovery). Sustainable when s·D/2 < limit.
    """
    if usage >= limit:
        return 0.0
    s = max(spend_per_second, 0.0)
    r = max(window_slots, 0) * _SLOT_S
    d = float(SECONDS_PER_DAY)
    bounds = sorted({0.0, float(r), d})
    for i, t0 in enumerate(bounds):
        t1 = bounds[i + 1] if i + 1 < len(bounds) else math.inf
        # U(t) = a·t² + b·t + c on [t0, t1)
        a, b, c = 0.0, 0.0, 0.0
        if t0 < r:
            b -= usage / r
            c += usage
        if t0 < d:
            a -= s / (2 * d)
            b += s
        else:
            c += s * d / 2
        root = _first_crossing(a, b, c - limit, t0, t1)
        if root is not None:
            return root
    return math.inf


def _first_crossing(a: float, b: float, c: float, t0: float, t1: float) -> float | None:
    """Smallest t in [t0, t1) with a·t² + b·t + c ≥ 0, or None."""
    if a * t0 * t0 + b * t0 + c >= 0:
        return t0
    roots: list[float] = []
    if a == 0.0:
        if b != 0.0:
            roots.append(-c / b)
    else:
        disc = b * b - 4 * a * c
        if disc >= 0:
            # Stable form: (-b ± sqrt) cancels catastrophically when |a| is tiny.
            q = -0.5 * (b + math.copysign(math.sqrt(disc), b))
            roots.append(q / a)
            if q != 0.0:
                roots.append(c / q)
    inside = [t for t in roots if t0 < t < t1]
    return min(inside) if inside else None
