"""The one read-only view of the energy pools that the APIs, metrics and rules read (`pool.*`, `energy.*`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from daemon.energy.delegations import Delegation
from daemon.energy.quote import FeeQuote
from daemon.tron.energy import SECONDS_PER_DAY, WINDOW_SLOTS, runway_seconds

PoolStatus = Literal["active", "low", "exhausted", "unreachable", "disabled"]
Level = Literal["ok", "warning", "critical", "emergency"]
LEVELS: tuple[Level, ...] = ("ok", "warning", "critical", "emergency")
# energy.warning, .critical, .emergency: the usage ratios where each level starts (the config's defaults).
Thresholds = tuple[float, float, float]
DEFAULT_THRESHOLDS: Thresholds = (0.90, 0.95, 0.98)


@dataclass(frozen=True, slots=True)
class PoolView:
    """One pool's last known figures; `up` is whether the last attempt to read it succeeded."""

    id: int
    name: str
    wallet_address: str
    enabled: bool
    target_trx: Decimal
    up: bool
    status: PoolStatus
    energy_limit: int = 0
    energy_used: int = 0
    window_slots: int = 0
    frozen_sun: int = 0
    balance_sun: int = 0
    net_available: int = 0
    daily_consumption: int | None = None
    runway_seconds: float | None = None  # math.inf when recovery outpaces use; None when unknown
    last_scraped_at: datetime | None = None  # wall time of the last successful read
    chain_time: datetime | None = None  # head block time of that read
    last_error: str | None = None
    # Stake 2.0 delegation: energy_limit already includes acquired energy (docs/delegation.md).
    acquired_energy: int = 0
    delegated_out_energy: int = 0
    delegations: tuple[Delegation, ...] = ()
    reclaimed_energy_1h: int = 0

    @property
    def energy_available(self) -> int:
        """EnergyLimit − EnergyUsed, never negative (docs/tron.md#recovery)."""
        return max(0, self.energy_limit - self.energy_used)

    @property
    def usage_ratio(self) -> float:
        """Used ÷ limit (1.0 when the pool has no limit at all)."""
        return min(1.0, self.energy_used / self.energy_limit) if self.energy_limit > 0 else 1.0

    @property
    def has_data(self) -> bool:
        """Whether the pool was ever read."""
        return self.last_scraped_at is not None


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over enabled pools that were read at least once."""

    energy_limit: int = 0
    energy_used: int = 0
    energy_available: int = 0
    frozen_sun: int = 0
    balance_sun: int = 0
    daily_consumption: int | None = None
    runway_seconds: float | None = None  # the pools as one: math.inf when sustainable, None unknown
    pools: int = 0
    pools_up: int = 0

    @property
    def usage_ratio(self) -> float:
        """Total used ÷ total limit (0 with no pools, 1 with pools but no limit)."""
        if self.energy_limit <= 0:
            return 1.0 if self.pools else 0.0
        return min(1.0, self.energy_used / self.energy_limit)

    @property
    def available_percentage(self) -> float:
        """The seed's `energy.available_percentage`, 0–100."""
        return round(100.0 * (1.0 - self.usage_ratio), 4) if self.pools else 0.0


@dataclass(frozen=True, slots=True)
class EnergySnapshot:
    """Everything known after one scrape cycle (or load from the leader's rows); never mutated."""

    pools: tuple[PoolView, ...]
    totals: Totals
    level: Level
    energy_fee_sun: int | None
    transaction_fee_sun: int | None
    quote: FeeQuote | None
    data_time: datetime | None  # newest successful pool read (wall)
    stale_after: float  # seconds
    transfer_energy: int
    reserve_energy: int
    serial: int = 0
    thresholds: Thresholds = DEFAULT_THRESHOLDS
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def stale(self, now: float | None = None) -> bool:
        """No pool data, or the newest is older than `stale_after` (3 scrape intervals)."""
        if self.data_time is None:
            return True
        now = time.time() if now is None else now
        return now - self.data_time.timestamp() > self.stale_after

    def enabled_pools(self) -> list[PoolView]:
        """Enabled pools (what metrics, totals and the user status count)."""
        return [p for p in self.pools if p.enabled]

    def pool(self, pool_id: int) -> PoolView | None:
        """One pool by id."""
        return next((p for p in self.pools if p.id == pool_id), None)


def level_of(ratio: float, warning: float, critical: float, emergency: float) -> Level:
    """The seed's threshold monitor on total usage: ok < warning ≤ … ≤ emergency."""
    if ratio >= emergency:
        return "emergency"
    if ratio >= critical:
        return "critical"
    if ratio >= warning:
        return "warning"
    return "ok"


def totals_of(pools: list[PoolView]) -> Totals:
    """Sum the enabled pools that have data (last known values also count while unreachable)."""
    seen = [p for p in pools if p.enabled and p.has_data]
    daily = [p.daily_consumption for p in seen if p.daily_consumption is not None]
    limit, used = sum(p.energy_limit for p in seen), sum(p.energy_used for p in seen)
    return Totals(
        energy_limit=limit,
        energy_used=used,
        energy_available=sum(p.energy_available for p in seen),
        frozen_sun=sum(p.frozen_sun for p in seen),
        balance_sun=sum(p.balance_sun for p in seen),
        daily_consumption=sum(daily) if daily else None,
        runway_seconds=_total_runway(seen, limit, used, sum(daily)) if daily else None,
        pools=len(seen),
        pools_up=sum(1 for p in seen if p.up),
    )


def _total_runway(pools: list[PoolView], limit: int, used: int, daily: int) -> float:
    """The pool runway model on the summed figures, as if each transfer could draw on any pool."""
    # One window whose linear recovery matches the pools' combined recovery rate now.
    rate = sum(p.energy_used / p.window_slots for p in pools if p.window_slots > 0)
    window = round(used / rate) if rate > 0 else WINDOW_SLOTS
    return runway_seconds(limit, used, window, daily / SECONDS_PER_DAY)


class SnapshotHolder:
    """Holds the current snapshot; writers replace it whole, readers never see a half-built one."""

    def __init__(
        self,
        stale_after: float,
        transfer_energy: int,
        reserve_energy: int,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        self.current = EnergySnapshot(
            pools=(),
            totals=Totals(),
            level="ok",
            energy_fee_sun=None,
            transaction_fee_sun=None,
            quote=None,
            data_time=None,
            stale_after=stale_after,
            transfer_energy=transfer_energy,
            reserve_energy=reserve_energy,
            thresholds=thresholds,
        )
        self.published_locally_at: float | None = None  # monotonic; set by this replica's scraper
        # Called as (previous, current, local) after each publish; must not block or raise.
        self.listeners: list[Callable[[EnergySnapshot, EnergySnapshot, bool], None]] = []

    def publish(self, snapshot: EnergySnapshot, *, local: bool) -> None:
        """Make `snapshot` current."""
        previous, self.current = self.current, snapshot
        if local:
            self.published_locally_at = time.monotonic()
        for listener in self.listeners:
            listener(previous, snapshot, local)


def assemble(
    views: list[PoolView],
    *,
    thresholds: Thresholds,
    stale_after: float,
    transfer_energy: int,
    reserve_energy: int,
    energy_fee_sun: int | None,
    transaction_fee_sun: int | None,
    quote: FeeQuote | None,
    serial: int,
) -> EnergySnapshot:
    """A snapshot from pool views and chain prices (the level from total usage of enabled pools)."""
    totals = totals_of(views)
    times = [p.last_scraped_at for p in views if p.enabled and p.last_scraped_at is not None]
    return EnergySnapshot(
        pools=tuple(views),
        totals=totals,
        level=level_of(totals.usage_ratio, *thresholds) if totals.pools else "ok",
        energy_fee_sun=energy_fee_sun,
        transaction_fee_sun=transaction_fee_sun,
        quote=quote,
        data_time=max(times) if times else None,
        stale_after=stale_after,
        transfer_energy=transfer_energy,
        reserve_energy=reserve_energy,
        serial=serial,
        thresholds=thresholds,
    )
