"""A replica's per-partner request counts: 5xx only are errors, and old minutes are dropped."""

from __future__ import annotations

from daemon.partner_traffic import PartnerTraffic

T0 = 1_800_000_000.0  # a minute boundary


def test_counts_per_minute_and_partner_and_forgets_old_minutes() -> None:
    traffic = PartnerTraffic()
    for status in (200, 201, 404, 429, 500, 503):
        traffic.count(7, status, now=T0)
    traffic.count(8, 502, now=T0 + 61)
    minute = int(T0) // 60
    assert traffic.buckets(now=T0 + 61) == [(minute, 7, 6, 2), (minute + 1, 8, 1, 1)]
    # Six minutes on, the first minute is past any five-minute window: gone, and not kept in memory.
    traffic.count(7, 200, now=T0 + 6 * 60)
    assert traffic.buckets(now=T0 + 6 * 60) == [(minute + 1, 8, 1, 1), (minute + 6, 7, 1, 0)]
    assert minute not in traffic.minutes
