"""Stopping background tasks: cancel, wait (bounded), and never let one task's failure stop the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

# A task that ignores cancellation (e.g. stuck in a shielded driver call) must not hang shutdown.
STOP_TIMEOUT = 10.0


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], grace: float = STOP_TIMEOUT) -> None:
    """Cancel every task and wait for them; failures are logged, and stragglers abandoned after `grace` s."""
    pending = list(tasks)
    if not pending:
        return
    for task in pending:
        task.cancel()
    done, stuck = await asyncio.wait(pending, timeout=grace)
    for task in stuck:
        log.error("background task did not stop in %.0f s, abandoning it task=%s", grace, task.get_name())
    for task in done:
        # A task cancelled mid-query may fail with a driver error instead of CancelledError.
        if not task.cancelled() and task.exception() is not None:
            log.warning(
                "background task failed while stopping task=%s error=%r", task.get_name(), task.exception()
            )


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait for `event` at most `seconds`; True if it was set.

    Not `asyncio.wait_for`: on Python 3.11 it swallows a cancellation that arrives as the event is set,
    and the task then sleeps through shutdown.
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
