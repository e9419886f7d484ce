"""Ticket metrics on the app's registry: a created counter and gauges read from the latest figures."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from daemon.support.figures import FiguresHolder


class _FiguresCollector(Collector):
    """Renders the holder's figures at scrape time (every replica reads the same database)."""

    def __init__(self, holder: FiguresHolder) -> None:
        self._holder = holder

    def collect(self) -> Iterator[Metric]:
        figures = self._holder.current
        open_ = GaugeMetricFamily(
            "tronwatch_tickets_open", "Unresolved tickets (open, in_progress, pending)", labels=["priority"]
        )
        for priority, n in figures.open_by_priority.items():
            open_.add_metric([priority], n)
        yield open_
        yield GaugeMetricFamily(
            "tronwatch_tickets_sla_breached",
            "Unresolved tickets that missed a first-response or resolution deadline",
            value=figures.sla_breached,
        )
        yield GaugeMetricFamily(
            "tronwatch_tickets_oldest_unanswered_seconds",
            "Age of the oldest partner message without an admin reply on an open ticket",
            value=figures.oldest_unanswered_minutes * 60,
        )


class SupportMetrics:
    """The support package's metrics, registered once per app."""

    def __init__(self, registry: CollectorRegistry, holder: FiguresHolder) -> None:
        self.created = Counter(
            "tronwatch_tickets_created",
            "Tickets created, by automatic category and final priority",
            ["category", "priority"],
            registry=registry,
        )
        registry.register(_FiguresCollector(holder))
