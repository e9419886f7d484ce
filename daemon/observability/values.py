"""Reading a metric this process owns from the metric object itself (not a registry-wide lookup by name)."""

from __future__ import annotations

from prometheus_client import Gauge


def gauge_value(gauge: Gauge) -> float:
    """The current value of a gauge without labels (0 until first set, as exported)."""
    for family in gauge.collect():
        for sample in family.samples:
            return float(sample.value)
    return 0.0
