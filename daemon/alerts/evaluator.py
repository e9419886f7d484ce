"""One evaluation cycle: rules over a snapshot -> state changes + outbox rows, stored together."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from daemon.alerts import repo
from daemon.alerts.expr import NoData
from daemon.alerts.maintenance import Window
from daemon.alerts.metrics import AlertMetrics
from daemon.alerts.namespaces import Snapshot
from daemon.alerts.notices import Cycle, Notices
from daemon.alerts.partners import partner_receivers
from daemon.alerts.routed import Router
from daemon.alerts.rules import Rule, RuleSet
from daemon.alerts.settings import AlertsSettings
from daemon.alerts.state import Event, Instance, Timing, expired, fingerprint, step
from daemon.alerts.suppress import Inhibitor, Silence, silenced_by
from daemon.db.types import Connection

log = logging.getLogger(__name__)


class Evaluator:
    """Holds every instance; `evaluate` is pure (no I/O) so it can be timed and unit-tested alone."""

    def __init__(self, rules: RuleSet, settings: AlertsSettings, metrics: AlertMetrics | None) -> None:
        self.rules = rules
        self.settings = settings
        self.metrics = metrics
        self.instances: dict[str, Instance] = {}
        self._ids: dict[tuple[str, Any], tuple[str, dict[str, str]]] = {}
        self._timing: dict[str, Timing] = {}
        self.router = Router(settings)
        self.notices = Notices(settings, self.router)
        self.replace_rules(rules)

    @property
    def acks(self) -> dict[str, dict[str, Any]]:
        """fingerprint -> current ack, set before each cycle from the database."""
        return self.notices.acks

    @acks.setter
    def acks(self, value: dict[str, dict[str, Any]]) -> None:
        self.notices.acks = value

    @property
    def windows(self) -> list[Window]:
        """The maintenance windows in force or scheduled (set before each cycle)."""
        return self.router.windows

    @windows.setter
    def windows(self, value: list[Window]) -> None:
        self.router.windows = value

    def replace_rules(self, rules: RuleSet) -> None:
        """Swap in a newly loaded rule set; instances of vanished rules resolve on the next cycle."""
        self.rules = rules
        self._ids.clear()
        self._timing = {r.name: Timing(r.for_s, r.keep_firing_for_s, r.repeat_s) for r in rules.rules}

    def restore(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Instances as persisted (after a restart, or after a failed write)."""
        self.instances = {r["fingerprint"]: Instance(**r, dirty=False) for r in rows}

    def evaluate(
        self, rules: Iterable[Rule], snap: Snapshot, now: float, silences: Iterable[Silence] = ()
    ) -> Cycle:
        """Advance every instance of `rules` by one evaluation at `now` (epoch seconds)."""
        rules = list(rules)
        self.router.configure(self.settings)
        self.notices.settings = self.settings
        events: list[tuple[Instance, Rule, Event, Mapping[str, Any]]] = []
        evaluated: set[str] = set()
        by_rule: dict[str, list[Instance]] = {}
        for inst in self.instances.values():
            by_rule.setdefault(inst.rule, []).append(inst)
        for rule in rules:
            if rule.for_each is not None and snap.instances.get(rule.for_each) is None:
                continue  # the instance list is unknown right now: keep every instance as it is
            timing = self._timing[rule.name]
            for key, env in _envs(rule, snap):
                fp, labels = self._identity(rule, key, env)
                evaluated.add(fp)
                active, value = self._test(rule, env)
                found = self.instances.get(fp)
                if found is None:
                    if not active:
                        continue
                    found = self.instances[fp] = Instance(fp, rule.name, labels)
                inst = found
                event = step(inst, active, now, timing)
                if value is not None and inst.state != "inactive":
                    inst.value = value
                if event is not None:
                    events.append((inst, rule, event, env))
            for inst in by_rule.get(rule.name, ()):
                if inst.fingerprint not in evaluated:  # its pool/partner is gone: the condition is over
                    event = step(inst, False, now, timing)
                    if event is not None:
                        events.append((inst, rule, event, snap.shared))
        current = {r.name for r in self.rules.rules}
        for inst in self.instances.values():
            # A rule removed by a reload: its instances end quietly (its receivers are gone with it).
            if inst.rule not in current and step(inst, False, now, Timing(0, 0, 0)) == "resolved":
                inst.muted = "rule removed"
        cycle = self._finish(events, now, list(silences))
        self.notices.resend(rules, self.instances, cycle, now)
        return cycle

    def _test(self, rule: Rule, env: Mapping[str, Any]) -> tuple[bool | None, float | None]:
        try:
            active = rule.expr.test(env)
            value = float(rule.expr.value(env))
        except NoData:
            return {"ok": False, "alerting": True, "keep": None}[rule.no_data], None
        except (ArithmeticError, TypeError, ValueError) as exc:
            if self.metrics is not None:
                self.metrics.eval_failures.labels(rule.name).inc()
            log.warning("rule evaluation failed rule=%s error=%s", rule.name, type(exc).__name__)
            return None, None
        return active, value

    def _identity(self, rule: Rule, key: Any, env: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        cached = self._ids.get((rule.name, key))
        if cached is None:
            labels = {**rule.labels, "alertname": rule.name}
            if rule.for_each is not None:
                labels[rule.for_each] = str(key)
            if rule.for_each == "partner" and env["partner"].get("id") is not None:
                labels["partner_id"] = str(env["partner"]["id"])  # whose alert: its webhook and API
            cached = self._ids[(rule.name, key)] = (fingerprint(labels), labels)
        return cached

    def _finish(
        self,
        events: list[tuple[Instance, Rule, Event, Mapping[str, Any]]],
        now: float,
        silences: list[Silence],
    ) -> Cycle:
        cycle = Cycle()
        firing = [i for i in self.instances.values() if i.state == "firing"]
        inhibitor = Inhibitor(self.settings.inhibit_rules, firing)
        wall = datetime.fromtimestamp(now, UTC)
        touched: set[str] = set()
        for inst, rule, event, env in events:
            touched.add(inst.fingerprint)
            routed = self.router.takes(rule)
            if event != "resolved":
                _render(inst, rule, env)
                mute = self.router.mute_reason(inst, silences, inhibitor, wall)
                if mute != inst.muted:
                    inst.muted, inst.dirty = mute, True
                if mute is not None:
                    if routed:
                        self.router.event(inst, rule, event, {}, now)
                    continue
                if event == "firing":
                    inst.acked = False  # a new episode: an earlier acknowledgement no longer holds
                elif inst.acked and not routed:
                    continue  # acknowledged: no repeats until it resolves or fires again (groups skip it too)
            elif routed:
                silence = silenced_by(silences, inst.labels, wall)  # silenced since it last fired?
                if silence is not None:
                    inst.muted = f"silence {silence}"
            elif inst.last_sent_at is None:
                continue  # never told anyone it fired (muted throughout): nothing to resolve
            elif not self.settings.resolve_silenced and silenced_by(silences, inst.labels, wall) is not None:
                continue  # the operator chose Alertmanager's way: a silenced alert's resolve is dropped
            inst.seq += 1
            if event != "resolved":
                inst.last_sent_at = now
            inst.dirty = True
            extra = partner_receivers(rule.notify_partner, inst.labels, env)
            if routed:
                self.router.event(inst, rule, event, self.notices.payload(inst, rule, event, now), now)
                if extra:  # the partner's own webhook is told as before, besides the operator's groups
                    cycle.outbox += self.notices.rows(inst, rule, event, now, receivers=(), extra=extra)
            else:
                cycle.outbox += self.notices.rows(inst, rule, event, now, extra=extra)
        if self.router.tree is not None:
            by_name = {r.name: r for r in self.rules.rules}
            # Silences and inhibitions that began or ended between a routed alert's own events.
            mutes = [i for i in firing if i.fingerprint not in touched and i.rule in by_name]
            self.router.remute(mutes, by_name, silences, inhibitor, wall, now, self.notices.payload)
            cycle.outbox += self.router.flush(now, lambda fp: getattr(self.instances.get(fp), "acked", False))
            groups = self.router.groups
            cycle.groups = [g.as_doc() | {"id": g.id} for g in groups.groups.values() if g.dirty]
            cycle.groups_removed, groups.removed = groups.removed, []
        for fp, inst in list(self.instances.items()):
            if expired(inst, now):
                del self.instances[fp]
                cycle.forgotten.append(fp)
            elif inst.dirty:
                cycle.changed.append(inst)
        return cycle

    async def persist(self, conn: Connection, cycle: Cycle) -> None:
        """State and outbox together: after a crash either both or neither happened (no loss, no dupes)."""
        async with conn.transaction():
            await repo.save_instances(conn, [i.as_row() for i in cycle.changed])
            await repo.delete_instances(conn, cycle.forgotten)
            await repo.enqueue(conn, cycle.outbox)
            await repo.enqueue_resends(conn, cycle.resends)
            await repo.save_groups(conn, cycle.groups, cycle.groups_removed)
        for inst in cycle.changed:
            inst.dirty = False
        for doc in cycle.groups:
            group = self.router.groups.groups.get(doc["id"])
            if group is not None:
                group.dirty = False


def _envs(rule: Rule, snap: Snapshot) -> Iterable[tuple[Any, Mapping[str, Any]]]:
    if rule.for_each is None:
        return ((None, snap.shared),)
    cache = snap.envs.get(rule.for_each)
    if cache is None:
        ns = rule.for_each
        cache = snap.envs[ns] = [
            (v.get("name"), {**snap.shared, ns: v}) for v in snap.instances.get(ns) or ()
        ]
    return cache


def _render(inst: Instance, rule: Rule, env: Mapping[str, Any]) -> None:
    ctx = {**env, "labels": inst.labels, "value": inst.value, "alertname": rule.name}
    out, marked = {}, {}
    for key, template in rule.annotations.items():
        text, error = template.render(ctx)
        if error is not None:
            log.warning("annotation failed rule=%s annotation=%s error=%s", rule.name, key, error)
        out[key] = text
        if template.mrkdwn is not None and (slack := template.render_mrkdwn(ctx)) is not None:
            marked[key] = slack
    inst.mrkdwn = marked
    if out != inst.annotations:
        inst.annotations, inst.dirty = out, True
