"""A storm: 1,000 pool instances fire in one cycle. Grouped (routing tree) vs per-instance (rule receivers).

Issue 15 figures: <= 10 grouped notifications per receiver, the first within group_wait + 1 s. The
evaluator is driven by a clock (no database write); "first within" is group_wait plus the wall time of
the cycle that flushes the group (the evaluator's loop wakes at the group's flush time). The baseline is
the same storm through a rule with `receivers:` (today's one notification per instance), same run.

    .venv/bin/python bench/alerts_storm.py [--pools 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from daemon.alerts.evaluator import Evaluator
from daemon.alerts.namespaces import Snapshot
from daemon.alerts.rules import load_rules
from daemon.alerts.settings import AlertsSettings
from daemon.rule_catalog import rule_namespaces

FIELDS = {ns.name: ns.fields for ns in rule_namespaces().values()}
GROUP_WAIT = 30
RULE = """groups:
  - name: g
    rules:
      - alert: PoolFull
        for_each: pool
        expr: pool.usage_ratio >= 0.95
        labels: {{severity: critical}}
        annotations: {{summary: '{{{{ pool.name }}}} is full'}}{receivers}
"""


def run(pools: int, routed: bool) -> tuple[Counter[str], float, float]:
    receivers = [{"type": "log", "name": n} for n in ("slack", "mail", "hook")]
    settings = AlertsSettings.model_validate(
        {
            "receivers": receivers,
            "default_receivers": ["slack"],
            "route": {
                "receiver": "slack",
                "group_by": ["alertname", "severity"],
                "group_wait": f"{GROUP_WAIT}s",
                "routes": [
                    {"matchers": ['severity=~"critical|emergency"'], "receiver": "mail", "continue": True},
                    {"matchers": ['pool=~"pool-1.*"'], "receiver": "hook"},
                    {"matchers": ['pool=~".+"'], "receiver": "slack"},
                ],
            },
        }
    )
    extra = "" if routed else "\n        receivers: [slack, mail, hook]"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yml"
        path.write_text(RULE.format(receivers=extra))
        rules = load_rules(
            [path], FIELDS, per_instance={"pool"}, receivers={"slack", "mail", "hook"},
            default_receivers=["slack"], default_interval=30,
        )  # fmt: skip
    ev = Evaluator(rules, settings, None)
    data: list[dict[str, Any]] = [{"name": f"pool-{i}", "usage_ratio": 0.99} for i in range(pools)]
    for p in data:
        p.update(up=True, available_percentage=1.0)
    sent: Counter[str] = Counter()
    t0 = time.perf_counter()
    first = ev.evaluate(rules.rules, Snapshot({}, {"pool": data}), 1_000_000.0)
    storm_ms = (time.perf_counter() - t0) * 1000
    sent.update(r["receiver"] for r in first.outbox)
    t1 = time.perf_counter()
    flush = ev.evaluate(rules.rules, Snapshot({}, {"pool": data}), 1_000_000.0 + GROUP_WAIT)
    flush_ms = (time.perf_counter() - t1) * 1000
    sent.update(r["receiver"] for r in flush.outbox)
    return sent, storm_ms, flush_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pools", type=int, default=1000)
    args = parser.parse_args()
    base, base_ms, _ = run(args.pools, routed=False)
    ours, storm_ms, flush_ms = run(args.pools, routed=True)
    print(f"{args.pools} instances firing in one cycle")
    print(f"  per instance (baseline)   notifications {dict(base)}   cycle {base_ms:7.2f} ms")
    print(f"  grouped                   notifications {dict(ours)}   cycle {storm_ms:7.2f} ms")
    print(f"  first grouped notification after group_wait {GROUP_WAIT} s + {flush_ms / 1000:.3f} s")
    ratio = sum(ours.values()) / sum(base.values())
    print(f"  notifications, ratio to baseline {ratio:.4f}x   storm cycle {storm_ms / base_ms:5.2f}x")
    ok = max(ours.values()) <= 10 and flush_ms <= 1000
    verdict = "PASS" if ok else "FAIL"
    print(f"max {max(ours.values())} per receiver (<= 10), first within group_wait + 1 s: {verdict}")


if __name__ == "__main__":
    main()
