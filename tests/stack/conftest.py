"""`tronwatch run` in demo mode (no config) as a user starts it, and Debian's Prometheus scraping it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent.parent
DASHBOARDS = sorted((ROOT / "dashboards" / "json").glob("*.json"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def http_json(method: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **headers}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@dataclass
class Demo:
    """A running `tronwatch run` in demo mode."""

    url: str
    admin: str
    partner: str
    log: Path
    started: float

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`python -m daemon run` with no config file on a free port, exactly the demo's defaults."""
    tmp = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRONWATCH_")}
    log = tmp / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "run", "--data-dir", str(tmp / "data"), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            cwd=ROOT,
        )
    started = time.monotonic()
    try:
        assert proc.stdout is not None
        banner = []
        for line in proc.stdout:
            banner.append(line)
            if "listening:" in line:
                break
        text = "".join(banner)
        keys = dict(re.findall(r"^\s+(admin|partner):\s+(tw_\S+)", text, re.M))
        assert set(keys) == {"admin", "partner"}, text + log.read_text()
        yield Demo(f"http://127.0.0.1:{port}", keys["admin"], keys["partner"], log, started)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Prometheus:
    """Debian's prometheus scraping the demo every second."""

    url: str

    def query_range(self, expr: str, seconds: int = 120) -> dict[str, Any]:
        end = time.time()
        params = urllib.parse.urlencode({"query": expr, "start": end - seconds, "end": end, "step": "1"})
        status, body = http_get(f"{self.url}/api/v1/query_range?{params}")
        data: dict[str, Any] = json.loads(body)
        data["http_status"] = status
        return data

    def query(self, expr: str) -> dict[str, Any]:
        """An instant query, as a table panel runs it."""
        status, body = http_get(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
        data: dict[str, Any] = json.loads(body)
        data["http_status"] = status
        return data


@pytest.fixture(scope="package")
def prometheus(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """`prometheus` on a free loopback port with a 1 s scrape of the demo daemon."""
    tmp = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = tmp / "prometheus.yml"
    target = demo.url.removeprefix("http://")
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: tronwatch\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "prometheus.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if http_get(f"{url}/-/ready", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("prometheus never became ready: " + (tmp / "prometheus.log").read_text())
        yield Prometheus(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
