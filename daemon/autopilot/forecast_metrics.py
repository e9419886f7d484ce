"""`tronwatch_pool_shortage_forecast_seconds{pool}` and `tronwatch_energy_shortage_forecast_seconds`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from daemon.autopilot.forecast import Forecast
from daemon.energy.snapshot import EnergySnapshot


class ForecastCollector(Collector):
    """Rendered at scrape time from the latest forecast and the pools' names in the current snapshot."""

    def __init__(self, forecast: Forecast, snapshot: Callable[[], EnergySnapshot | None]) -> None:
        self.forecast = forecast
        self.snapshot = snapshot

    def describe(self) -> list[Metric]:
        """The families (empty), for the registry's clash check."""
        return self._families(None)

    def collect(self) -> Iterator[Metric]:
        """The latest forecast."""
        yield from self._families(self.snapshot())

    def _families(self, snap: EnergySnapshot | None) -> list[Metric]:
        pool = GaugeMetricFamily(
            "tronwatch_pool_shortage_forecast_seconds",
            "Seconds until the pool cannot fund the next withdrawal at the forecast spend; +Inf if not "
            "within the horizon",
            labels=["pool"],
        )
        total = GaugeMetricFamily(
            "tronwatch_energy_shortage_forecast_seconds",
            "Seconds until the pools as one cannot fund the next withdrawal; +Inf if not within the horizon",
        )
        if snap is not None:
            for p in snap.enabled_pools():
                seconds = self.forecast.pool_seconds(p.id)
                if seconds is not None:
                    pool.add_metric([p.name], seconds)
            if (seconds := self.forecast.total_seconds()) is not None:
                total.add_metric([], seconds)
        return [pool, total]


def register(registry: CollectorRegistry, collector: ForecastCollector) -> None:
    """Register the forecast gauges on the app's registry."""
    registry.register(collector)
