"""Alert metrics on the app's registry (DESIGN "Metric contract": alerts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from daemon.alerts.state import Instance

EVAL_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 1800.0)


class _AlertsCollector(Collector):
    """`tronwatch_alerts{alertname,alertstate}` read from the live instances at scrape time."""

    def __init__(self, instances: Callable[[], Iterable[Instance]]) -> None:
        self._instances = instances

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tronwatch_alerts", "Alert instances by rule and state", labels=["alertname", "alertstate"]
        )
        counts: dict[tuple[str, str], int] = {}
        for inst in list(self._instances()):
            if inst.state != "inactive":
                key = (inst.rule, inst.state)
                counts[key] = counts.get(key, 0) + 1
        for (name, state), n in sorted(counts.items()):
            family.add_metric([name, state], n)
        yield family


class AlertMetrics:
    """Every alert metric."""

    def __init__(self, registry: CollectorRegistry, instances: Callable[[], Iterable[Instance]]) -> None:
        registry.register(_AlertsCollector(instances))
        self.eval_duration = Histogram(
            "tronwatch_rule_evaluation_duration_seconds",
            "Time to evaluate every due rule once",
            buckets=EVAL_BUCKETS,
            registry=registry,
        )
        self.eval_failures = Counter(
            "tronwatch_rule_evaluation_failures",
            "Rule evaluations that raised (e.g. a value of the wrong type; division by zero is no data)",
            ["rule"],
            registry=registry,
        )
        self.notifications = Counter(
            "tronwatch_notifications",
            "Notification attempts by receiver and outcome (sent, retry, rate_limited, failed)",
            ["receiver", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "tronwatch_notification_latency_seconds",
            "From enqueue to delivery",
            ["receiver"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            "tronwatch_notification_queue_depth", "Notifications waiting in the outbox", registry=registry
        )
        self.reload_ok = Gauge(
            "tronwatch_rules_last_reload_successful",
            "1 when the last rule (re)load succeeded; 0 keeps the previous rules running",
            registry=registry,
        )
        self.rules_loaded = Gauge("tronwatch_rules_loaded", "Alert rules in force", registry=registry)
