"""Mutable per-app state that exists only while the app runs (set in cleanup contexts)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from daemon.db.outage import Outage
from daemon.db.types import Pool

if TYPE_CHECKING:
    from daemon.devnode.app import Devnode
    from daemon.tron.client import TronClient
    from daemon.tron.health import ChainHealth


@dataclass
class Runtime:
    """The database pool and TRON client of one running app (its background jobs: keys.jobs)."""

    # None only outside database_context (before start-up, after shutdown); the few readers that may run
    # then check `is None`, every request handler and job runs while it is open.
    pool: Pool = None  # type: ignore[assignment]
    tron: TronClient | None = None
    chain_health: ChainHealth | None = None
    devnode: Devnode | None = None
    listen_address: tuple[str, int] | None = None  # set once the server listens (the self-probe's target)
    database: Outage = field(
        default_factory=lambda: Outage(logging.getLogger("daemon.db"), "requests that need it get 503")
    )

    def chain_speed(self) -> float:
        """Chain seconds per wall second: the in-process devnode's clock, else 1 (a real chain)."""
        speed = self.devnode.chain.clock.speed if self.devnode is not None else 1.0
        # A frozen devnode moves only when advanced by hand: its waits stay in chain seconds.
        return speed if speed > 0 else 1.0
