"""What the withdrawal services and jobs use, handed to them by the wiring instead of the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from daemon.energy.snapshot import EnergySnapshot, SnapshotHolder
from daemon.runtime import Runtime
from daemon.tron.client import TronClient
from daemon.withdrawals.state import WithdrawalState


@dataclass(frozen=True, slots=True)
class WithdrawalDeps:
    """The feature's state, the energy snapshots it plans with, the core's pool and TRON client."""

    state: WithdrawalState
    snapshots: SnapshotHolder
    # The pool and TRON client open when the app starts and close when it stops: read at each use.
    runtime: Runtime

    @property
    def pool(self) -> Any:
        """The database pool (asyncpg.Pool) of the running app."""
        return self.runtime.pool

    @property
    def tron(self) -> TronClient | None:
        """The TRON client, None when no network is configured."""
        return self.runtime.tron

    def snapshot(self) -> EnergySnapshot:
        """The current energy snapshot."""
        return self.snapshots.current

    def chain_speed(self) -> float:
        """Chain seconds per wall second (the devnode's clock in demo mode, else 1)."""
        return self.runtime.chain_speed()


withdrawal_deps = web.AppKey("withdrawal_deps", WithdrawalDeps)
