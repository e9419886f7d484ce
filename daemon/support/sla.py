"""The SLA job (leader only): mark missed deadlines, close long-resolved tickets, notify."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from daemon.db.types import Pool
from daemon.support import lifecycle, repo

if TYPE_CHECKING:
    from daemon.support.state import SupportState

log = logging.getLogger(__name__)
CLOSE_BATCH = 500


@dataclass(frozen=True)
class SlaRun:
    """What one pass did."""

    breached: list[dict[str, Any]]
    closed: int


async def run_once(pool: Pool, state: SupportState) -> SlaRun:
    """One pass at the state's clock: breaches marked (with events), stale resolved tickets closed."""
    now, cfg = state.clock(), state.settings
    closed = 0
    async with pool.acquire() as conn:
        async with conn.transaction():
            breached = await repo.mark_breaches(conn, now)
        if cfg.auto_close_days > 0:
            async with conn.transaction():
                stale = await repo.resolved_before(
                    conn, now - timedelta(days=cfg.auto_close_days), CLOSE_BATCH
                )
                for row in stale:
                    new = row | lifecycle.status_change(row, "closed", now, cfg.sla)
                    await repo.insert_events(
                        conn,
                        row["id"],
                        "system",
                        None,
                        [("status", "resolved", "closed", {"auto": True})],
                        now,
                    )
                    await repo.save_ticket(conn, new)
                closed = len(stale)
    if breached:
        await state.notifier.sla_breached(breached)
    if closed:
        log.info("resolved tickets closed automatically count=%d", closed)
    if breached or closed:
        state.touched()
    return SlaRun(breached, closed)
