"""Restart safety: notifications in flight when the app dies are delivered after restart, each id once."""

from __future__ import annotations

from typing import Any

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, FakeClock, SinkFactory, state_of, until
from tests.alerts.test_delivery import hook, setup

RULE = """
groups:
  - name: test
    interval: 1h
    rules:
      - alert: PoolFull
        for_each: pool
        expr: pool.usage_ratio > 0.9
        receivers: [hook]
"""


async def test_pending_notifications_survive_a_crash_and_arrive_exactly_once(
    alerts_app: AppFactory, sink: SinkFactory, tmp_path: Any
) -> None:
    s = await sink(hang=5.0)
    clock = FakeClock()
    client, knobs, _ = await setup(
        alerts_app, tmp_path, [hook(s.url, timeout=30)], RULE, clock, claim_seconds=2
    )
    pools = [{"name": f"p{i}", "usage_ratio": 0.99} for i in range(3)]
    knobs.pools[:] = pools
    assert await evaluate_once(client.app) == 3
    await until(lambda: len(s.times) == 3)  # all three in flight, none answered
    await client.close()  # the process goes away mid-delivery: nothing was marked sent
    s.hang = 0.0

    client2, knobs2, _ = await setup(alerts_app, tmp_path, [hook(s.url)], RULE, clock, claim_seconds=2)
    knobs2.pools[:] = pools
    # The restored state knows these alerts already fired: no second "firing" storm.
    assert await evaluate_once(client2.app) == 0
    assert {i.state for i in state_of(client2).evaluator.instances.values()} == {"firing"}
    clock.advance(3)  # the dead sender's claims lapse
    state_of(client2).sender.wake.set()
    await until(lambda: len(s.received) == 3)
    await until(lambda: state_of(client2).metrics.notifications.labels("hook", "sent")._value.get() == 3)
    assert len(s.unique()) == 3 and len(s.ids) == 3
    assert sorted(a["labels"]["pool"] for doc in s.received for a in doc["alerts"]) == ["p0", "p1", "p2"]
