"""Alerts of rules without `receivers:` go through the routing tree into aggregation groups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from daemon.alerts.grouping import Groups
from daemon.alerts.maintenance import Window, muted_by
from daemon.alerts.routing import Node, route
from daemon.alerts.rules import Rule
from daemon.alerts.settings import AlertsSettings
from daemon.alerts.state import Event, Instance
from daemon.alerts.suppress import Inhibitor, Silence, silenced_by

Payload = Callable[[Instance, Rule, Event, float], dict[str, Any]]


class Router:
    """Feeds instance events into groups and flushes the due groups into outbox rows."""

    def __init__(self, settings: AlertsSettings) -> None:
        self.groups = Groups()
        self.windows: list[Window] = []  # maintenance windows, set before each cycle
        self.configure(settings)

    def configure(self, settings: AlertsSettings) -> None:
        """Take the (reloaded) settings."""
        self.settings = settings
        self.tree: Node | None = settings.tree()

    def takes(self, rule: Rule) -> bool:
        """Whether this rule's alerts are routed (a tree is configured and the rule names no receivers)."""
        return self.tree is not None and rule.routed

    def mute_reason(
        self, inst: Instance, silences: list[Silence], inhibitor: Inhibitor, wall: datetime
    ) -> str | None:
        """What mutes this alert now (a silence, a maintenance window or an inhibition), if anything."""
        silence = silenced_by(silences, inst.labels, wall)
        if silence is not None:
            return f"silence {silence}"
        window = muted_by(self.windows, inst.labels, wall)
        if window is not None:
            return f"maintenance {window}"
        return "inhibited" if inhibitor(inst) else None

    def event(self, inst: Instance, rule: Rule, event: Event, payload: dict[str, Any], now: float) -> None:
        """One instance event (mute already decided and stored in inst.muted)."""
        assert self.tree is not None
        if event == "resolved":
            silenced = inst.muted is not None and inst.muted.startswith("silence")
            self.groups.resolve(
                inst.fingerprint, payload, tell=not silenced or self.settings.resolve_silenced
            )
            return
        if inst.muted is not None:
            self.groups.mute(inst.fingerprint)
            return
        for match in route(self.tree, inst.labels):
            self.groups.fire(match, inst.fingerprint, payload, rule.repeat_s, now)

    def remute(
        self,
        firing: list[Instance],
        rules: Mapping[str, Rule],
        silences: list[Silence],
        inhibitor: Inhibitor,
        wall: datetime,
        now: float,
        payload: Payload,
    ) -> None:
        """Routed firing alerts whose silence or inhibition changed leave or rejoin their groups."""
        for inst in firing:
            rule = rules[inst.rule]
            if not self.takes(rule):
                continue
            mute = self.mute_reason(inst, silences, inhibitor, wall)
            if mute != inst.muted:
                inst.muted, inst.dirty = mute, True
                self.event(
                    inst, rule, "repeat", {} if mute is not None else payload(inst, rule, "repeat", now), now
                )

    def flush(self, now: float, acked: Callable[[str], bool]) -> list[dict[str, Any]]:
        """Rows for the groups due now."""
        settings = self.settings

        def send_resolved(name: str) -> bool:
            receiver = settings.receiver(name)
            return receiver is not None and receiver.send_resolved

        return self.groups.flush(now, settings.intervals(), send_resolved, acked)
