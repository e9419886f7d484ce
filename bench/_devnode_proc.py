"""Run `tronwatch devnode` in its own process with N generated pool accounts (shared by energy benches)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def control(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the devnode's /_devnode/ control API."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


@contextmanager
def devnode_with_pools(n: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(base URL, accounts) of a devnode process (clock frozen) serving `n` staked pool accounts."""
    pools = [
        {
            "name": f"bench-pool-{i:04d}",
            "seed": f"bench-pool-{i}",
            "trx": 100,
            "staked_energy_trx": 10_000 + i,
            "energy_used": 1_000 * i,
            "pool": True,
        }
        for i in range(n)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accounts.yml"
        path.write_text(yaml.safe_dump({"accounts": pools}))
        port = _free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daemon",
                "devnode",
                "--port",
                str(port),
                "--speed",
                "0",
                "--accounts",
                str(path),
                "--log-level",
                "warning",
            ],
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(600):
                try:
                    control(url, "GET", "_devnode/status")
                    break
                except OSError:
                    time.sleep(0.05)
            accounts = control(url, "GET", "_devnode/accounts")
            yield url, [a for a in accounts if a["pool"]]
        finally:
            proc.terminate()
            proc.wait(10)
