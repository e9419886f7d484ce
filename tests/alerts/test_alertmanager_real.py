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

from daemon import keys
from daemon.alerts.context import evaluate_once
from tests.alerts.conftest import AppFactory, FakeClock, Knobs, SinkFactory, one_rule, state_of, until

BINARY = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"
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


class Alertmanager:
    """A real Alertmanager on loopback (no clustering, storage under `root`) that can be restarted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "data").mkdir(parents=True)
        (root / "alertmanager.yml").write_text(CONFIG)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until /-/ready answers."""
        log = self.log_path.open("ab")
        self.proc = proc = subprocess.Popen(
            [
                BINARY,
                f"--config.file={self.root / 'alertmanager.yml'}",
                f"--storage.path={self.root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                tail = self.log_path.read_text()[-2000:]
                pytest.fail(f"alertmanager exited with {proc.returncode}: {tail}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"alertmanager not ready in 10 s: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def amtool(self, *args: str) -> str:
        """amtool's answer (the operator's view of this Alertmanager)."""
        done = subprocess.run(
            [AMTOOL, f"--alertmanager.url={self.url}", *args], capture_output=True, text=True, check=True
        )
        return done.stdout


@pytest.fixture
def am_process(tmp_path: Path) -> Iterator[Alertmanager]:
    """A running Alertmanager the test may restart."""
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is missing: install Debian's prometheus-alertmanager (scripts/test does)")
    am = Alertmanager(tmp_path / "alertmanager")
    am.start()
    try:
        yield am
    finally:
        am.stop()


@pytest.fixture
def alertmanager(am_process: Alertmanager) -> str:
    """A real Alertmanager's base URL."""
    return am_process.url


async def install_id(client: Any) -> str:
    """The install id of the app's database."""
    async with client.app[keys.runtime].pool.acquire() as conn:
        value: str = await conn.fetchval("SELECT install_id FROM tronwatch_install")
        return value


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
    assert alert["labels"] == {
        "alertname": "PoolFull",
        "severity": "critical",
        "pool": "alpha",
        "instance": await install_id(client),
    }
    assert alert["annotations"] == {"summary": "x is 0.0"}
    assert alert["status"]["state"] == "active"
    assert ts(alert["startsAt"]) == fired_at
    # Firing: valid for 4 x max(evaluation interval 1h, resend_delay 1m), as Prometheus's ValidUntil.
    assert ts(alert["endsAt"]) == fired_at + timedelta(hours=4)
    assert alert["generatorURL"] == "http://localhost:8080/status"  # public, not an admin API (401)
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


async def test_a_restarted_alertmanager_gets_firing_alerts_back_within_resend_delay(
    alerts_app: AppFactory, am_process: Alertmanager, sink: SinkFactory, tmp_path: Path
) -> None:
    url = am_process.url
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    (tmp_path / "rules").mkdir(exist_ok=True)
    hook = await sink()
    receivers = [
        {"type": "alertmanager", "name": "am", "url": url, "allow_private": True},
        {"type": "webhook", "name": "hook", "url": hook.url, "allow_private": True},
    ]
    client = await alerts_app(
        clock=clock,
        settings={
            "receivers": receivers,
            "default_receivers": [],
            "evaluation_interval": 3600,
            "resend_delay": 60,
            "generator_url": "https://grafana.example/alerting/list?search={alertname}",
        },
    )
    knobs = Knobs(client, tmp_path)
    await until(lambda: state_of(client).cycles >= 1)
    knobs.rules(one_rule("PoolFull", "pool.usage_ratio > 0.9", receivers="[am, hook]", for_each="pool"))
    knobs.pools[:] = [{"name": "alpha", "usage_ratio": 0.99}]
    await evaluate_once(client.app)

    async def firing() -> list[dict[str, Any]]:
        return [a for a in await am_alerts(url) if a["labels"].get("alertname") == "PoolFull"]

    (alert,) = await poll(firing)
    assert alert["generatorURL"] == "https://grafana.example/alerting/list?search=PoolFull"
    await until(lambda: len(hook.received) == 1)

    am_process.stop()
    am_process.start()  # Alertmanager keeps alerts in memory only: it comes back empty
    assert await firing() == []
    assert "PoolFull" not in am_process.amtool("alert", "query")

    clock.advance(30)  # before resend_delay: nothing re-sent
    await evaluate_once(client.app)
    await state_of(client).sender.drain()
    assert await am_received(url, "firing") == 0

    clock.advance(30)  # resend_delay since the first send
    await evaluate_once(client.app)
    (back,) = await poll(firing)
    assert back["status"]["state"] == "active"
    # endsAt ahead of now by 4 x max(interval 1h, resend_delay 1m): a dead tronwatch's alert ends by itself.
    assert ts(back["endsAt"]) == clock.now + timedelta(hours=4) and ts(back["endsAt"]) > datetime.now(UTC)
    query = am_process.amtool("alert", "query", "-o", "extended", "alertname=PoolFull")
    print(query)
    assert "PoolFull" in query and f'instance="{await install_id(client)}"' in query
    # The re-sends go to Alertmanager receivers only: the webhook still has the one notification.
    await state_of(client).sender.drain()
    assert len(hook.received) == 1
    # One outbox row per episode for the re-sends, refreshed rather than piling up.
    clock.advance(60)
    await evaluate_once(client.app)
    await state_of(client).sender.drain()
    async with client.app[keys.runtime].pool.acquire() as conn:
        rows = await conn.fetch("SELECT receiver, notification_id FROM alert_outbox ORDER BY id")
    assert [(r["receiver"], r["notification_id"].rsplit(":", 1)[1]) for r in rows] == [
        ("am", "1"),
        ("hook", "1"),
        ("am", "resend"),
    ]
