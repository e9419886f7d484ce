"""The app declares its background jobs once to its supervisor; /metrics shows how each one runs."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from daemon import keys as app_keys

# Every replica runs these; the leader-only ones run where the lease is (one app here: this one).
EVERYWHERE = {"db-watch", "energy-follow", "support-figures", "queue-gauges", "security-refresh"}
EVERYWHERE |= {"alerts-sender", "alerts-depth", "monitoring-listen", "monitoring-publish"}
EVERYWHERE |= {"monitoring-collect", "monitoring-keys"}
LEADER = {"housekeeping", "support-sla", "withdrawal-dispatcher", "payment-watcher"}
LEADER |= {"energy-forecast", "cost-ledger", "alerts-evaluator", "monitoring-collector"}


async def _samples(client: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body = await (await client.get("/metrics")).text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for f in text_string_to_metric_families(body)
        for s in f.samples
    }


async def test_every_job_is_declared_once_and_its_runs_are_on_metrics(client: Any) -> None:
    jobs = client.app[app_keys.jobs]
    assert set(jobs.jobs) == EVERYWHERE | LEADER  # no TRON network in this config: no scraper, no chain jobs
    assert {name for name, job in jobs.jobs.items() if job.leader} == LEADER
    for _ in range(500):
        samples = await _samples(client)
        leading = {
            dict(labels)["task"]
            for (name, labels), value in samples.items()
            if name == "tronwatch_task_leader" and value == 1
        }
        ok = samples.get(
            ("tronwatch_job_runs_total", frozenset({("task", "housekeeping"), ("outcome", "ok")}))
        )
        if leading == LEADER and ok:
            break
        await asyncio.sleep(0.02)
    assert leading == LEADER  # the old lease names: dashboards and alerts keep working
    assert ok == 1  # the first purge ran (the next is 10 minutes later)
    assert samples[("tronwatch_job_runs_total", frozenset({("task", "db-watch"), ("outcome", "error")}))] == 0
    assert samples[("tronwatch_job_last_success_timestamp_seconds", frozenset({("task", "db-watch")}))] > 0
    assert samples[("tronwatch_job_duration_seconds_count", frozenset({("task", "db-watch")}))] >= 1
