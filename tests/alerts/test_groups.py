"""Each rule group runs on its own interval (as Prometheus rule groups do), not at the smallest one."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, FakeClock, Knobs, state_of, until

TWO_GROUPS = """
groups:
  - name: fast
    interval: {fast}
    rules:
      - alert: Fast
        expr: knob.x > 5
        for: 10m
        repeat_interval: 30m
        receivers: [log]
  - name: slow
    interval: 1h
    rules:
      - alert: Slow
        expr: knob.x > 5
        for: 1h
        repeat_interval: 2h
        receivers: [log]
"""


async def start(
    alerts_app: AppFactory, tmp_path: Any, interval: float, clock: Any = None
) -> tuple[Any, Knobs]:
    (tmp_path / "rules").mkdir(exist_ok=True)
    client = await alerts_app(
        clock=clock,
        settings={
            "receivers": [{"type": "log", "name": "log"}],
            "default_receivers": [],
            "evaluation_interval": interval,
        },
    )
    knobs = Knobs(client, tmp_path)
    await until(lambda: state_of(client).cycles >= 1)  # the leader's first cycle, with no rules yet
    return client, knobs


def count_groups(monkeypatch: pytest.MonkeyPatch, client: Any) -> Counter[str]:
    """How many times each group was evaluated (watching the evaluator's input)."""
    ev, seen = state_of(client).evaluator, Counter[str]()
    real = ev.evaluate

    def spy(rules: Any, *args: Any, **kw: Any) -> Any:
        rules = list(rules)
        seen.update({r.group for r in rules})
        return real(rules, *args, **kw)

    monkeypatch.setattr(ev, "evaluate", spy)
    return seen


async def test_each_group_evaluates_at_its_own_interval_with_for_and_repeat(
    alerts_app: AppFactory, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    client, knobs = await start(alerts_app, tmp_path, 3600, clock)  # the leader then sleeps an hour
    knobs.rules(TWO_GROUPS.format(fast="5m"))
    seen = count_groups(monkeypatch, client)
    sent: list[tuple[int, str, str]] = []
    state_of(client).listeners.append(
        lambda cycle, now: sent.extend((minute, r["alertname"], r["payload"]["reason"]) for r in cycle.outbox)
    )
    for minute in range(0, 245, 5):  # the leader's loop, on the fake clock: a tick every 5 minutes
        knobs.values["x"] = 9 if 5 <= minute < 200 else 1
        await evaluate_once(client.app, all_groups=False)
        clock.advance(300)
    assert seen == {"fast": 49, "slow": 5}  # slow at 0, 60, 120, 180, 240 minutes only
    fast = [(m, why) for m, name, why in sent if name == "Fast"]
    slow = [(m, why) for m, name, why in sent if name == "Slow"]
    # Fast: pending at 5, fires 10m later, re-sent every 30m, resolved as soon as the condition ends.
    assert fast == [(15, "firing"), *((m, "repeat") for m in range(45, 200, 30)), (200, "resolved")]
    # Slow: sees the condition at its 60-minute evaluation, fires 1h later, resolves at its next one.
    assert slow == [(120, "firing"), (240, "resolved")]
    # evaluate_once(app) still forces every group, and restarts their intervals from now.
    seen.clear()
    await evaluate_once(client.app)
    clock.advance(300)
    await evaluate_once(client.app, all_groups=False)
    assert seen == {"fast": 2, "slow": 1}


async def test_the_leader_loop_sleeps_until_the_next_due_group(
    alerts_app: AppFactory, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, knobs = await start(alerts_app, tmp_path, 0.2)  # real clock: the leader's own loop runs
    seen = count_groups(monkeypatch, client)
    knobs.rules(TWO_GROUPS.format(fast="300ms"))
    await until(lambda: seen["fast"] >= 5)
    await asyncio.sleep(0.5)
    assert seen["slow"] == 1  # evaluated once when it appeared, then not for an hour
