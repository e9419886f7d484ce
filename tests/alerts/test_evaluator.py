"""The state machine as an operator sees it: pending, firing, keep_firing_for, resolved, repeats, no_data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from daemon.alerts.evaluator import Evaluator
from daemon.alerts.namespaces import Namespace, Snapshot
from daemon.alerts.rules import RuleError, load_rules
from daemon.alerts.settings import AlertsSettings, LogReceiver
from daemon.alerts.suppress import Silence
from daemon.rule_catalog import rule_namespaces

FIELDS: dict[str, Any] = {ns.name: ns.fields for ns in rule_namespaces().values()} | {"knob": {"x": "number"}}
SETTINGS = AlertsSettings(receivers=[LogReceiver(type="log", name="log")])


def rules(tmp_path: Path, body: str, **kw: Any) -> Any:
    path = tmp_path / "r.yml"
    path.write_text(body)
    return load_rules(
        [path],
        FIELDS,
        per_instance={"pool"},
        receivers={"log"},
        default_receivers=["log"],
        default_interval=30,
        **kw,
    )


def snap(x: float | None = None, pools: list[dict[str, Any]] | None = None) -> Snapshot:
    return Snapshot({"knob": {"x": x}}, {"pool": pools or []})


RULE = """
groups:
  - name: g
    rules:
      - alert: High
        expr: knob.x > 5
        for: 60s
        keep_firing_for: 120s
        no_data: {no_data}
        repeat_interval: 600s
"""


def run(ev: Evaluator, t: float, **kw: Any) -> list[str]:
    cycle = ev.evaluate(ev.rules.rules, snap(**kw), t)
    return [f"{r['status']}:{r['notification_id'].rsplit(':', 1)[1]}" for r in cycle.outbox]


def test_pending_then_firing_then_held_then_resolved(tmp_path: Path) -> None:
    ev = Evaluator(rules(tmp_path, RULE.format(no_data="ok")), SETTINGS, None)
    assert run(ev, 0, x=9) == []  # pending
    assert next(iter(ev.instances.values())).state == "pending"
    assert run(ev, 30, x=9) == []
    assert run(ev, 60, x=9) == ["firing:1"]
    assert run(ev, 90, x=1) == []  # keep_firing_for holds it through a dip
    assert run(ev, 150, x=9) == []  # back before the hold ran out: same alert, no new notification
    assert run(ev, 200, x=1) == []
    assert run(ev, 320, x=1) == ["resolved:2"]
    assert run(ev, 330, x=9) == []  # a new episode starts pending again


def test_a_blip_shorter_than_for_never_notifies(tmp_path: Path) -> None:
    ev = Evaluator(rules(tmp_path, RULE.format(no_data="ok")), SETTINGS, None)
    assert run(ev, 0, x=9) + run(ev, 30, x=1) + run(ev, 60, x=9) + run(ev, 90, x=9) == []
    assert run(ev, 120, x=9) == ["firing:1"]


def test_repeat_interval_resends_while_firing(tmp_path: Path) -> None:
    ev = Evaluator(rules(tmp_path, RULE.format(no_data="ok")), SETTINGS, None)
    run(ev, 0, x=9)
    assert run(ev, 60, x=9) == ["firing:1"]
    assert run(ev, 600, x=9) == []
    assert run(ev, 660, x=9) == ["firing:2"]


@pytest.mark.parametrize(("policy", "expected"), [("ok", ["resolved:2"]), ("alerting", []), ("keep", [])])
def test_no_data_policy(tmp_path: Path, policy: str, expected: list[str]) -> None:
    ev = Evaluator(rules(tmp_path, RULE.format(no_data=policy)), SETTINGS, None)
    run(ev, 0, x=9)
    assert run(ev, 60, x=9) == ["firing:1"]
    assert run(ev, 100, x=None) + run(ev, 300, x=None) == expected


def test_division_by_zero_is_no_data_and_a_wrong_type_is_a_counted_failure(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from daemon.alerts.metrics import AlertMetrics

    registry = CollectorRegistry()
    body = RULE.format(no_data="alerting").replace("knob.x > 5", "5 / knob.x > 1").replace("60s", "0s")
    ev = Evaluator(rules(tmp_path, body), SETTINGS, AlertMetrics(registry, list))
    assert run(ev, 0, x=0) == ["firing:1"]  # no_data: alerting
    assert registry.get_sample_value("tronwatch_rule_evaluation_failures_total", {"rule": "High"}) is None
    run(ev, 30, x="7")
    assert registry.get_sample_value("tronwatch_rule_evaluation_failures_total", {"rule": "High"}) == 1
    help_text = next(m.documentation for m in registry.collect() if m.name.endswith("failures"))
    assert "division by zero is no data" in help_text


def test_for_each_pool_instances_are_independent(tmp_path: Path) -> None:
    body = """
groups:
  - name: g
    rules:
      - alert: PoolFull
        for_each: pool
        expr: pool.usage_ratio >= 0.95
        repeat_interval: 600s
        annotations: {summary: "{{ pool.name }} {{ pool.usage_ratio | percent }}"}
"""
    ev = Evaluator(rules(tmp_path, body), SETTINGS, None)
    a, b = {"name": "a", "usage_ratio": 0.99}, {"name": "b", "usage_ratio": 0.5}
    c1 = ev.evaluate(ev.rules.rules, snap(pools=[a, b]), 0)
    assert [r["payload"]["labels"]["pool"] for r in c1.outbox] == ["a"]
    assert c1.outbox[0]["payload"]["annotations"] == {"summary": "a 99.0%"}
    b["usage_ratio"] = 0.99
    c2 = ev.evaluate(ev.rules.rules, snap(pools=[a, b]), 300)
    assert [r["payload"]["labels"]["pool"] for r in c2.outbox] == ["b"]  # a's repeat does not mute b
    c3 = ev.evaluate(ev.rules.rules, snap(pools=[b]), 310)  # pool a removed: its alert resolves
    assert [(r["status"], r["payload"]["labels"]["pool"]) for r in c3.outbox] == [("resolved", "a")]


def test_silences_and_inhibition_mute_notifications(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    body = """
groups:
  - name: g
    rules:
      - alert: UsageWarning
        for_each: pool
        expr: pool.usage_ratio >= 0.90
        labels: {severity: warning, family: usage}
      - alert: UsageEmergency
        for_each: pool
        expr: pool.usage_ratio >= 0.98
        labels: {severity: emergency, family: usage}
"""
    ev = Evaluator(rules(tmp_path, body), AlertsSettings(receivers=SETTINGS.receivers), None)
    pools = [{"name": "a", "usage_ratio": 0.99}, {"name": "b", "usage_ratio": 0.92}]
    first = ev.evaluate(ev.rules.rules, snap(pools=pools), 0)
    # Pool a pages once, at its worst level (same cycle); b only warns.
    assert sorted((r["alertname"], r["payload"]["labels"]["pool"]) for r in first.outbox) == [
        ("UsageEmergency", "a"),
        ("UsageWarning", "b"),
    ]
    ev2 = Evaluator(rules(tmp_path, body), AlertsSettings(receivers=SETTINGS.receivers), None)
    silence = Silence(1, {"pool": "b"}, datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    ev2.evaluate(ev2.rules.rules, snap(pools=pools), 0, [silence])
    later = ev2.evaluate(ev2.rules.rules, snap(pools=pools), 14500, [silence])  # past the 4h repeat
    assert sorted((r["alertname"], r["payload"]["labels"]["pool"]) for r in later.outbox) == [
        ("UsageEmergency", "a")
    ]
    muted = {(i.rule, i.labels["pool"]): i.muted for i in ev2.instances.values()}
    assert muted[("UsageWarning", "a")] == "inhibited" and muted[("UsageWarning", "b")] == "silence 1"


def test_load_errors_name_file_rule_and_fix(tmp_path: Path) -> None:
    bad = RULE.format(no_data="ok").replace("knob.x > 5", "knob.y > 5")
    with pytest.raises(
        RuleError, match=r"r\.yml: g/High: expr: unknown name 'knob.y'; did you mean 'knob.x'"
    ):
        rules(tmp_path, bad)
    with pytest.raises(RuleError, match="per-instance namespaces need for_each"):
        rules(tmp_path, RULE.format(no_data="ok").replace("knob.x", "pool.usage_ratio"))
    with pytest.raises(RuleError, match="not a duration"):
        rules(tmp_path, RULE.format(no_data="ok").replace("60s", "soon"))
    with pytest.raises(RuleError, match="unknown receiver 'pager'"):
        rules(tmp_path, RULE.format(no_data="ok") + "        receivers: [pager]\n")


def test_two_rules_with_one_name_in_one_file_are_refused(tmp_path: Path) -> None:
    twice = RULE.format(no_data="ok") + RULE.format(no_data="ok").split("rules:\n", 1)[1].replace("5", "9")
    with pytest.raises(RuleError, match=r"r\.yml: g/High: alert also defined in \S*r\.yml \(group g\)"):
        rules(tmp_path, twice)


def test_two_groups_with_one_name_in_one_file_are_refused(tmp_path: Path) -> None:
    """A group is its schedule: a second `g` would silently run at the first one's interval."""
    second = "  - name: g\n    interval: 15s\n    rules:\n      - alert: Other\n        expr: knob.x > 9\n"
    with pytest.raises(RuleError, match=r"r\.yml: group 'g' is repeated"):
        rules(tmp_path, RULE.format(no_data="ok") + second)


def test_the_namespace_registry_is_open_for_later_issues() -> None:
    from daemon.alerts.namespaces import Registry

    reg = Registry()
    reg.register(Namespace("queue", {"waiting": "number"}), lambda: {"waiting": 3})
    reg.register(Namespace("broken", {"x": "number"}), lambda: 1 / 0)
    s = reg.snapshot()
    assert s.shared["queue"] == {"waiting": 3} and s.shared["broken"] == {}
