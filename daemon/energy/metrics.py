"""Pool and network gauges rendered from the current snapshot at scrape time (no per-pool Gauge objects)."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from daemon.energy.snapshot import LEVELS, EnergySnapshot, SnapshotHolder
from daemon.exposition import Family, Format, gauge, render, stateset

SUN_PER_TRX = 1_000_000
DEPRECATED = "Deprecated, removed in the next release: use "

# name suffix after tronwatch_pool_ (the unit last), help text
_POOL_METRICS = (
    ("limit_energy", "Energy limit of the pool's stake"),
    ("used_energy", "Energy used, decayed to the head block"),
    ("available_energy", "Energy limit minus energy used"),
    ("usage_ratio", "Energy used / limit (0-1)"),
    ("frozen_sun", "Sun staked for energy (own stake incl. delegated out)"),
    ("balance_sun", "Liquid balance in sun"),
    ("daily_consumption_energy", "Energy spent in the trailing 24 h (decay model over snapshots)"),
    ("runway_seconds", "Seconds until available energy reaches 0 at the current spend; +Inf if sustainable"),
    ("energy_acquired", "Energy delegated to the pool by other accounts (part of its limit)"),
    ("energy_delegated_out", "Energy of the pool's stake delegated to other accounts"),
    ("up", "1 when the last read of the pool succeeded"),
    ("last_scrape_timestamp_seconds", "Unix time of the last successful read"),
)
# old pool family (one release more) -> its replacement and the factor from the new value to the old
_POOL_ALIASES = (
    ("energy_limit", "limit_energy", 1),
    ("energy_used", "used_energy", 1),
    ("energy_available", "available_energy", 1),
    ("frozen_trx", "frozen_sun", SUN_PER_TRX),
    ("balance_trx", "balance_sun", SUN_PER_TRX),
)


class EnergyCollector(Collector):
    """Families built once per snapshot, and their /metrics text rendered once per snapshot and format."""

    def __init__(self, holder: SnapshotHolder, clock: Callable[[], float] = time.time) -> None:
        self._holder = holder
        self._clock = clock
        self._built: tuple[EnergySnapshot, list[Family]] | None = None
        self._metrics: tuple[EnergySnapshot, list[Metric]] | None = None
        self._text: tuple[EnergySnapshot, dict[tuple[bool, str], bytes]] | None = None

    def describe(self) -> list[Metric]:
        """Every family name (from the current, usually empty, snapshot) for the registry's clash check."""
        snap = self._holder.current
        return [f.to_metric() for f in (*_families(snap), *_freshness(snap, self._clock()))]

    def collect(self) -> list[Metric]:
        """The current snapshot's families."""
        snap = self._holder.current
        if self._metrics is None or self._metrics[0] is not snap:
            self._metrics = (snap, [f.to_metric() for f in self._families(snap)])
        return [*self._metrics[1], *(f.to_metric() for f in _freshness(snap, self._clock()))]

    def exposition(self, fmt: Format) -> bytes:
        """prometheus_client's text for collect(); the snapshot's part is rendered once per format."""
        snap = self._holder.current
        if self._text is None or self._text[0] is not snap:
            self._text = (snap, {})
        cached = self._text[1].get(fmt.key)  # not the content type: clients choose its version freely
        if cached is None:
            cached = self._text[1][fmt.key] = render(self._families(snap), fmt)
        return cached + render(_freshness(snap, self._clock()), fmt)

    def _families(self, snap: EnergySnapshot) -> list[Family]:
        if self._built is None or self._built[0] is not snap:
            self._built = (snap, _families(snap))
        return self._built[1]


def _freshness(snap: EnergySnapshot, now: float) -> list[Family]:
    """What rules read as `energy.*` beyond the totals (rules export: docs/partner-rules-and-export.md)."""
    t = snap.totals
    age = gauge("tronwatch_energy_data_age_seconds", "Seconds since the newest successful pool read")
    if snap.data_time is not None:
        age.rows.append(((), max(0.0, now - snap.data_time.timestamp())))
    available = gauge(
        "tronwatch_energy_available_percentage", "Available energy / limit over enabled pools, 0-100"
    )
    if t.pools:
        available.rows.append(((), t.available_percentage))
    return [
        age,
        gauge(
            "tronwatch_energy_stale",
            "1 when there is no pool data or the newest is older than three scrape intervals",
            1.0 if snap.stale(now) else 0.0,
        ),
        available,
        gauge("tronwatch_energy_pools", "Enabled pools", t.pools),
        gauge("tronwatch_energy_pools_up", "Enabled pools whose last read succeeded", t.pools_up),
    ]


def _families(snap: EnergySnapshot) -> list[Family]:
    fams = {n: gauge(f"tronwatch_pool_{n}", h, labels=["pool"]) for n, h in _POOL_METRICS}
    rows = {n: fams[n].rows.append for n, _ in _POOL_METRICS}
    expiry = gauge(
        "tronwatch_pool_delegation_expiry_timestamp_seconds",
        "Unix time the lock of energy delegated to the pool ends (the delegator may reclaim it then)",
        labels=["pool", "from"],
    )
    for p in snap.enabled_pools():
        label = (p.name,)
        if not p.has_data:
            rows["up"]((label, 0.0))
            continue
        rows["limit_energy"]((label, p.energy_limit))
        rows["used_energy"]((label, p.energy_used))
        rows["available_energy"]((label, p.energy_available))
        rows["usage_ratio"]((label, p.usage_ratio))
        rows["frozen_sun"]((label, p.frozen_sun))
        rows["balance_sun"]((label, p.balance_sun))
        if p.daily_consumption is not None:
            rows["daily_consumption_energy"]((label, p.daily_consumption))
        if p.runway_seconds is not None:
            rows["runway_seconds"]((label, p.runway_seconds))
        rows["energy_acquired"]((label, p.acquired_energy))
        rows["energy_delegated_out"]((label, p.delegated_out_energy))
        for d in p.delegations:
            if d.direction == "in" and d.expires_at is not None:
                expiry.rows.append(((p.name, d.counterpart), d.expires_at.timestamp()))
        rows["up"]((label, 1.0 if p.up else 0.0))
        assert p.last_scraped_at is not None
        rows["last_scrape_timestamp_seconds"]((label, p.last_scraped_at.timestamp()))
    out: list[Family] = [*fams.values(), expiry]
    for old, new, factor in _POOL_ALIASES:
        out.append(_alias(fams[new], f"tronwatch_pool_{old}", factor))
    t = snap.totals
    available = gauge("tronwatch_available_energy", "Available energy over enabled pools", t.energy_available)
    out += [available, _alias(available, "tronwatch_energy_available")]
    out.append(gauge("tronwatch_energy_usage_ratio", "Energy used / limit over enabled pools", t.usage_ratio))
    level = gauge(
        "tronwatch_energy_level",
        "1 for the threshold level of total usage (ok, warning, critical, emergency), else 0",
        labels=["level"],
    )
    level.rows.extend(((name,), 1.0 if name == snap.level else 0.0) for name in LEVELS)
    out.append(level)
    threshold = gauge(
        "tronwatch_energy_threshold_ratio",
        "Configured usage ratio where each level starts (energy.warning, .critical, .emergency)",
        labels=["level"],
    )
    threshold.rows.extend(((name,), ratio) for name, ratio in zip(LEVELS[1:], snap.thresholds, strict=True))
    out.append(threshold)
    out.append(
        stateset(
            "tronwatch_energy_state",
            DEPRECATED + "tronwatch_energy_level{level}",
            {name: name == snap.level for name in LEVELS},
        )
    )
    fee = gauge("tronwatch_chain_energy_fee_sun", "getEnergyFee: sun per energy burned")
    if snap.energy_fee_sun is not None:
        fee.rows.append(((), snap.energy_fee_sun))
    out.append(fee)
    quote = gauge("tronwatch_emergency_fee_sun", "Quoted fee in sun of one USDT transfer to an empty address")
    if snap.quote is not None:
        quote.rows.append(((), snap.quote.total_sun))
    out += [quote, _alias(quote, "tronwatch_emergency_fee_trx", SUN_PER_TRX)]
    return out


def _alias(new: Family, old: str, factor: int = 1) -> Family:
    """The old family under its old name, each value divided by `factor`, its help pointing to `new`."""
    rows = [(values, value / factor) for values, value in new.rows]
    return Family(old, DEPRECATED + new.name, "gauge", new.labels, rows)


def register(
    registry: CollectorRegistry, holder: SnapshotHolder, clock: Callable[[], float] = time.time
) -> EnergyCollector:
    """Register the energy collector on the app's registry."""
    collector = EnergyCollector(holder, clock)
    registry.register(collector)
    return collector
