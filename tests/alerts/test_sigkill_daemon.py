"""SIGKILL a real `tronwatch run` with notifications pending: after restart each arrives, once per id."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil

RULES = """
groups:
  - name: always
    interval: 1s
    rules:
      - alert: PoolSeen
        for_each: pool
        expr: pool.usage_ratio >= 0
        labels: {severity: info}
        receivers: [hook]
"""


class Sink:
    """A webhook receiver that fails on demand and deduplicates by webhook-id, as the spec asks."""

    def __init__(self) -> None:
        self.failing = True
        self.attempts: list[str] = []
        self.accepted: dict[str, list[str]] = {}  # webhook-id -> pools in that notification
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                wid = self.headers["webhook-id"]
                sink.attempts.append(wid)
                if sink.failing:
                    self.send_response(500)
                else:
                    sink.accepted.setdefault(wid, [a["labels"]["pool"] for a in body["alerts"]])
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _start(cfg: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "run", "-c", str(cfg), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while "listening:" not in (line := proc.stdout.readline()):
        assert line and time.monotonic() < deadline, "daemon did not start"
    return proc


def _until(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_notifications_pending_at_sigkill_are_delivered_once_after_restart(tmp_path: Path) -> None:
    sink = Sink()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "always.yml").write_text(RULES)
    cfg = tmp_path / "tronwatch.yml"
    cfg.write_text(
        f"data_dir: {tmp_path / 'data'}\n"
        "tron: {network: devnode, devnode_traffic_per_hour: 0}\n"
        "energy: {scrape_interval: 0.5}\n"
        f"alerts:\n  rule_files: [{tmp_path / 'rules'}]\n  default_receivers: [hook]\n"
        "  backoff_base: 0.2\n  backoff_max: 0.5\n  claim_seconds: 2\n  sender_idle: 0.1\n"
        f"  receivers:\n    - {{type: webhook, name: hook, url: '{sink.url}', allow_private: true}}\n"
    )
    first = _start(cfg)
    try:
        _until(lambda: len(set(sink.attempts)) >= 3, 60)  # three pools fired; every delivery fails
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    pending = set(sink.attempts)
    assert not sink.accepted and len(pending) == 3

    sink.failing = False
    second = _start(cfg)
    try:
        _until(lambda: set(sink.accepted) == pending, 60)
        time.sleep(2)  # several evaluation cycles: the restored state must not fire again
        assert set(sink.accepted) == pending, "a restart re-fired alerts that had already fired"
        assert sorted(p for pools in sink.accepted.values() for p in pools) == [
            "pool-alpha",
            "pool-beta",
            "pool-gamma",
        ]
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
    # The restarted daemon let go of the embedded PostgreSQL although the killed one never did.
    pgdata = str(tmp_path / "data" / "pg")
    _until(lambda: not _postgres_running(pgdata), 10)
    sink.server.shutdown()


def _postgres_running(pgdata: str) -> bool:
    return any(
        p.info["name"] == "postgres" and pgdata in " ".join(p.info["cmdline"] or [])
        for p in psutil.process_iter(["name", "cmdline"])
    )
