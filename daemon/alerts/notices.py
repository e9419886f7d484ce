"""What an evaluation tells receivers: each event's payload and outbox rows, and Alertmanager re-sends."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from daemon.alerts import ack
from daemon.alerts.payloads import NEVER, generator_url, iso
from daemon.alerts.routed import Router
from daemon.alerts.rules import Rule
from daemon.alerts.settings import AlertmanagerReceiver, AlertsSettings
from daemon.alerts.state import Event, Instance


@dataclass
class Cycle:
    """What one evaluation changed."""

    changed: list[Instance] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    # Re-sends of still-firing alerts to alertmanager receivers: one row per episode, refreshed.
    resends: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)  # aggregation groups changed (docs)
    groups_removed: list[str] = field(default_factory=list)


class Notices:
    """Payloads and outbox rows for one app's settings; `acks` is set before each cycle from the database."""

    def __init__(self, settings: AlertsSettings, router: Router) -> None:
        self.settings = settings
        self.router = router
        self.acks: dict[str, dict[str, Any]] = {}
        # fingerprint -> when alertmanager receivers last got it (memory only: a restart re-sends at once).
        self.am_sent: dict[str, float] = {}

    def payload(self, inst: Instance, rule: Rule, event: Event, now: float) -> dict[str, Any]:
        """The alert as receivers get it (Alertmanager's shape, plus reason and value)."""
        status = "resolved" if event == "resolved" else "firing"
        return {
            "reason": event,
            # Prometheus's ValidUntil: two evaluations or re-sends may fail before an Alertmanager ends
            # the alert by itself (see docs/operator-checks.md, "Alertmanager re-sends").
            "validUntil": iso(now + 4 * max(rule.interval_s, self.settings.resend_delay)),
            "status": status,
            "labels": inst.labels,
            "annotations": inst.annotations,
            **({"annotations_mrkdwn": inst.mrkdwn} if inst.mrkdwn else {}),
            "startsAt": iso(inst.fired_at if inst.fired_at is not None else now),
            "endsAt": iso(inst.resolved_at) if status == "resolved" and inst.resolved_at else NEVER,
            "generatorURL": generator_url(self.settings, rule.name, inst.fingerprint),
            "fingerprint": inst.fingerprint,
            "value": inst.value,
        }

    def rows(
        self,
        inst: Instance,
        rule: Rule,
        event: Event,
        now: float,
        receivers: Iterable[str] | None = None,
        extra: Collection[str] = (),
    ) -> list[dict[str, Any]]:
        """One outbox row per receiver of this event (the rule's, or `receivers`, and `extra`)."""
        status = "resolved" if event == "resolved" else "firing"
        payload = self.payload(inst, rule, event, now)
        # fired_at names the episode: an instance forgotten after it resolved starts again at seq 0,
        # and receivers (and the outbox's unique key) would take a repeated id for a duplicate.
        episode = round((inst.fired_at if inst.fired_at is not None else now) * 1_000_000)
        payload.update(
            ack.fields(self.settings, inst.fingerprint, self.acks.get(inst.fingerprint), status, episode, now)
        )
        out = []
        for name in [*(rule.receivers if receivers is None else receivers), *extra]:
            receiver = self.settings.receiver(name)
            if name in extra:
                pass  # a partner's webhook (resolved when sent) hears of the end as well
            elif receiver is None or (status == "resolved" and not receiver.send_resolved):
                continue
            out.append(
                {
                    "notification_id": f"{inst.fingerprint}:{episode}:{status}:{inst.seq}",
                    "receiver": name,
                    "alertname": rule.name,
                    "fingerprint": inst.fingerprint,
                    "status": status,
                    "payload": payload,
                    "created_at": datetime.fromtimestamp(now, UTC),
                }
            )
        return out

    def _am_receivers(self, rule: Rule) -> list[str]:
        if self.router.takes(rule):
            return []
        return [n for n in rule.receivers if isinstance(self.settings.receiver(n), AlertmanagerReceiver)]

    def resend(
        self, rules: Iterable[Rule], instances: Mapping[str, Instance], cycle: Cycle, now: float
    ) -> None:
        """Firing alerts go to Alertmanager receivers every resend_delay, as Prometheus does."""
        # Alertmanager keeps alerts in memory only and ends each at its endsAt: without re-sends a
        # restarted one shows nothing until the next repeat (docs/operator-checks.md).
        for row in cycle.outbox:
            if row["status"] == "firing" and isinstance(
                self.settings.receiver(row["receiver"]), AlertmanagerReceiver
            ):
                self.am_sent[row["fingerprint"]] = now
        by_rule = {r.name: r for r in rules}
        for inst in instances.values():
            rule = by_rule.get(inst.rule)
            if rule is None or inst.state != "firing" or inst.muted is not None or inst.last_sent_at is None:
                continue
            if now - self.am_sent.get(inst.fingerprint, -math.inf) < self.settings.resend_delay:
                continue
            names = self._am_receivers(rule)
            if not names:
                continue
            self.am_sent[inst.fingerprint] = now
            for row in self.rows(inst, rule, "repeat", now, receivers=names):
                row["notification_id"] = row["notification_id"].rsplit(":", 1)[0] + ":resend"
                row["payload"] = {**row["payload"], "reason": "resend"}
                cycle.resends.append(row)
        for fp in [fp for fp in self.am_sent if fp not in instances]:
            del self.am_sent[fp]
