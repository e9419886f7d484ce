"""Every dashboard panel's query, run by a real Prometheus against the demo daemon, returns data."""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.stack.conftest import DASHBOARDS, ROOT, Demo, Prometheus, http_get, http_json

# What Grafana substitutes at query time (a 1 s scrape interval here; pool "All" is the regex .+).
VARIABLES = {"$__rate_interval": "10s", "$__interval": "2s", "$__range": "2m", "$pool": ".+"}
METRIC = re.compile(r"\btronwatch_[a-z0-9_]+")


def panels(path: Path) -> list[dict[str, Any]]:
    """Every non-row panel of one dashboard file (rows nest collapsed panels)."""
    out = []
    for p in json.loads(path.read_text())["panels"]:
        out.extend(p.get("panels", []) if p["type"] == "row" else [p])
    return out


def family(sample: str) -> str:
    """The exposition name a query's series name belongs to (histogram parts → the histogram)."""
    return re.sub(r"_(bucket|count|sum)$", "", sample)


def _substitute(expr: str) -> str:
    for var, value in VARIABLES.items():
        expr = expr.replace(var, value)
    return expr


def _trigger_events(demo: Demo) -> None:
    """Events some panels need: client errors, an emergency withdrawal (by status), a rate-limited request."""
    partner = {"Authorization": f"Bearer {demo.partner}"}
    for _ in range(5):
        assert http_get(f"{demo.url}/api/v1/me")[0] == 401
        assert http_get(f"{demo.url}/api/v1/me", partner)[0] == 200
    status, body = http_json(
        "POST",
        f"{demo.url}/api/v1/energy/emergency-withdrawal",
        {
            "withdrawal_id": f"dash-{time.time_ns()}",
            "user_id": "u-dash",
            "to_address": "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy",
            "amount": "5",
            "currency": "USDT",
        },
        partner,
    )
    assert status == 201, body
    # The seed's limit: 3 withdrawals a minute per user (the emergency above was the first).
    statuses = []
    for i in range(3):
        entry = {
            "withdrawal_id": f"dash-q{i}-{time.time_ns()}",
            "user_id": "u-dash",
            "to_address": "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy",
            "amount": "5",
            "currency": "USDT",
        }
        statuses.append(http_json("POST", f"{demo.url}/api/v1/energy/queue", entry, partner)[0])
    assert statuses == [201, 201, 429], statuses


def _has_values(result: list[dict[str, Any]]) -> bool:
    return any(not math.isnan(float(v)) for series in result for _, v in series.get("values", []))


def test_every_panel_query_returns_data_from_a_real_prometheus(demo: Demo, prometheus: Prometheus) -> None:
    _trigger_events(demo)
    # The demo's story produces the rest (draining, alerts, a ticket) within two minutes of its start.
    deadline = max(time.monotonic() + 30, demo.started + 150)
    failures: list[str] = []
    while True:
        failures = []
        _, body = http_get(f"{demo.url}/metrics")
        lines = [line for line in body.decode().splitlines() if line and not line.startswith("#")]
        exported = {family(re.split(r"[{ ]", line)[0]) for line in lines}
        for path in DASHBOARDS:
            for panel in panels(path):
                for target in panel["targets"]:
                    names = {family(n) for n in METRIC.findall(target["expr"])}
                    missing = names - exported
                    if missing:
                        failures.append(f"{path.name} / {panel['title']}: not in /metrics: {sorted(missing)}")
                        continue
                    answer = prometheus.query_range(_substitute(target["expr"]))
                    where = f"{path.name} / {panel['title']} / {target['refId']}"
                    if answer["status"] != "success":
                        failures.append(f"{where}: {answer.get('error')}")
                    elif not _has_values(answer["data"]["result"]):
                        failures.append(f"{where}: no data")
        if not failures or time.monotonic() > deadline:
            break
        time.sleep(3)  # rates need a few scrapes after the triggered events
    assert not failures, "\n".join(failures)


def test_the_leader_panel_lists_one_row_per_task_and_replica(demo: Demo, prometheus: Prometheus) -> None:
    """The lease label is `task`: a `job` label would be stored as `exported_job` beside the scrape job."""
    (panel,) = [
        p for p in panels(ROOT / "dashboards/json/system-health.json") if p["title"] == "Leader per task"
    ]
    (target,) = panel["targets"]
    _, body = http_get(f"{demo.url}/metrics")
    leases = set(re.findall(r'^tronwatch_task_leader\{task="([^"]+)"\}', body.decode(), re.M))
    assert {"housekeeping", "withdrawal-dispatcher"} <= leases, leases
    deadline = time.monotonic() + 30
    while True:
        result = prometheus.query(_substitute(target["expr"]))["data"]["result"]
        rows = [(s["metric"].get("task"), s["metric"].get("instance")) for s in result]
        if {task for task, _ in rows} >= leases or time.monotonic() > deadline:
            break
        time.sleep(1)  # the first scrapes
    instance = demo.url.removeprefix("http://")
    assert sorted(rows) == sorted((task, instance) for task in leases), rows
    assert all(float(s["value"][1]) == 1 for s in result)  # one replica: it leads every task
    assert all("exported_job" not in s["metric"] for s in result)


def test_the_pool_variable_selects_one_pool(demo: Demo, prometheus: Prometheus) -> None:
    energy = json.loads((ROOT / "dashboards/json/energy-pools.json").read_text())
    (pool,) = [v for v in energy["templating"]["list"] if v["name"] == "pool"]
    assert pool["query"]["query"] == "label_values(tronwatch_pool_limit_energy, pool)"
    for panel in panels(ROOT / "dashboards/json/energy-pools.json"):
        for target in panel["targets"]:
            if "$pool" not in target["expr"]:
                continue
            expr = _substitute(target["expr"].replace("$pool", "pool-beta"))
            result = prometheus.query_range(expr)["data"]["result"]
            assert {s["metric"].get("pool") for s in result} == {"pool-beta"}, panel["title"]


def test_metrics_exposition_passes_promtool(demo: Demo) -> None:
    _, body = http_get(f"{demo.url}/metrics")
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, check=False)
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), check


def test_prometheus_graphs_the_draining_pools(demo: Demo, prometheus: Prometheus) -> None:
    """A screenshot of the pools in Prometheus's own graph page (Grafana cannot run here)."""
    import shutil
    import urllib.parse

    import pytest

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    expr = "max by (pool) (tronwatch_pool_available_energy)"
    query = urllib.parse.urlencode({"g0.expr": expr, "g0.tab": "0", "g0.range_input": "2m"})
    shot = ROOT / "artifacts" / "prometheus-pools.png"
    shot.parent.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(f"{prometheus.url}/graph?{query}")
            page.wait_for_timeout(2500)  # the graph renders after its query returns
            page.screenshot(path=str(shot), full_page=False)
            body = page.inner_text("body")
        finally:
            browser.close()
    assert "Error" not in body.split("tronwatch_pool")[0], body[:500]
    assert shot.stat().st_size > 10_000
