"""`partner.*` for the alert rules: per partner, its queue, emergency withdrawals, API errors and tickets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from daemon.alerts.namespaces import NUM, Namespace, Values
from daemon.alerts.platform import Platform
from daemon.db.errors import DB_ERRORS
from daemon.db.types import Connection, Record

log = logging.getLogger(__name__)
WINDOW = timedelta(minutes=5)
PARTNER = Namespace(
    "partner",
    {
        "name": "str",
        "id": NUM,
        "webhook": "bool",
        "waiting": NUM,
        "oldest_wait_seconds": NUM,
        "emergency_pending": NUM,
        "rate_limited_last_5m": NUM,
        "security_events_last_5m": NUM,
        "tickets_open": NUM,
        "tickets_sla_breached": NUM,
        "requests_last_5m": NUM,
        "errors_last_5m": NUM,
        "error_rate_last_5m": NUM,
    },
    per_instance=True,
    doc="one partner (use with for_each: partner; read from the database before each evaluation; "
    "requests/errors: its API calls and 5xx answers on every live replica)",
)

_SQL = """
WITH api AS (
  SELECT (b->>1)::bigint AS partner_id, sum((b->>2)::bigint) AS requests, sum((b->>3)::bigint) AS errors
  FROM monitoring_replicas r
  CROSS JOIN LATERAL jsonb_array_elements(coalesce(r.figures->'partner_api', '[]'::jsonb)) b
  WHERE r.updated_at > now() - make_interval(secs => $2) AND (b->>0)::bigint >= $3
  GROUP BY 1
)
SELECT p.id, p.name, p.webhook_url IS NOT NULL AS webhook,
  (SELECT count(*) FROM energy_withdrawal_queue q WHERE q.partner_id = p.id AND q.status = 'waiting')
    AS waiting,
  (SELECT min(q.created_at) FROM energy_withdrawal_queue q WHERE q.partner_id = p.id AND q.status = 'waiting')
    AS oldest,
  (SELECT count(*) FROM emergency_withdrawals e
    WHERE e.partner_id = p.id AND e.status = 'pending_trx_payment') AS emergency_pending,
  (SELECT coalesce(sum(s.count), 0) FROM security_events s
    WHERE s.partner_id = p.id AND s.type = 'RATE_LIMIT_EXCEEDED' AND s.last_seen_at > $1) AS rate_limited,
  (SELECT coalesce(sum(s.count), 0) FROM security_events s WHERE s.partner_id = p.id AND s.last_seen_at > $1)
    AS events,
  (SELECT count(*) FROM support_tickets t
    WHERE t.partner_id = p.id AND t.status IN ('open', 'in_progress', 'pending')) AS tickets_open,
  (SELECT count(*) FROM support_tickets t
    WHERE t.partner_id = p.id AND t.status IN ('open', 'in_progress', 'pending')
      AND (t.first_response_breached_at IS NOT NULL OR t.resolution_breached_at IS NOT NULL)) AS breached,
  coalesce(a.requests, 0) AS api_requests, coalesce(a.errors, 0) AS api_errors
FROM partners p LEFT JOIN api a ON a.partner_id = p.id ORDER BY p.id
"""


def partner_values(row: Record, now: datetime) -> Values:
    """`partner.*` of one partner row."""
    oldest = row["oldest"]
    requests, errors = int(row["api_requests"]), int(row["api_errors"])
    return {
        "name": row["name"],
        "id": row["id"],
        "webhook": row["webhook"],
        "waiting": row["waiting"],
        "oldest_wait_seconds": max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
        "emergency_pending": row["emergency_pending"],
        "rate_limited_last_5m": int(row["rate_limited"]),
        "security_events_last_5m": int(row["events"]),
        "tickets_open": row["tickets_open"],
        "tickets_sla_breached": row["breached"],
        "requests_last_5m": requests,
        "errors_last_5m": errors,
        "error_rate_last_5m": errors / requests if requests else None,
    }


class PartnerReader:
    """The partners as of the last refresh; None (unknown: instances keep their state) until it succeeds."""

    def __init__(self, clock: Callable[[], datetime], live_within: Callable[[], float] = lambda: 0.0) -> None:
        self.clock = clock
        self.live_within = live_within  # seconds: replicas silent longer are gone and left out
        self.current: list[Values] | None = None

    async def refresh(self, conn: Connection) -> None:
        """Read every partner's figures in one statement."""
        now = self.clock()
        try:
            # Whole minutes: the window starts at the minute five minutes back (5 to 6 minutes of traffic).
            first_minute = int((now - WINDOW).timestamp()) // 60
            rows = await conn.fetch(_SQL, now - WINDOW, self.live_within(), first_minute)
        except DB_ERRORS as exc:
            log.warning("partner figures not read error=%s", exc)
            self.current = None
            return
        self.current = [partner_values(r, now) for r in rows]

    def read(self) -> list[Values] | None:
        """The reader registered for `partner`."""
        return self.current


def register(platform: Platform, clock: Callable[[], datetime], live_within: Callable[[], float]) -> None:
    """Let rules name `partner.*`, read from the database before each evaluation."""
    reader = PartnerReader(clock, live_within)
    platform.add_namespace(PARTNER, reader.read, refresh=reader.refresh)
