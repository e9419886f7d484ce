"""Creation requests for one withdrawal run one at a time, so a parallel duplicate is seen as a retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from daemon.errors import Conflict

WAIT_SECONDS = 10.0  # longer than a first request takes (its chain estimate is bounded well below this)


@dataclass(slots=True)
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class InFlight:
    """Per-key locks that exist only while a request holds or waits for them (this replica only)."""

    def __init__(self, wait_seconds: float = WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._slots: dict[Hashable, _Slot] = {}

    @asynccontextmanager
    async def one_at_a_time(self, key: Hashable) -> AsyncIterator[bool]:
        """Hold `key`; yields True when another request held it first (this one is its duplicate).

        A duplicate still waiting after `wait_seconds` gets 409 with Retry-After, never a 429.
        """
        slot = self._slots.setdefault(key, _Slot())
        slot.users += 1
        try:
            waited = slot.users > 1  # someone holds it or queued first (a just-released lock is not free)
            if waited:
                try:
                    async with asyncio.timeout(self.wait_seconds):
                        await slot.lock.acquire()
                except TimeoutError:
                    raise Conflict(
                        "a request for this withdrawal is still in progress; retry shortly",
                        field="withdrawal_id",
                        headers={"Retry-After": "1"},
                    ) from None
            else:
                # A new slot's lock is free: taken at once, so no timer to arm and cancel (the usual case).
                await slot.lock.acquire()
            try:
                yield waited
            finally:
                slot.lock.release()
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self._slots[key]

    def __len__(self) -> int:
        return len(self._slots)
