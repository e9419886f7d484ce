"""`alertmanager`: POST /api/v2/alerts of a real Alertmanager (re-sends: docs/operator-checks.md)."""

from __future__ import annotations

import json
from typing import Any

from daemon.alerts.channels.base import Outcome, Sessions, post
from daemon.alerts.channels.text import members
from daemon.alerts.settings import AlertmanagerReceiver


def postable(p: dict[str, Any], install_id: str | None = None) -> dict[str, Any]:
    """One postableAlert; a firing alert is valid until a few re-sends are missed (then AM resolves it)."""
    ends = p["endsAt"] if p["status"] == "resolved" else p.get("validUntil", p["endsAt"])
    labels = dict(p["labels"])
    if install_id:
        # Which installation raised it: replicas share one (same database), two gateways do not.
        labels.setdefault("instance", install_id)
    alert = {
        "labels": labels,
        "annotations": p["annotations"],
        "startsAt": p["startsAt"],
        "generatorURL": p["generatorURL"],
    }
    if not ends.startswith("0001-"):
        alert["endsAt"] = ends
    return alert


class AlertmanagerChannel:
    """Everything due for this Alertmanager in one POST."""

    max_batch = 100

    def __init__(self, receiver: AlertmanagerReceiver) -> None:
        self.receiver = receiver
        self.url = receiver.url.get_secret_value().rstrip("/") + "/api/v2/alerts"
        self.rate_key = self.url

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """POST the list."""
        return await post(
            sessions,
            self.url,
            allow_private=self.receiver.allow_private,
            seconds=self.receiver.timeout,
            body=json.dumps(
                [postable(a, r.get("install_id")) for r in rows for a in members(r["payload"])]
            ).encode(),
            headers={},
        )
