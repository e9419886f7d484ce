"""`tronwatch rules export --format prometheus`: rules (and their unit tests) as Prometheus rule files."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from daemon.alerts.namespaces import Namespace, fields_of, per_instance_of
from daemon.alerts.promql import FIELDS, Unsupported, to_promql
from daemon.alerts.rules import Rule, load_rules, rule_files
from daemon.alerts.ruletest import _SERIES, expand

HEADER = (
    "# Exported by `tronwatch rules export --format prometheus` from {src}: the same conditions over\n"
    "# tronwatch's metrics. Receivers and repeat intervals belong to Alertmanager's routes.\n"
)
_NAME_REF = re.compile(r"\{\{\s*(pool|partner)\.name\s*\}\}")


@dataclass
class Export:
    """What one source file became."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    exported: set[str] = field(default_factory=set)
    uses: dict[str, set[str]] = field(default_factory=dict)  # exported alert -> fields it reads
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def duration(seconds: float) -> str:
    """Seconds as a Prometheus duration ('90s' -> '1m30s')."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out


def annotation(text: str) -> str | None:
    """The annotation as a Go template: `{{ pool.name }}` -> `{{ $labels.pool }}`; None if more is needed."""
    out = _NAME_REF.sub(lambda m: "{{ $labels." + m.group(1) + " }}", text)
    leftover = out.replace("{{ $labels.pool }}", "").replace("{{ $labels.partner }}", "")
    return None if "{{" in leftover or "{%" in leftover else out


def export_rules(rules: list[Rule], src: str) -> Export:
    """Each rule as a Prometheus alerting rule, or the reason it cannot be one."""
    out = Export()
    by_group: dict[str, dict[str, Any]] = {}
    for r in rules:
        at = f"{src}: {r.group}/{r.name}"
        try:
            if r.no_data != "ok":
                raise Unsupported(f"no_data: {r.no_data} (PromQL has no value-missing state here)")
            expr = to_promql(r.expr.source)
        except Unsupported as exc:
            out.skipped.append(f"{at}: {exc}")
            continue
        doc: dict[str, Any] = {"alert": r.name, "expr": expr}
        if r.for_s:
            doc["for"] = duration(r.for_s)
        if r.keep_firing_for_s:
            doc["keep_firing_for"] = duration(r.keep_firing_for_s)
        if r.labels:
            doc["labels"] = dict(r.labels)
        notes = {}
        for key, template in r.annotations.items():
            text = annotation(template.source)
            if text is None:
                out.notes.append(f"{at}: annotation {key} left out (it shows values, not only labels)")
            else:
                notes[key] = text
        if notes:
            doc["annotations"] = notes
        group = by_group.get(r.group)
        if group is None:
            group = by_group[r.group] = {"name": r.group, "interval": duration(r.interval_s), "rules": []}
            out.groups.append(group)
        group["rules"].append(doc)
        out.exported.add(r.name)
        out.uses[r.name] = set(r.expr.names)
    return out


def _render(template: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), "<no value>"), template)


def export_tests(doc: dict[str, Any], ex: Export, rules_by_name: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A `promtool test rules` file from a tronwatch rule test file (tests of unexported rules dropped)."""
    tests = []
    for i, test in enumerate(doc.get("tests") or []):
        name = test.get("name", f"test {i + 1}")
        series, fed, missing = [], set(), set()
        for s in test.get("input_series", []):
            m = _SERIES.match(str(s["series"]).strip())
            key = f"{m.group(1)}.{m.group(2)}" if m else str(s["series"])
            found = FIELDS.get(key)
            if m is None or found is None or found.metric is None:
                missing.add(key)
                continue
            fed.add(key)
            values = [found.to_sample(v) if v is not None else None for v in expand(s["values"])]
            label = f'{m.group(3)}="{m.group(4)}"' if m.group(3) else ""
            metric = found.metric
            if label:
                metric = metric[:-1] + f",{label}}}" if metric.endswith("}") else f"{metric}{{{label}}}"
            # A sample after the last one, or a gap, ends the series (tronwatch reads it as no data).
            text = " ".join("stale" if v is None else f"{v:.12g}" for v in values) + " stale"
            series.append({"series": metric, "values": text})
        checks = []
        for c in test.get("alert_rule_test", []):
            alert = c["alertname"]
            if alert not in ex.exported or ex.uses[alert] & missing:
                continue
            notes = rules_by_name[alert].get("annotations", {})
            exp = []
            for e in c.get("exp_alerts") or []:
                labels = {k: str(v) for k, v in (e.get("exp_labels") or {}).items()}
                exp.append(
                    {
                        "exp_labels": labels,
                        "exp_annotations": {k: _render(v, labels) for k, v in notes.items()},
                    }
                )
            checks.append({"eval_time": c["eval_time"], "alertname": alert, "exp_alerts": exp})
        if checks:
            tests.append(
                {
                    "name": name,
                    "interval": test.get("interval", "1m"),
                    "input_series": series,
                    "alert_rule_test": checks,
                }
            )
    out: dict[str, Any] = {"rule_files": list(doc.get("rule_files") or [])}
    if "evaluation_interval" in doc:
        out["evaluation_interval"] = doc["evaluation_interval"]
    out["tests"] = tests
    return out


def export_dir(
    paths: list[Path], target: Path | None, namespaces: Mapping[str, Namespace]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(file name, YAML text) of every exported file, and the lines saying what was left out and why."""
    fields, per_instance = fields_of(namespaces), per_instance_of(namespaces)
    files: list[tuple[str, str]] = []
    report: list[str] = []
    for path in rule_files(paths):
        rules = load_rules(
            [path],
            fields,
            per_instance=per_instance,
            receivers=None,
            default_receivers=(),
            default_interval=30,
        )
        ex = export_rules(list(rules.rules), str(path))
        report += [f"not exported: {line}" for line in ex.skipped] + [f"note: {line}" for line in ex.notes]
        if not ex.groups:
            continue
        files.append((path.name, HEADER.format(src=path.name) + _yaml({"groups": ex.groups})))
        test = path.with_name(f"{path.stem}_test{path.suffix}")
        if test.is_file():
            by_name = {r["alert"]: r for g in ex.groups for r in g["rules"]}
            doc = export_tests(yaml.safe_load(test.read_text()), ex, by_name)
            if doc["tests"]:
                files.append((test.name, HEADER.format(src=test.name) + _yaml(doc)))
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files:
            (target / name).write_text(text)
    return files, report


def _yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)


def export_command(args: Any) -> int:
    """Write the files (or print the rule files); list what could not be exported on stderr."""
    files, report = export_dir(list(args.files), args.output, args.namespaces())
    for line in report:
        print(line, file=sys.stderr)
    if args.output is None:
        for name, text in files:
            if not name.endswith(f"_test{Path(name).suffix}"):
                print(f"# --- {name}\n{text}")
    else:
        for name, _ in files:
            print(f"wrote {args.output / name}")
    return 0
