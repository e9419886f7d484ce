"""Each partner's API requests and 5xx answers on this replica, in per-minute buckets kept a few minutes."""

from __future__ import annotations

import time

KEEP_MINUTES = 6  # the current minute and the five before it: enough for a five-minute window


class PartnerTraffic:
    """Counts per (minute, partner): a dict increment per request, no I/O."""

    def __init__(self) -> None:
        self.minutes: dict[int, dict[int, list[int]]] = {}

    def count(self, partner_id: int, status: int, now: float | None = None) -> None:
        """One answered request of this partner."""
        minute = int(time.time() if now is None else now) // 60
        partners = self.minutes.get(minute)
        if partners is None:
            partners = self.minutes[minute] = {}
            for old in [m for m in self.minutes if m <= minute - KEEP_MINUTES]:
                del self.minutes[old]
        counts = partners.get(partner_id)
        if counts is None:
            counts = partners[partner_id] = [0, 0]
        counts[0] += 1
        if status >= 500:
            counts[1] += 1

    def buckets(self, now: float | None = None) -> list[tuple[int, int, int, int]]:
        """(minute since the epoch, partner id, requests, errors) of the minutes still kept."""
        oldest = int(time.time() if now is None else now) // 60 - KEEP_MINUTES
        return [
            (minute, partner, counts[0], counts[1])
            for minute, partners in sorted(self.minutes.items())
            if minute > oldest
            for partner, counts in partners.items()
        ]
