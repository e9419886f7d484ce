"""This replica's HTTP API traffic over the time since the previous read, from the HTTP histogram."""

from __future__ import annotations

import math

from prometheus_client.registry import Collector

from daemon.alerts.namespaces import Values


class ApiWindow:
    """`api.*` over the time since the previous read, from the HTTP histogram's cumulative buckets."""

    # Scrapes, probes and WebSocket lifetimes are not API traffic (as in the monitoring collector).
    EXCLUDE = ("/metrics", "/healthz", "/readyz", "/ws/monitoring")

    def __init__(self, http_duration: Collector) -> None:
        self.http_duration = http_duration
        self.prev: tuple[dict[float, float], float, float, float] | None = None

    def _totals(self) -> tuple[dict[float, float], float, float, float]:
        buckets: dict[float, float] = {}
        total = count = errors = 0.0
        for family in self.http_duration.collect():
            for s in family.samples:
                if s.labels.get("route") in self.EXCLUDE:
                    continue
                if s.name.endswith("_bucket"):
                    le = float(s.labels["le"])
                    buckets[le] = buckets.get(le, 0.0) + s.value
                elif s.name.endswith("_sum"):
                    total += s.value
                elif s.name.endswith("_count"):
                    count += s.value
                    if s.labels.get("status", "").startswith("5"):
                        errors += s.value
        return buckets, total, count, errors

    def read(self) -> Values | None:
        """Mean and p95/p99 in ms, error rate 0–1; no data when there were no requests."""
        now = self._totals()
        prev, self.prev = self.prev, now
        if prev is None:
            return None
        count = now[2] - prev[2]
        if count <= 0:
            return {"requests": 0}
        deltas = sorted((le, now[0][le] - prev[0].get(le, 0.0)) for le in now[0])
        return {
            "requests": count,
            "response_time_ms": 1000 * (now[1] - prev[1]) / count,
            "p95_ms": 1000 * _quantile(0.95, deltas, count),
            "p99_ms": 1000 * _quantile(0.99, deltas, count),
            "error_rate": (now[3] - prev[3]) / count,
        }


def _quantile(q: float, buckets: list[tuple[float, float]], count: float) -> float:
    """histogram_quantile: linear interpolation inside the bucket holding the q-th observation."""
    rank, lower, below = q * count, 0.0, 0.0
    for le, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(le):
                return lower
            span = cumulative - below
            return lower + (le - lower) * ((rank - below) / span if span > 0 else 1.0)
        lower, below = le, cumulative
    return lower
