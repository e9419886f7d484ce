"""The HTTP request histogram and counter as plain counts, read by a collector at scrape time.

prometheus_client's Histogram and Counter take a lock and read a clock per call; a request is
counted on the event loop's thread, so plain integer updates suffice. The families, names, labels
and samples are those prometheus_client's own Histogram and Counter would export.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator, Sequence

from prometheus_client import metrics as client_metrics
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

LABELS = ("route", "method", "status")
_go_float: Callable[[float], str] = floatToGoString


class Series:
    """One (route, method, status): counts per bucket (the last is +Inf), their sum, requests."""

    __slots__ = ("buckets", "created", "requests", "sum")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.sum = 0.0
        self.requests = 0
        self.created = time.time()


class _Family(Collector):
    """One family's samples from the shared series (its `collect` is what readers of the metric call)."""

    def __init__(self, owner: HttpRequestMetrics, name: str, documentation: str, kind: str) -> None:
        self._owner, self._name, self._documentation, self._kind = owner, name, documentation, kind

    def describe(self) -> Iterator[Metric]:
        """The family without samples, so that the registry knows its names (`?name[]=` filters)."""
        yield Metric(self._name, self._documentation, self._kind)

    def collect(self) -> Iterator[Metric]:
        """The family with one set of samples per series, in the order the series appeared."""
        metric = Metric(self._name, self._documentation, self._kind)
        bounds = self._owner.bounds
        for values, series in list(self._owner.series.items()):  # a copy: one C call, safe to iterate
            labels = dict(zip(LABELS, values, strict=True))
            if self._kind == "counter":
                metric.add_sample(self._name + "_total", labels, float(series.requests))
            else:
                acc = 0.0
                for bound, count in zip(bounds, list(series.buckets), strict=True):
                    acc += count
                    metric.add_sample(self._name + "_bucket", {**labels, "le": bound}, acc)
                metric.add_sample(self._name + "_count", labels, acc)
                metric.add_sample(self._name + "_sum", labels, series.sum)
            if client_metrics._use_created:  # off with PROMETHEUS_DISABLE_CREATED_SERIES, as for its own
                metric.add_sample(self._name + "_created", labels, series.created)
        yield metric


class HttpRequestMetrics:
    """`tronwatch_http_request_duration_seconds` and `tronwatch_http_requests` from one table of series."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.upper = [float(b) for b in buckets]
        self.bounds = [_go_float(b) for b in (*self.upper, float("inf"))]
        self.series: dict[tuple[str, str, str], Series] = {}
        duration = "tronwatch_http_request_duration_seconds"
        self.duration = _Family(self, duration, "HTTP request duration by route template", "histogram")
        self.requests = _Family(self, "tronwatch_http_requests", "HTTP requests by route template", "counter")

    def child(self, route: str, method: str, status: int) -> Series:
        """The series of these labels, created on first use."""
        values = (route, method, str(status))
        series = self.series.get(values)
        if series is None:
            series = self.series[values] = Series(len(self.bounds))
        return series

    def observe(self, series: Series, seconds: float) -> None:
        """One timed request."""
        series.buckets[bisect.bisect_left(self.upper, seconds)] += 1
        series.sum += seconds
        series.requests += 1
