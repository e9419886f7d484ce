"""The `alertmanager` receiver against Debian's real Alertmanager (package prometheus-alertmanager)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, FakeClock, Knobs, one_rule, state_of, until

BINARY = "/usr/bin/prometheus-alertmanager"
CONFIG = """
route:
  receiver: "null"
receivers:
  - name: "null"
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager on loopback (no clustering, storage in tmp_path); yields its base URL."""
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is missing: install Debian's prometheus-alertmanager (scripts/test does)")
    root = tmp_path / "alertmanager"
    (root / "data").mkdir(parents=True)
    (root / "alertmanager.yml").write_text(CONFIG)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = root / "log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            BINARY,
            f"--config.file={root / 'alertmanager.yml'}",
            f"--storage.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                pytest.fail(f"alertmanager exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"alertmanager not ready in 10 s: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


async def am_alerts(url: str) -> list[dict[str, Any]]:
    """Alertmanager's active alerts (GET /api/v2/alerts hides resolved ones)."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/api/v2/alerts") as resp:
        assert resp.status == 200
        alerts: list[dict[str, Any]] = await resp.json()
        return alerts


async def am_received(url: str, status: str) -> float:
    """alertmanager_alerts_received_total{status=...}: how Alertmanager classified what it was sent."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as resp:
        text = await resp.text()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("alertmanager_alerts_received_total{") and f'status="{status}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def poll(check: Callable[[], Awaitable[Any]], seconds: float = 10.0) -> Any:
    """Await `check()` until it returns something truthy (deliveries happen on background tasks)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        got = await check()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {seconds} s (last: {got!r})")
        await asyncio.sleep(0.05)


def ts(value: str) -> datetime:
    """Alertmanager's RFC 3339 timestamps."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_firing_then_resolved_in_a_real_alertmanager(
    alerts_app: AppFactory, alertmanager: str, tmp_path: Path
) -> None:
    # Alertmanager judges endsAt by its own wall clock: keep the fake clock a little in the past.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    (tmp_path / "rules").mkdir(exist_ok=True)
    receiver = {"type": "alertmanager", "name": "am", "url": alertmanager, "allow_private": True}
    client = await alerts_app(
        clock=clock,
        settings={"receivers": [receiver], "default_receivers": [], "evaluation_interval": 3600},
    )
    knobs = Knobs(client, tmp_path)
    await until(lambda: state_of(client).cycles >= 1)  # the leader's first cycle (then it waits an hour)
    knobs.rules(one_rule("PoolFull", "pool.usage_ratio > 0.9", receivers="[am]", for_each="pool"))
    fired_at = clock.now
    knobs.pools[:] = [{"name": "alpha", "usage_ratio": 0.99}]
    assert await evaluate_once(client.app) == 1

    async def firing() -> list[dict[str, Any]]:
        return [a for a in await am_alerts(alertmanager) if a["labels"].get("alertname") == "PoolFull"]

    (alert,) = await poll(firing)
    assert alert["labels"] == {"alertname": "PoolFull", "severity": "critical", "pool": "alpha"}
    assert alert["annotations"] == {"summary": "x is 0.0"}
    assert alert["status"]["state"] == "active"
    assert ts(alert["startsAt"]) == fired_at
    # Firing: valid until the next re-send is due (repeat_interval 4h + 4 evaluation intervals of 1h).
    assert ts(alert["endsAt"]) == fired_at + timedelta(hours=8)
    assert alert["generatorURL"].endswith("/api/v1/admin/alerts")
    assert await am_received(alertmanager, "firing") == 1

    knobs.pools[:] = [{"name": "alpha", "usage_ratio": 0.5}]
    clock.advance(60)
    assert await evaluate_once(client.app) == 1

    # The resolve carries endsAt = resolved_at (in the past for Alertmanager): counted as resolved, gone.
    async def resolved() -> bool:
        return await am_received(alertmanager, "resolved") == 1

    await poll(resolved)
    assert await firing() == []
    assert await am_received(alertmanager, "firing") == 1
