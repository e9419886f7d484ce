"""The app's own Prometheus metrics (one CollectorRegistry per app, never module-level)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Gauge,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from daemon import __version__
from daemon.db.types import Pool
from daemon.http.request_metrics import HttpRequestMetrics, Series
from daemon.partner_traffic import PartnerTraffic

HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _PoolCollector(Collector):
    """Reads asyncpg pool sizes at scrape time."""

    def __init__(self, pool: Callable[[], Pool | None]) -> None:
        self._pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tronwatch_db_pool_connections", "Database pool connections by state", labels=["state"]
        )
        pool = self._pool()
        size = pool.get_size() if pool is not None else 0
        idle = pool.get_idle_size() if pool is not None else 0
        family.add_metric(["idle"], idle)
        family.add_metric(["in_use"], size - idle)
        family.add_metric(["max"], pool.get_max_size() if pool is not None else 0)
        yield family


class _DeprecatedLeader(Collector):
    """`tronwatch_leader{job}` copied from `tronwatch_task_leader{task}` for one release."""

    def __init__(self, leader: Gauge) -> None:
        self._leader = leader

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tronwatch_leader",
            "Deprecated, removed in the next release: use tronwatch_task_leader{task}",
            labels=["job"],
        )
        for metric in self._leader.collect():
            for sample in metric.samples:
                family.add_metric([sample.labels["task"]], sample.value)
        yield family


class AppMetrics:
    """Every metric the foundation exports; later packages register theirs on `registry`."""

    def __init__(self, registry: CollectorRegistry, *, pool: Callable[[], Pool | None]) -> None:
        self.registry = registry
        build = Gauge("tronwatch_build_info", "tronwatch build", ["version"], registry=registry)
        build.labels(__version__).set(1)
        # Counted without prometheus_client's per-call locks; exported under the same names and labels.
        self.http = HttpRequestMetrics(HTTP_BUCKETS)
        self.http_duration = self.http.duration
        self.http_requests = self.http.requests
        registry.register(self.http_duration)
        registry.register(self.http_requests)
        # Series per (route, method, status), looked up once: the route template is a dict lookup away.
        self._http_children: dict[tuple[object, str, int], Series] = {}
        self.partner_traffic = PartnerTraffic()  # partner labels on the histogram would multiply its series
        self.db_up = Gauge(
            "tronwatch_db_up", "1 when the database answered the last check", registry=registry
        )
        self.leader = Gauge(
            "tronwatch_task_leader",
            "1 while this instance holds the task's lease",
            ["task"],
            registry=registry,
        )
        registry.register(_DeprecatedLeader(self.leader))
        registry.register(_PoolCollector(pool))
        register_runtime_collectors(registry)

    def observe_http(self, request: web.Request, status: int, seconds: float) -> None:
        """Count one request by route template (never the raw path); time it unless it was a WebSocket."""
        resource = request.match_info.route.resource
        key = (resource, request.method, status)
        series = self._http_children.get(key)
        if series is None:
            route = resource.canonical if resource is not None else "unmatched"
            series = self._http_children[key] = self.http.child(route, request.method, status)
        if status != 101:  # a WebSocket's lifetime is not a request's latency
            self.http.observe(series, seconds)
        else:
            series.requests += 1


def register_runtime_collectors(registry: CollectorRegistry) -> None:
    """The standard process_* and python_* families, on this registry rather than the global one."""
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
