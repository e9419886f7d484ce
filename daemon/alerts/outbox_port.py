"""The outbox port: how other packages queue notifications in alerts' outbox, in their own transaction.

A queued notification is delivered by the Sender like an alert's (retries, rate limits, history). Its
id is unique per receiver: `enqueue` of the same one again keeps the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.db.types import Connection

_COLUMNS = "notification_id, receiver, alertname, fingerprint, status, payload, created_at"
_INSERT = f"INSERT INTO alert_outbox ({_COLUMNS}, due_at) "
_KEEP_FIRST = " ON CONFLICT (receiver, notification_id) DO NOTHING"


@dataclass(frozen=True)
class Notification:
    """One notification for one receiver; `payload` is the JSON text receivers get."""

    notification_id: str
    receiver: str
    alertname: str
    fingerprint: str
    payload: str
    created_at: datetime
    status: str = "firing"


async def enqueue(conn: Connection, notification: Notification) -> bool:
    """Queue it (one statement, in the caller's transaction); False if that id was already queued."""
    n = notification
    done: str = await conn.execute(
        _INSERT + "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $7)" + _KEEP_FIRST,
        n.notification_id,
        n.receiver,
        n.alertname,
        n.fingerprint,
        n.status,
        n.payload,
        n.created_at,
    )
    return done != "INSERT 0 0"


def enqueue_from(select: str) -> str:
    """SQL queueing the rows of `select`, for a writer whose notifications name what its statement inserts.

    `select` yields (notification_id, receiver, alertname, fingerprint, status, payload jsonb, created_at),
    one row per notification, each id new because it names the row inserted (so no conflict check is
    paid for); the result is one statement's data-modifying part (e.g. a WITH item), so a ticket and its
    notifications are written by the one statement, atomically.
    """
    # The caller's SELECT is code, never input: its values are bound parameters of the caller's statement.
    return f"{_INSERT}SELECT {_COLUMNS}, created_at FROM ({select}) AS n({_COLUMNS})"  # noqa: S608
