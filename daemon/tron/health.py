"""Is the TRON node answering? A per-replica watcher of head and solid blocks (readiness, metrics)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial

from prometheus_client import CollectorRegistry, Gauge

from daemon.jobs import Job
from daemon.tron.client import TronClient
from daemon.tron.errors import TronError
from daemon.tron.options import display_url

log = logging.getLogger(__name__)
# A healthy chain solidifies a block about 19 blocks (one minute) after it is made; ten minutes
# behind the head (or ahead of it: another chain) means payments would wait (docs/tron-nodes.md).
MAX_SOLID_LAG_BLOCKS = 200


@dataclass
class ChainHealth:
    """The last head and solid blocks seen and when; fresh while younger than `stale_after` seconds."""

    stale_after: float
    head_block: int | None = None
    last_ok: float | None = None
    last_error: str | None = None
    usdt_contract_found: bool | None = None  # None until getcontract has answered once
    solid_block: int | None = None
    solid_ok: float | None = None
    solid_error: str | None = None

    def fresh(self, now: float | None = None) -> bool:
        """True when the node answered recently."""
        now = time.monotonic() if now is None else now
        return self.last_ok is not None and now - self.last_ok <= self.stale_after

    def solid_fresh(self, now: float | None = None) -> bool:
        """True when the solidity endpoint answered recently."""
        now = time.monotonic() if now is None else now
        return self.solid_ok is not None and now - self.solid_ok <= self.stale_after

    def solid_lag(self) -> int | None:
        """Head minus solid block, when both are known."""
        if self.head_block is None or self.solid_block is None:
            return None
        return self.head_block - self.solid_block


def chain_jobs(
    client: TronClient, health: ChainHealth, registry: CollectorRegistry, interval: float
) -> list[Job]:
    """Jobs polling the head and solid blocks every `interval` seconds; node errors never fail them."""
    head = Gauge("tronwatch_chain_head_block", "Head block number of the TRON node", registry=registry)
    # Two jobs: a solidity endpoint that times out must not make the full node look stale.
    return [
        Job("chain-head", partial(_check_head, client, health, head), interval=interval),
        Job("chain-solidity", partial(_check_solidity, client, health), interval=interval),
    ]


async def _check_head(client: TronClient, health: ChainHealth, head: Gauge) -> None:
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


async def _check_solidity(client: TronClient, health: ChainHealth) -> None:
    """walletsolidity/getnowblock; the first answer (or failure) and every change are logged once."""
    where = display_url(client.solidity_endpoint)
    first = health.solid_ok is None and health.solid_error is None
    try:
        health.solid_block = await client.get_solid_block_number()
    except (TimeoutError, TronError, OSError) as exc:
        if health.solid_error is None:
            log.warning(
                "tron solidity endpoint %s failed error=%s: payments stay pending (never rejected) until "
                "it answers; set tron.solidity_url to the node's /walletsolidity URL (java-tron: port 8091)",
                where,
                exc,
            )
        health.solid_error = str(exc) or type(exc).__name__
        return
    health.solid_ok = time.monotonic()
    if first or health.solid_error is not None:
        lag = health.solid_lag()
        log.info(
            "tron solidity endpoint %s (%s) answering solid_block=%d blocks_behind_head=%s",
            where,
            client.options.solidity_source,
            health.solid_block,
            "unknown" if lag is None else lag,
        )
    health.solid_error = None


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
