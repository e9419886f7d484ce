"""Queue and emergency metrics on the app's registry (names from the README's metric table)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass
class WithdrawalMetrics:
    """Gauges refreshed by the dispatcher; counters bumped where things happen."""

    waiting: Gauge
    oldest_wait: Gauge
    released: Counter
    emergency: Counter
    payments: Counter
    scan_block: Gauge

    @classmethod
    def register(cls, registry: CollectorRegistry) -> WithdrawalMetrics:
        """Create the families on `registry`."""
        return cls(
            waiting=Gauge("tronwatch_queue_waiting", "Withdrawals waiting for energy", registry=registry),
            oldest_wait=Gauge(
                "tronwatch_queue_oldest_wait_seconds",
                "Age of the oldest waiting withdrawal (0 when none)",
                registry=registry,
            ),
            released=Counter(
                "tronwatch_queue_released",
                "Withdrawals released to a pool by the dispatcher",
                registry=registry,
            ),
            emergency=Counter(
                "tronwatch_emergency_withdrawals",
                "Emergency withdrawals entering each status",
                ["status"],
                registry=registry,
            ),
            payments=Counter(
                "tronwatch_emergency_payments",
                "TRX payments to pay_to recorded, by what they did (settled, underpaid, unmatched, …)",
                ["status"],
                registry=registry,
            ),
            scan_block=Gauge(
                "tronwatch_payment_scan_block",
                "The last solid block the payment scan has read (leader only)",
                registry=registry,
            ),
        )
