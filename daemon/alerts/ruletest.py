"""promtool-style rule unit tests: series over time -> expected alerts (docs/alerting.md#rule-tests)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from daemon.alerts.evaluator import Evaluator
from daemon.alerts.namespaces import Namespace, Snapshot, fields_of, per_instance_of
from daemon.alerts.rules import RuleError, load_rules, parse_duration
from daemon.alerts.settings import AlertsSettings

_SERIES = re.compile(r"^([a-z_]+)\.([a-z_0-9]+)(?:\{(\w+)=\"([^\"]*)\"\})?$")
_NUM = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_TERM = re.compile(rf"^({_NUM}|_|stale)(?:([+-]{_NUM[2:]})?x(\d+))?$")
MAX_STEPS = 100_000


@dataclass
class Result:
    """What a test file found."""

    passed: int = 0
    failures: list[str] = field(default_factory=list)


def expand(values: str) -> list[float | None]:
    """'1+1x3 _ 5x2' -> [1, 2, 3, 4, None, 5, 5, 5] (promtool's expanding notation)."""
    out: list[float | None] = []
    for term in str(values).split():
        m = _TERM.match(term)
        if not m:
            raise ValueError(f"bad value term {term!r}")
        start, step, times = m.groups()
        if start in ("_", "stale"):
            out += [None] * (int(times) + 1 if times else 1)
            continue
        base, inc = float(start), float(step or 0)
        out += [base + inc * i for i in range(int(times) + 1)] if times else [base]
        if len(out) > MAX_STEPS:
            raise ValueError("too many samples")
    return out


def run_file(path: Path, namespaces: Mapping[str, Namespace]) -> Result:
    """Run every test group of one test file, its rules naming these namespaces."""
    doc = yaml.safe_load(path.read_text())
    if not isinstance(doc, dict) or "tests" not in doc:
        raise RuleError(f"{path}: not a rule test file (needs rule_files and tests)")
    files = [path.parent / f for f in doc.get("rule_files", [])]
    step = parse_duration(doc.get("evaluation_interval", "1m"))
    fields = fields_of(namespaces)
    result = Result()
    for i, test in enumerate(doc["tests"]):
        rules = load_rules(
            files,
            fields,
            per_instance=per_instance_of(namespaces),
            receivers=None,
            default_receivers=(),
            default_interval=step,
        )
        name = test.get("name", f"test {i + 1}")
        _run_group(name, test, rules, step, result, fields)
    return result


def _run_group(name: str, test: dict[str, Any], rules: Any, step: float, result: Result, fields: Any) -> None:
    interval = parse_duration(test.get("interval", "1m"))
    series = []
    for s in test.get("input_series", []):
        m = _SERIES.match(str(s["series"]).strip())
        if not m or m.group(1) not in fields or m.group(2) not in fields[m.group(1)]:
            raise RuleError(f'{name}: unknown series {s["series"]!r} (write namespace.field{{pool="x"}})')
        series.append(
            (m.group(1), m.group(2), m.group(4), fields[m.group(1)][m.group(2)], expand(s["values"]))
        )
    checks = sorted(test.get("alert_rule_test", []), key=lambda c: parse_duration(c["eval_time"]))
    evaluator = Evaluator(rules, AlertsSettings(receivers=[], default_receivers=[], inhibit_rules=[]), None)
    t, end = 0.0, max((parse_duration(c["eval_time"]) for c in checks), default=0.0)
    pending = list(checks)
    while t <= end + 1e-9:
        evaluator.evaluate(rules.rules, _snapshot(series, t, interval), t)
        while pending and parse_duration(pending[0]["eval_time"]) < t + step - 1e-9:
            _check(name, pending.pop(0), evaluator, result)
        t += step


def _snapshot(series: list[Any], t: float, interval: float) -> Snapshot:
    shared: dict[str, dict[str, Any]] = {}
    instances: dict[str, dict[str, dict[str, Any]]] = {}
    index = int(t // interval + 1e-9)
    for ns, fname, instance, kind, values in series:
        value = values[min(index, len(values) - 1)] if index < len(values) else None
        if value is not None and kind == "bool":
            value = bool(value)
        if instance is None:
            shared.setdefault(ns, {})[fname] = value
        else:
            row = instances.setdefault(ns, {}).setdefault(instance, {"name": instance})
            row[fname] = value
    return Snapshot(shared, {ns: list(rows.values()) for ns, rows in instances.items()}, t)


def _check(name: str, check: dict[str, Any], ev: Evaluator, result: Result) -> None:
    alertname = check["alertname"]
    got = sorted(
        (
            ({k: v for k, v in i.labels.items() if k != "alertname"}, i.annotations)
            for i in ev.instances.values()
            if i.rule == alertname and i.state == "firing"
        ),
        key=lambda x: sorted(x[0].items()),
    )
    want = sorted(
        ((dict(e.get("exp_labels") or {}), e.get("exp_annotations")) for e in check.get("exp_alerts") or []),
        key=lambda x: sorted(x[0].items()),
    )
    ok = len(got) == len(want) and all(
        g[0] == w[0] and (w[1] is None or {k: g[1].get(k) for k in w[1]} == w[1])
        for g, w in zip(got, want, strict=True)
    )
    if ok:
        result.passed += 1
    else:
        shown = [{"labels": g[0], "annotations": g[1]} for g in got]
        result.failures.append(
            f"{name}: {alertname} at {check['eval_time']}: expected {[w[0] for w in want]}, got {shown}"
        )
