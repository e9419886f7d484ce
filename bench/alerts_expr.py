"""Compiled rule expression vs a hand-written lambda, with simpleeval and rule-engine timed in the same run.

Issue 6 figure: compiled evaluation <= 3x the lambda. The expression is the reference's example
(`energy.available_percentage < 20 and api.p95_ms > 1000`, docs/alerting.md#expressions)
plus a per-pool one.

    .venv/bin/python bench/alerts_expr.py [--n 200000]
"""

from __future__ import annotations

import argparse
import re
import timeit
from typing import Any

from daemon.alerts.expr import compile_expression
from daemon.rule_catalog import rule_namespaces

FIELDS = {ns.name: ns.fields for ns in rule_namespaces().values()}
CASES = [
    (
        "energy.available_percentage < 20 and api.p95_ms > 1000",
        lambda env: env["energy"]["available_percentage"] < 20 and env["api"]["p95_ms"] > 1000,
    ),
    (
        "pool.usage_ratio >= 0.95 and pool.up == True",
        lambda env: env["pool"]["usage_ratio"] >= 0.95 and env["pool"]["up"] == True,  # noqa: E712
    ),
]
ENV: dict[str, Any] = {
    "energy": {"available_percentage": 12.5},
    "api": {"p95_ms": 1500.0},
    "pool": {"usage_ratio": 0.97, "up": True},
}


def best(fn: Any, n: int) -> float:
    """Best of 5 runs, ns per call."""
    return min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    n = parser.parse_args().n
    try:
        from simpleeval import SimpleEval
    except ImportError:
        SimpleEval = None
    try:
        import rule_engine
    except ImportError:
        rule_engine = None
    worst = 0.0
    for source, hand in CASES:
        compiled = compile_expression(source, FIELDS)
        assert compiled.test(ENV) == bool(hand(ENV))
        t_hand = best(lambda h=hand: h(ENV), n)
        t_ours = best(lambda c=compiled: c.test(ENV), n)
        worst = max(worst, t_ours / t_hand)
        print(f"{source}")
        print(f"  hand-written lambda   {t_hand:8.0f} ns/eval   1.00x")
        print(f"  tronwatch compiled    {t_ours:8.0f} ns/eval   {t_ours / t_hand:5.2f}x")
        flat = re.sub(r"\b(energy|api|pool)\.", r"\1_", source)
        names = {f"{ns}_{k}": v for ns, d in ENV.items() for k, v in d.items()}
        if SimpleEval is not None:
            se = SimpleEval(names=names)
            parsed = se.parse(flat)
            t_se = best(lambda se=se, f=flat, p=parsed: se.eval(f, previously_parsed=p), n // 10)
            print(f"  simpleeval (parsed)   {t_se:8.0f} ns/eval   {t_se / t_hand:5.2f}x")
        if rule_engine is not None:
            rule = rule_engine.Rule(flat.replace("==  True", "== true").replace("True", "true"))
            t_re = best(lambda r=rule, m=names: r.matches(m), n // 20)
            print(f"  rule-engine           {t_re:8.0f} ns/eval   {t_re / t_hand:5.2f}x")
    print(f"worst compiled/lambda ratio: {worst:.2f}x (target <= 3.00x): {'PASS' if worst <= 3 else 'FAIL'}")


if __name__ == "__main__":
    main()
