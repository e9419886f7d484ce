"""Ticket notifications through the alerts outbox, written in the ticket's own transaction.

An event is sent in the alert payload shape (status `firing`, label `kind: event`, `validUntil` an
hour on), so every receiver type — Slack, email, webhook v4, Alertmanager, log — renders, rate-limits
and retries it unchanged, and an Alertmanager lets it expire by itself. New tickets go to the support
team's receivers; an admin's public reply goes to the partner's own webhook (receiver `partner:<id>`,
resolved from the partners table when the Sender delivers it, signed as webhook receivers are).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from daemon.alerts.channels.base import Channel
from daemon.alerts.channels.webhook import WebhookChannel
from daemon.alerts.outbox_port import Notification, enqueue
from daemon.alerts.platform import Resolver
from daemon.alerts.settings import WebhookReceiver
from daemon.db.types import Connection
from daemon.runtime import Runtime

_HAS_WEBHOOK = "SELECT webhook_url IS NOT NULL FROM partners WHERE id = $1"
EVENT_TTL = timedelta(hours=1)
NEVER = "0001-01-01T00:00:00Z"
PARTNER = "partner:"
TEXT_MAX = 2000


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def event_payload(
    name: str, labels: dict[str, str], summary: str, description: str, now: datetime, external_url: str
) -> dict[str, Any]:
    """One event in the alert payload shape."""
    fingerprint = f"{name}:{labels['ticket_id']}"
    return {
        "reason": "firing",
        "validUntil": _iso(now + EVENT_TTL),
        "status": "firing",
        "labels": {"alertname": name, "kind": "event", **labels},
        "annotations": {"summary": summary, "description": description[:TEXT_MAX]},
        "startsAt": _iso(now),
        "endsAt": NEVER,
        "generatorURL": f"{external_url}/api/v1/support/tickets/{labels['ticket_id']}",
        "fingerprint": fingerprint,
        "value": None,
    }


def placeholder(*texts: str) -> str:
    """A stand-in for the new ticket's id that none of `texts` contains, so SQL replaces only ours."""
    # Not a secret, only absent from the texts: no system call for random bytes (one per ticket create).
    token = f"__TICKET_ID_{random.getrandbits(64):016x}__"
    while any(token in t for t in texts):  # 64 random bits: practically never twice
        token = f"__TICKET_ID_{random.getrandbits(64):016x}__"
    return token


def created_template(ticket: dict[str, Any], now: datetime, external_url: str) -> tuple[str, str]:
    """The TicketCreated payload as JSON text, and the placeholder SQL replaces with the id (digits)."""
    ticket_id = placeholder(ticket["title"], ticket["description"])
    labels = {
        "ticket_id": ticket_id,
        "partner_id": str(ticket["partner_id"]),
        "priority": ticket["priority"],
        "category": ticket["category"],
        "severity": "critical" if ticket["priority"] in ("high", "critical") else "info",
    }
    what = f"{ticket['priority']}, {ticket['category']}"
    summary = f"New support ticket #{ticket_id} ({what}): {ticket['title']}"
    payload = event_payload("TicketCreated", labels, summary, ticket["description"], now, external_url)
    return json.dumps(payload, ensure_ascii=False), ticket_id


async def enqueue_reply(
    conn: Connection, ticket: dict[str, Any], message: dict[str, Any], now: datetime, external_url: str
) -> bool:
    """In the caller's transaction: a TicketReply for the partner's webhook, if the partner has one."""
    if not await conn.fetchval(_HAS_WEBHOOK, ticket["partner_id"]):
        return False
    labels = {
        "ticket_id": str(ticket["id"]),
        "message_id": str(message["id"]),
        "partner_id": str(ticket["partner_id"]),
        "status": ticket["status"],
    }
    summary = f"Support replied to your ticket #{ticket['id']}: {ticket['title']}"
    payload = event_payload("TicketReply", labels, summary, message["message"], now, external_url)
    notification = Notification(
        notification_id=f"ticket:{ticket['id']}:reply:{message['id']}",
        receiver=f"{PARTNER}{ticket['partner_id']}",
        alertname="TicketReply",
        fingerprint=payload["fingerprint"],
        payload=json.dumps(payload, ensure_ascii=False),
        created_at=now,
    )
    return await enqueue(conn, notification)


def partner_resolver(runtime: Runtime, external_url: str, *, allow_private: bool, timeout: float) -> Resolver:
    """The Sender's resolver for `partner:<id>` receivers (None for anything else or no webhook)."""

    async def resolve(name: str) -> Channel | None:
        if not name.startswith(PARTNER) or not name[len(PARTNER) :].isdigit():
            return None
        async with runtime.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT webhook_url, webhook_secret FROM partners WHERE id = $1", int(name[len(PARTNER) :])
            )
        if row is None or row["webhook_url"] is None:
            return None
        # Not validated: a URL stored before today's checks must fail as a notification (the sender's
        # own check records why), not stop the sender.
        receiver = WebhookReceiver.model_construct(
            type="webhook",
            name=name.replace(":", "-"),
            url=SecretStr(row["webhook_url"]),
            secret=SecretStr(row["webhook_secret"]) if row["webhook_secret"] else None,
            allow_private=allow_private,
            timeout=timeout,
        )
        return WebhookChannel(receiver, external_url)

    return resolve
