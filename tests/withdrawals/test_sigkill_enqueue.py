"""SIGKILL a real daemon while 32 clients enqueue: every acknowledged entry survives, none twice on retry."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg

TO = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy"
CLIENTS = 32


def _start(cfg: Path) -> tuple[subprocess.Popen[str], str, str | None, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "run", "-c", str(cfg), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    banner, deadline = "", time.monotonic() + 60
    while "listening:" not in banner:
        line = proc.stdout.readline()
        assert line and time.monotonic() < deadline, "daemon did not start"
        banner += line
    port = re.search(r"listening:\s+http://127\.0\.0\.1:(\d+)", banner)
    key = re.search(r"partner:\s+(tw_\S+)", banner)
    database = re.search(r"\((postgresql://[^)]+)\)", banner)  # the embedded server's URL
    assert port and database
    return proc, f"http://127.0.0.1:{port.group(1)}", key.group(1) if key else None, database.group(1)


def _enqueue(url: str, key: str, withdrawal_id: str) -> int:
    body = {
        "withdrawal_id": withdrawal_id,
        "user_id": "u",
        "to_address": TO,
        "amount": "1",
        "currency": "USDT",
    }
    req = urllib.request.Request(
        f"{url}/api/v1/energy/queue",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0  # connection refused or reset: the daemon is gone


def test_acknowledged_enqueues_survive_sigkill_and_retries_do_not_duplicate(tmp_path: Path) -> None:
    cfg = tmp_path / "tronwatch.yml"
    cfg.write_text(
        f"data_dir: {tmp_path / 'data'}\ntron: {{network: none}}\n"
        "security: {rate_limits: {withdrawal: {enabled: false}, api_call: {enabled: false}}}\n"
    )
    proc, url, key, _ = _start(cfg)
    assert key is not None
    acked: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            wid = f"c{n}-{i}"
            status = _enqueue(url, key, wid)
            if status in (200, 201):
                with lock:
                    acked.add(wid)
                i += 1
            elif status == 0:
                return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # mid-stream: requests are in flight
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) >= 300

    proc, url, _, db_url = _start(cfg)
    try:
        # Clients retry everything they sent, acknowledged or not, with the same withdrawal_id.
        statuses = {wid: _enqueue(url, key, wid) for wid in sorted(acked)}
        assert set(statuses.values()) == {200}, "a retry of an acknowledged enqueue must return the entry"
        rows = _rows(db_url)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    assert acked <= set(rows), "an acknowledged enqueue was lost"
    assert all(count == 1 for count in rows.values()), "an enqueue was stored twice"


def _rows(db_url: str) -> dict[str, int]:
    import asyncio

    async def fetch() -> Any:
        conn = await asyncpg.connect(db_url)
        try:
            return await conn.fetch(
                "SELECT withdrawal_id, count(*) AS n FROM energy_withdrawal_queue GROUP BY withdrawal_id"
            )
        finally:
            await conn.close()

    return {r["withdrawal_id"]: r["n"] for r in asyncio.run(fetch())}
