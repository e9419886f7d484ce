"""`webhook`: Alertmanager v4 JSON, Standard Webhooks signature (docs/alerting.md#webhook-payload)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from daemon.alerts.channels.base import Outcome, Sessions, post
from daemon.alerts.grouping import REASONS as GROUP_REASONS
from daemon.alerts.identity import delivery_id
from daemon.alerts.settings import WebhookReceiver

REASONS = {
    "firing": "new alerts added",
    "repeat": "repeat interval elapsed",
    "resolved": "some alerts resolved",
}


def secret_bytes(secret: str) -> bytes:
    """`whsec_<base64>` -> key bytes (a secret without the prefix is used as given)."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_") :], validate=True)
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


ALERT_KEYS = ("status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint")


def group_body(receiver: str, external_url: str, p: dict[str, Any], max_alerts: int) -> dict[str, Any]:
    """The v4 document of one aggregation group, as Alertmanager's webhook notifier builds it."""
    alerts = p["alerts"]
    keep = alerts[:max_alerts] if max_alerts > 0 else alerts
    return {
        "version": "4",
        "groupKey": p["groupKey"],
        "truncatedAlerts": len(alerts) - len(keep),
        "status": p["status"],
        "receiver": receiver,
        "groupLabels": p["groupLabels"],
        "commonLabels": p["labels"],
        "commonAnnotations": p["annotations"],
        "routeLabels": {},  # Alertmanager 0.34's route `labels`; routes here set none
        "externalURL": external_url,
        "notification_reason": GROUP_REASONS.get(p.get("reason", ""), "new alerts added"),
        "alerts": [{k: a[k] for k in ALERT_KEYS} for a in keep],
    }


def v4_body(
    receiver: str, external_url: str, payloads: list[dict[str, Any]], max_alerts: int = 0
) -> dict[str, Any]:
    """The Alertmanager webhook v4 document for these alerts (one group per alertname)."""
    first = payloads[0]
    if "alerts" in first:
        return group_body(receiver, external_url, first, max_alerts)
    labels = first["labels"]
    common = {k: v for k, v in labels.items() if all(p["labels"].get(k) == v for p in payloads)}
    notes = first["annotations"]
    common_notes = {k: v for k, v in notes.items() if all(p["annotations"].get(k) == v for p in payloads)}
    status = "firing" if any(p["status"] == "firing" for p in payloads) else "resolved"
    return {
        "version": "4",
        "groupKey": "{}:" + json.dumps({"alertname": labels.get("alertname", "")}, separators=(",", ":")),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": {"alertname": labels.get("alertname", "")},
        "commonLabels": common,
        "commonAnnotations": common_notes,
        "externalURL": external_url,
        "notification_reason": REASONS.get(first.get("reason", first["status"]), "new alerts added"),
        "alerts": [
            {
                k: p[k]
                for k in (
                    "status",
                    "labels",
                    "annotations",
                    "startsAt",
                    "endsAt",
                    "generatorURL",
                    "fingerprint",
                )
            }
            for p in payloads
        ],
    }


class WebhookChannel:
    """One notification per request, so `webhook-id` is the notification's own stable id."""

    max_batch = 1

    def __init__(self, receiver: WebhookReceiver, external_url: str) -> None:
        self.receiver = receiver
        self.url = receiver.url.get_secret_value()
        self.rate_key = self.url
        self.external_url = external_url

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """POST the v4 body with Standard Webhooks headers."""
        row = rows[0]
        doc = v4_body(self.receiver.name, self.external_url, [row["payload"]], self.receiver.max_alerts)
        body = json.dumps(doc).encode()
        msg_id = delivery_id(row)
        headers = {"webhook-id": msg_id}
        if self.receiver.secret is not None:
            ts = int(time.time())
            headers["webhook-timestamp"] = str(ts)
            try:
                headers["webhook-signature"] = sign(self.receiver.secret.get_secret_value(), msg_id, ts, body)
            except (binascii.Error, ValueError):
                # Retrying cannot help: the secret stays what it is until someone changes it.
                return Outcome("permanent", None, "webhook secret is not whsec_<base64>: cannot sign")
        return await post(
            sessions,
            self.url,
            allow_private=self.receiver.allow_private,
            seconds=self.receiver.timeout,
            body=body,
            headers=headers,
        )
