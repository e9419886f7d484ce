"""The withdrawal feature's shared state and its app key (routes, services and jobs read it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from daemon.withdrawals.estimate import Estimator
from daemon.withdrawals.inflight import InFlight
from daemon.withdrawals.metrics import WithdrawalMetrics
from daemon.withdrawals.models import ClaimedItem
from daemon.withdrawals.settings import WithdrawalSettings
from daemon.withdrawals.waiting import WaitingTotals

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class WithdrawalState:
    """What the withdrawal routes and jobs of one app share."""

    settings: WithdrawalSettings
    clock: Clock
    metrics: WithdrawalMetrics
    estimator: Estimator = field(default_factory=Estimator)
    pay_to: str | None = None  # settings.pay_to, or the demo hot wallet while the devnode runs
    dispatch_now: asyncio.Event = field(default_factory=asyncio.Event)
    energy_cache: dict[str, int] = field(default_factory=dict)  # to_address -> estimated transfer energy
    inflight_cache: tuple[float, object, dict[int, int]] | None = None  # (monotonic, snapshot, energy)
    waiting: WaitingTotals = field(default_factory=WaitingTotals)  # the count enqueue positions start from
    # The demo executor's transfers broadcast and not yet seen in a block: txid -> (partner id, item).
    broadcasts: dict[str, tuple[int, ClaimedItem]] = field(default_factory=dict)
    creating: InFlight = field(default_factory=InFlight)  # withdrawals being queued or quoted now

    def poke(self) -> None:
        """Something changed that the dispatcher should look at soon (this replica only)."""
        self.dispatch_now.set()


withdrawal_state = web.AppKey("withdrawal_state", WithdrawalState)
