"""Stopping background tasks: cancel, wait, and never let one task's failure stop the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


async def stop_tasks(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel every task and wait for all of them; failures while stopping are logged, not raised."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    # A task cancelled mid-query may fail with a driver error instead of CancelledError.
    for task, result in zip(pending, await asyncio.gather(*pending, return_exceptions=True), strict=True):
        if isinstance(result, Exception):
            log.warning("background task failed while stopping task=%s error=%r", task.get_name(), result)
