"""The supervisor's metrics: runs by outcome, pass durations, the last success (per task)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OUTCOMES = ("ok", "error", "timeout")  # error: raised (a DB or node error logs no traceback, a bug does)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class JobMetrics:
    """`task` labels, as `tronwatch_task_leader`: Prometheus renames a scraped `job` label `exported_job`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "tronwatch_job_runs", "Background job passes by outcome", ["task", "outcome"], registry=registry
        )
        self.duration = Histogram(
            "tronwatch_job_duration_seconds",
            "Background job pass duration",
            ["task"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.last_success = Gauge(
            "tronwatch_job_last_success_timestamp_seconds",
            "When the job last finished a pass without error (Unix time)",
            ["task"],
            registry=registry,
        )

    def declare(self, task: str) -> None:
        """Export every outcome at 0 from the start, so rate() and absent() work before the first failure."""
        for outcome in OUTCOMES:
            self.runs.labels(task, outcome)
        self.duration.labels(task)
