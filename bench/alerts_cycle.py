"""One evaluation cycle of 10,000 rule instances (1,000 pools x 10 rules) vs the bare expressions.

Issue 6 figure: <= 20 ms per cycle. The baseline is the same 10,000 conditions as hand-written lambdas
in a plain loop (no state machine); the cycle is Evaluator.evaluate (state machine, inhibition, outbox
rows), without the database write. 5 % of the pools are over the line, so their alerts stay firing.

    .venv/bin/python bench/alerts_cycle.py [--cycles 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from daemon.alerts.evaluator import Evaluator
from daemon.alerts.namespaces import Snapshot
from daemon.alerts.rules import load_rules
from daemon.alerts.settings import AlertsSettings, LogReceiver
from daemon.rule_catalog import rule_namespaces

FIELDS = {ns.name: ns.fields for ns in rule_namespaces().values()}
CONDITIONS = [
    ("pool.usage_ratio >= 0.90 and pool.up", lambda p: p["usage_ratio"] >= 0.90 and p["up"]),
    ("pool.usage_ratio >= 0.95 and pool.up", lambda p: p["usage_ratio"] >= 0.95 and p["up"]),
    ("pool.usage_ratio >= 0.98 and pool.up", lambda p: p["usage_ratio"] >= 0.98 and p["up"]),
    ("pool.available_percentage < 20", lambda p: p["available_percentage"] < 20),
    ("not pool.up", lambda p: not p["up"]),
    ("pool.runway_seconds < 6 * 3600 and pool.up", lambda p: p["runway_seconds"] < 6 * 3600 and p["up"]),
    ("pool.balance_trx < 10", lambda p: p["balance_trx"] < 10),
    ("pool.scrape_age_seconds > 300", lambda p: p["scrape_age_seconds"] > 300),
    ("pool.energy_available < 130285", lambda p: p["energy_available"] < 130285),
    ("pool.daily_consumption > pool.energy_limit", lambda p: p["daily_consumption"] > p["energy_limit"]),
]


def pools(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        hot = i % 20 == 0
        ratio = 0.99 if hot else 0.3 + (i % 50) / 100
        out.append(
            {
                "name": f"pool-{i}",
                "up": True,
                "usage_ratio": ratio,
                "available_percentage": 100 * (1 - ratio),
                "runway_seconds": 86400.0,
                "balance_trx": 100.0,
                "scrape_age_seconds": 10.0,
                "energy_available": 1_000_000,
                "daily_consumption": 500_000,
                "energy_limit": 3_000_000,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--pools", type=int, default=1000)
    args = parser.parse_args()
    text = "groups:\n  - name: g\n    rules:\n" + "".join(
        f"      - alert: R{i}\n        for_each: pool\n        expr: {expr}\n        for: 60s\n"
        f"        labels: {{severity: warning}}\n        annotations: {{summary: '{{{{ pool.name }}}}'}}\n"
        for i, (expr, _) in enumerate(CONDITIONS)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yml"
        path.write_text(text)
        rules = load_rules(
            [path],
            FIELDS,
            per_instance={"pool"},
            receivers={"log"},
            default_receivers=["log"],
            default_interval=30,
        )
    ev = Evaluator(rules, AlertsSettings(receivers=[LogReceiver(type="log", name="log")]), None)
    data = pools(args.pools)
    base, ours = [], []
    for c in range(args.cycles):
        snap = Snapshot({}, {"pool": [dict(p) for p in data]})
        t0 = time.perf_counter()
        fired = sum(1 for p in snap.instances["pool"] or () for _, fn in CONDITIONS if fn(p))
        t1 = time.perf_counter()
        cycle = ev.evaluate(rules.rules, snap, 1_000_000.0 + 30 * c)
        t2 = time.perf_counter()
        base.append((t1 - t0) * 1000)
        ours.append((t2 - t1) * 1000)
        for inst in cycle.changed:
            inst.dirty = False  # what persist() does after the write
    steady = ours[5:]
    instances = len(rules.rules) * args.pools
    print(
        f"{instances} rule instances ({args.pools} pools x {len(rules.rules)} rules), {fired} conditions true"
    )
    print(f"  bare lambdas (baseline)    median {statistics.median(base[5:]):6.2f} ms")
    print(
        f"  evaluator cycle            median {statistics.median(steady):6.2f} ms   "
        f"max {max(steady):6.2f} ms   first (firing) {ours[0]:6.2f} ms"
    )
    ratio = statistics.median(steady) / statistics.median(base[5:])
    print(f"  ratio to baseline          {ratio:5.2f}x")
    ok = statistics.median(steady) <= 20
    print(f"median cycle {statistics.median(steady):.2f} ms (target <= 20 ms): {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
