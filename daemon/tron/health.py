"""Is the TRON node answering? A per-replica watcher of the head block, for readiness and metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge

from daemon.tron.client import TronClient
from daemon.tron.errors import TronError

log = logging.getLogger(__name__)


@dataclass
class ChainHealth:
    """The last head block seen and when; fresh while it is younger than `stale_after` seconds."""

    stale_after: float
    head_block: int | None = None
    last_ok: float | None = None
    last_error: str | None = None
    usdt_contract_found: bool | None = None  # None until getcontract has answered once

    def fresh(self, now: float | None = None) -> bool:
        """True when the node answered recently."""
        now = time.monotonic() if now is None else now
        return self.last_ok is not None and now - self.last_ok <= self.stale_after


async def watch_chain(
    client: TronClient, health: ChainHealth, registry: CollectorRegistry, interval: float
) -> None:
    """Poll the head block every `interval` seconds; never raises on node errors."""
    head = Gauge("tronwatch_chain_head_block", "Head block number of the TRON node", registry=registry)
    while True:
        try:
            health.head_block = await client.get_now_block_number()
            health.last_ok = time.monotonic()
            if health.last_error is not None:
                log.info("tron node answering again head=%d", health.head_block)
            health.last_error = None
            head.set(health.head_block)
            if health.usdt_contract_found is None:
                await _check_usdt_contract(client, health)
        except (TimeoutError, TronError, OSError) as exc:
            if health.last_error is None:
                log.warning("tron node check failed error=%s", exc)
            health.last_error = str(exc) or type(exc).__name__
        await asyncio.sleep(interval)


async def _check_usdt_contract(client: TronClient, health: ChainHealth) -> None:
    """Warn once when the USDT contract is not on this chain: every energy estimate would fall back."""
    usdt = client.options.usdt
    try:
        health.usdt_contract_found = await client.contract_exists(usdt)
    except (TimeoutError, TronError, OSError) as exc:  # asked again on the next round
        log.debug("usdt contract check failed error=%s", exc)
        return
    if not health.usdt_contract_found:
        log.warning(
            "USDT contract %s does not exist on this chain (getcontract is empty): energy estimates "
            "will use the fallback figures; set tron.usdt_contract to this network's USDT",
            usdt,
        )
