"""`queue.*` for the alert rules: declared and read by the withdrawals package."""

from __future__ import annotations

from aiohttp import web

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import register_namespace
from daemon.observability.values import gauge_value
from daemon.withdrawals.metrics import WithdrawalMetrics

QUEUE = Namespace(
    "queue",
    {"waiting": NUM, "oldest_wait_minutes": NUM},
    doc="withdrawals waiting for energy (as of the last queue gauge refresh)",
)


def register(app: web.Application, metrics: WithdrawalMetrics) -> None:
    """Let rules name `queue.*`, read from the queue gauges this replica refreshes."""

    def queue() -> Values:
        return {
            "waiting": gauge_value(metrics.waiting),
            "oldest_wait_minutes": gauge_value(metrics.oldest_wait) / 60,
        }

    register_namespace(app, QUEUE, queue)
