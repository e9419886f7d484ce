"""Routing 10,000 alerts through a 50-route tree (regex and negation matchers) vs equality dicts.

Issue 15 figure: <= 50 ms for 10,000 alerts. The baseline is the seed's matching (every label an
equality, a dict lookup per key) over the same 50 routes' equality parts, in a plain loop.

    .venv/bin/python bench/alerts_routing.py [--alerts 10000] [--routes 50] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from daemon.alerts.routing import route
from daemon.alerts.settings import AlertsSettings, LogReceiver


def tree_doc(n: int) -> dict[str, object]:
    routes = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            m = [f'team="team-{i}"']
        elif kind == 1:
            m = [f'pool=~"pool-{i}[0-9]*"', 'severity!="info"']
        elif kind == 2:
            m = [f'alertname=~"Rule{i}|Rule{i + 1}"', f'region!~"eu-{i}.*"']
        else:
            m = ['severity="critical"', f'pool="pool-{i}"']
        routes.append({"matchers": m, "receiver": f"r{i % 5}", "continue": i % 10 == 0})
    return {"receiver": "r0", "group_by": ["alertname"], "routes": routes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    settings = AlertsSettings(
        receivers=[LogReceiver(type="log", name=f"r{i}") for i in range(5)],
        default_receivers=["r0"],
        route=tree_doc(args.routes),  # type: ignore[arg-type]
    )
    tree = settings.tree()
    assert tree is not None
    alerts = [
        {
            "alertname": f"Rule{i % 60}",
            "pool": f"pool-{i % 1000}",
            "severity": ("warning", "critical", "info")[i % 3],
            "region": f"eu-{i % 7}",
            "team": f"team-{i % 80}",
        }
        for i in range(args.alerts)
    ]
    # The seed's equality matchers: one dict per route (the `=` parts only), every key compared.
    eq = [
        {"team": f"team-{i}"} if i % 4 == 0 else {"severity": "critical", "pool": f"pool-{i}"}
        for i in range(args.routes)
    ]
    base, ours, hits = [], [], 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        for labels in alerts:
            for want in eq:
                if all(labels.get(k, "") == v for k, v in want.items()):
                    break
        t1 = time.perf_counter()
        hits = sum(len(route(tree, labels)) for labels in alerts)
        t2 = time.perf_counter()
        base.append((t1 - t0) * 1000)
        ours.append((t2 - t1) * 1000)
    med_b, med_o = statistics.median(base), statistics.median(ours)
    print(f"{args.alerts} alerts through a {args.routes}-route tree ({hits} route matches)")
    print(f"  equality dicts (baseline)  median {med_b:7.2f} ms")
    print(f"  routing tree               median {med_o:7.2f} ms   max {max(ours):7.2f} ms")
    print(f"  ratio to baseline          {med_o / med_b:5.2f}x")
    print(f"median {med_o:.2f} ms (target <= 50 ms): {'PASS' if med_o <= 50 else 'FAIL'}")


if __name__ == "__main__":
    main()
