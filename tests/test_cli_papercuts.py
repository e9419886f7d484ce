"""Small things an operator trips over on the first day: pipes, the start banner, typos."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.test_cli import TW


def test_config_check_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # Far more than a pipe holds, so the writer is still writing when the reader goes away.
    receivers = "".join(f"    - {{type: log, name: log{i}}}\n" for i in range(3000))
    cfg = tmp_path / "tw.yml"
    cfg.write_text(f"alerts:\n  default_receivers: []\n  receivers:\n{receivers}")
    proc = subprocess.Popen(
        [*TW, "config", "check", "-c", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().endswith(b": ok\n")  # what `| head -1` shows
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""  # no BrokenPipeError traceback


def test_a_config_without_database_url_is_not_called_demo_mode(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yml"
    cfg.write_text("logging:\n  level: warning\n")
    proc = subprocess.Popen(
        [*TW, "run", "-c", str(cfg), "--data-dir", str(tmp_path / "data"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    banner = ""
    deadline = time.monotonic() + 60
    try:
        while "listening:" not in banner:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            banner += line
            assert time.monotonic() < deadline
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    first = banner.splitlines()[0]
    assert "demo mode" not in first
    assert first.endswith("embedded PostgreSQL (no database.url set), no demo network or pools")
    assert "TRON network: no network configured" in banner and code == 0


def test_a_typo_key_gets_a_suggestion(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yml"
    cfg.write_text(
        "servr: {}\nserver:\n  prot: 9\nalerts:\n  receivers:\n"
        "    - {type: slack, name: s, url: 'https://h.example/x', sendresolved: true}\n"
    )
    out = subprocess.run(
        [*TW, "config", "check", "-c", str(cfg)], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 2
    assert sorted(out.stderr.splitlines()) == [
        f"tronwatch: config: {cfg}: alerts.receivers.0.slack.sendresolved: unknown key; "
        "did you mean 'send_resolved'?",
        f"tronwatch: config: {cfg}: server.prot: unknown key; did you mean 'port'?",
        f"tronwatch: config: {cfg}: servr: unknown key; did you mean 'server'?",
    ]
