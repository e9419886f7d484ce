"""`tronwatch run` with no config shows the whole story within two minutes, with the shipped defaults."""

from __future__ import annotations

import json
import re
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.stack.conftest import Demo, Prometheus, http_get

DEADLINE = 120.0  # seconds from start, as the README promises


def _gauges(demo: Demo) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    _, body = http_get(f"{demo.url}/metrics")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(body.decode())
        for s in fam.samples
    }


@pytest.mark.timeout(DEADLINE + 120)  # the loop's own deadline decides, after the demo's start-up
def test_the_demo_drains_pools_alerts_congests_queues_and_opens_a_ticket(
    demo: Demo, prometheus: Prometheus
) -> None:
    alpha = ("tronwatch_pool_available_energy", (("pool", "pool-alpha"),))
    first_alpha = None
    levels: list[str] = []
    seen: dict[str, float] = {}
    admin = {"Authorization": f"Bearer {demo.admin}"}
    while time.monotonic() - demo.started < DEADLINE and len(seen) < 8:
        g = _gauges(demo)
        at = time.monotonic() - demo.started
        if alpha in g:
            first_alpha = g[alpha] if first_alpha is None else first_alpha
            if g[alpha] < first_alpha - 2_000_000:
                seen.setdefault("pools draining", at)
        states = [lb for (n, lb), v in g.items() if n == "tronwatch_energy_level" and v == 1]
        level = states[0][0][1] if states else None
        if level is not None and (not levels or levels[-1] != level):
            levels.append(level)
        if len(levels) > 1:
            seen.setdefault("energy state changed", at)
        if re.search(r'logger=daemon\.alerts\.notify msg="alert id=\S+ title=\\"\[FIRING\]', demo.logs()):
            seen.setdefault("alert delivered to the log receiver", at)
        if "⚠️ 현재 네트워크가 혼잡합니다" in http_get(f"{demo.url}/status")[1].decode():
            seen.setdefault("status page congested", at)
        if demo.logs().count('msg="demo: withdrawal queued id=') >= 3:
            seen.setdefault("withdrawals queued", at)
        logs = demo.logs()
        averted = logs.find('msg="demo: the autopilot delegated reserve energy to pool=')
        if averted >= 0 and averted < (logs.find('msg="demo: withdrawal queued id=') % (len(logs) + 1)):
            seen.setdefault("autopilot averted a shortage", at)  # before any withdrawal queued
        if "autopilot budget used up for today" in logs:
            seen.setdefault("autopilot budget used up", at)
        _, tickets = http_get(f"{demo.url}/api/v1/support/tickets", admin)
        if any("출금이 지연" in t["title"] for t in json.loads(tickets)["items"]):
            seen.setdefault("sample ticket", at)
        time.sleep(1)
    print("demo milestones (s after start):", {k: round(v, 1) for k, v in seen.items()}, "levels:", levels)
    assert set(seen) == {
        "pools draining",
        "energy state changed",
        "alert delivered to the log receiver",
        "status page congested",
        "sample ticket",
        "withdrawals queued",
        "autopilot averted a shortage",
        "autopilot budget used up",
    }, (seen, levels, demo.logs()[-3000:])
    assert levels[0] == "ok" and levels[-1] in ("critical", "emergency")
