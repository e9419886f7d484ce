"""`queue.*` for the alert rules: declared and read by the withdrawals package."""

from __future__ import annotations

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import Reader
from daemon.observability.values import gauge_value
from daemon.withdrawals.metrics import WithdrawalMetrics

QUEUE = Namespace(
    "queue",
    {"waiting": NUM, "oldest_wait_minutes": NUM},
    doc="withdrawals waiting for energy (as of the last queue gauge refresh)",
)


def reader(metrics: WithdrawalMetrics) -> Reader:
    """`queue.*` values, read from the queue gauges this replica refreshes."""

    def queue() -> Values:
        return {
            "waiting": gauge_value(metrics.waiting),
            "oldest_wait_minutes": gauge_value(metrics.oldest_wait) / 60,
        }

    return queue
