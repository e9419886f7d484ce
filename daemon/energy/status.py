"""What the figures mean for users: pool status, sufficiency, wait, and the banner message (ko/en)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from daemon.energy.snapshot import EnergySnapshot, PoolStatus, PoolView
from daemon.tron.energy import seconds_until_available

Lang = str  # "ko" | "en"
SUPPORTED = ("ko", "en")


def pool_status(pool: PoolView, *, transfer_energy: int, warning: float) -> PoolStatus:
    """disabled > unreachable > exhausted (cannot fund one standard transfer) > low (≥ warning) > active."""
    if not pool.enabled:
        return "disabled"
    if not pool.up:
        return "unreachable"
    if pool.energy_available < transfer_energy:
        return "exhausted"
    if pool.usage_ratio >= warning:
        return "low"
    return "active"


@dataclass(frozen=True, slots=True)
class Sufficiency:
    """Whether the next standard transfer can be funded now, and if not, when (minutes)."""

    sufficient: bool
    wait_minutes: int | None


def sufficiency(snapshot: EnergySnapshot, *, speed: float = 1.0) -> Sufficiency:
    """One pool must hold transfer + reserve; else the wall wait at `speed` chain seconds per wall second."""
    need = snapshot.transfer_energy + snapshot.reserve_energy
    pools = [p for p in snapshot.pools if p.enabled and p.up and p.has_data]
    if any(p.energy_available >= need for p in pools):
        return Sufficiency(True, 0)
    waits = [
        s
        for p in pools
        if (s := seconds_until_available(p.energy_limit, p.energy_used, p.window_slots or 1, need))
        is not None
    ]
    # Recovery only: spends still to come can only lengthen this; the queue (issue 5) refines it.
    return Sufficiency(False, math.ceil(min(waits) / speed / 60) if waits else None)


def pick_language(accept_language: str | None) -> Lang:
    """Korean or English from Accept-Language by q-value; English when neither is asked for."""
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def alert_message(suff: Sufficiency, fee_trx: Decimal | None, stale: bool, lang: Lang) -> str | None:
    """Null when energy suffices (by the last known figures); otherwise a short banner line in `lang`."""
    if suff.sufficient:
        return None
    fee = f"{fee_trx.quantize(Decimal('0.01'))}" if fee_trx is not None else None
    if lang == "ko":
        if stale:
            return "에너지 상태를 확인할 수 없습니다. 출금이 지연될 수 있습니다."
        wait = f" 예상 대기 시간은 약 {suff.wait_minutes}분입니다." if suff.wait_minutes else ""
        pay = f" 네트워크 수수료(약 {fee} TRX)를 직접 지불하면 바로 출금할 수 있습니다." if fee else ""
        return f"에너지가 부족하여 출금이 대기열에 추가됩니다.{wait}{pay}"
    if stale:
        return "Energy status is currently unknown; withdrawals may be delayed."
    wait = f" Estimated wait: about {suff.wait_minutes} min." if suff.wait_minutes else ""
    pay = f" Pay the network fee (about {fee} TRX) to withdraw now." if fee else ""
    return f"Energy is low, so withdrawals are queued.{wait}{pay}"
