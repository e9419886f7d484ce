"""Pool and network gauges rendered from the current snapshot at scrape time (no per-pool Gauge objects)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily
from prometheus_client.registry import Collector

from daemon.energy.snapshot import LEVELS, EnergySnapshot, SnapshotHolder

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
    """Yields families built once per snapshot; a /metrics scrape between cycles reuses them."""

    def __init__(self, holder: SnapshotHolder) -> None:
        self._holder = holder
        self._built: tuple[EnergySnapshot, list[Metric]] | None = None

    def describe(self) -> list[Metric]:
        """Every family name (from the current, usually empty, snapshot) for the registry's clash check."""
        return [*_families(self._holder.current), *_freshness(self._holder.current, time.time())]

    def collect(self) -> Iterator[Metric]:
        """The current snapshot's families."""
        snap = self._holder.current
        built = self._built
        if built is None or built[0] is not snap:
            built = (snap, _families(snap))
            self._built = built
        yield from built[1]
        yield from _freshness(snap, time.time())


def _freshness(snap: EnergySnapshot, now: float) -> list[Metric]:
    """What rules read as `energy.*` beyond the totals (rules export: docs/partner-rules-and-export.md)."""
    t = snap.totals
    age = GaugeMetricFamily(
        "tronwatch_energy_data_age_seconds", "Seconds since the newest successful pool read"
    )
    if snap.data_time is not None:
        age.add_metric([], max(0.0, now - snap.data_time.timestamp()))
    available = GaugeMetricFamily(
        "tronwatch_energy_available_percentage", "Available energy / limit over enabled pools, 0-100"
    )
    if t.pools:
        available.add_metric([], t.available_percentage)
    return [
        age,
        GaugeMetricFamily(
            "tronwatch_energy_stale",
            "1 when there is no pool data or the newest is older than three scrape intervals",
            1.0 if snap.stale(now) else 0.0,
        ),
        available,
        GaugeMetricFamily("tronwatch_energy_pools", "Enabled pools", t.pools),
        GaugeMetricFamily("tronwatch_energy_pools_up", "Enabled pools whose last read succeeded", t.pools_up),
    ]


def _families(snap: EnergySnapshot) -> list[Metric]:
    fams = {n: GaugeMetricFamily(f"tronwatch_pool_{n}", h, labels=["pool"]) for n, h in _POOL_METRICS}
    expiry = GaugeMetricFamily(
        "tronwatch_pool_delegation_expiry_timestamp_seconds",
        "Unix time the lock of energy delegated to the pool ends (the delegator may reclaim it then)",
        labels=["pool", "from"],
    )
    for p in snap.enabled_pools():
        if not p.has_data:
            fams["up"].add_metric([p.name], 0.0)
            continue
        label = [p.name]
        fams["limit_energy"].add_metric(label, p.energy_limit)
        fams["used_energy"].add_metric(label, p.energy_used)
        fams["available_energy"].add_metric(label, p.energy_available)
        fams["usage_ratio"].add_metric(label, p.usage_ratio)
        fams["frozen_sun"].add_metric(label, p.frozen_sun)
        fams["balance_sun"].add_metric(label, p.balance_sun)
        if p.daily_consumption is not None:
            fams["daily_consumption_energy"].add_metric(label, p.daily_consumption)
        if p.runway_seconds is not None:
            fams["runway_seconds"].add_metric(label, p.runway_seconds)
        fams["energy_acquired"].add_metric(label, p.acquired_energy)
        fams["energy_delegated_out"].add_metric(label, p.delegated_out_energy)
        for d in p.delegations:
            if d.direction == "in" and d.expires_at is not None:
                expiry.add_metric([p.name, d.counterpart], d.expires_at.timestamp())
        fams["up"].add_metric(label, 1.0 if p.up else 0.0)
        assert p.last_scraped_at is not None
        fams["last_scrape_timestamp_seconds"].add_metric(label, p.last_scraped_at.timestamp())
    out: list[Metric] = [*fams.values(), expiry]
    for old, new, factor in _POOL_ALIASES:
        out.append(_alias(fams[new], f"tronwatch_pool_{old}", factor))
    t = snap.totals
    available = GaugeMetricFamily(
        "tronwatch_available_energy", "Available energy over enabled pools", t.energy_available
    )
    out += [available, _alias(available, "tronwatch_energy_available")]
    out.append(
        GaugeMetricFamily(
            "tronwatch_energy_usage_ratio", "Energy used / limit over enabled pools", t.usage_ratio
        )
    )
    level = GaugeMetricFamily(
        "tronwatch_energy_level",
        "1 for the threshold level of total usage (ok, warning, critical, emergency), else 0",
        labels=["level"],
    )
    for name in LEVELS:
        level.add_metric([name], 1.0 if name == snap.level else 0.0)
    out.append(level)
    threshold = GaugeMetricFamily(
        "tronwatch_energy_threshold_ratio",
        "Configured usage ratio where each level starts (energy.warning, .critical, .emergency)",
        labels=["level"],
    )
    for name, ratio in zip(LEVELS[1:], snap.thresholds, strict=True):
        threshold.add_metric([name], ratio)
    out.append(threshold)
    out.append(
        StateSetMetricFamily(
            "tronwatch_energy_state",
            DEPRECATED + "tronwatch_energy_level{level}",
            {name: name == snap.level for name in LEVELS},
        )
    )
    fee = GaugeMetricFamily("tronwatch_chain_energy_fee_sun", "getEnergyFee: sun per energy burned")
    if snap.energy_fee_sun is not None:
        fee.add_metric([], snap.energy_fee_sun)
    out.append(fee)
    quote = GaugeMetricFamily(
        "tronwatch_emergency_fee_sun", "Quoted fee in sun of one USDT transfer to an empty address"
    )
    if snap.quote is not None:
        quote.add_metric([], snap.quote.total_sun)
    out += [quote, _alias(quote, "tronwatch_emergency_fee_trx", SUN_PER_TRX)]
    return out


def _alias(new: GaugeMetricFamily, old: str, factor: int = 1) -> GaugeMetricFamily:
    """The old family under its old name, each value divided by `factor`, its help pointing to `new`."""
    labels = list(new.samples[0].labels) if new.samples else None
    family = GaugeMetricFamily(old, DEPRECATED + new.name, labels=labels)
    for sample in new.samples:
        family.add_metric(list(sample.labels.values()), sample.value / factor)
    return family


def register(registry: CollectorRegistry, holder: SnapshotHolder) -> EnergyCollector:
    """Register the energy collector on the app's registry."""
    collector = EnergyCollector(holder)
    registry.register(collector)
    return collector
