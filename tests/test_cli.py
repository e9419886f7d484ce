"""The tronwatch command as a user runs it: demo mode, signals, keys, bad databases."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil

TW = [sys.executable, "-m", "daemon"]


def tw(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a tronwatch command to completion."""
    return subprocess.run([*TW, *args], capture_output=True, text=True, timeout=timeout, check=False)


def _get(url: str, key: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


class Daemon:
    """`tronwatch run` in demo mode as a child process."""

    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [*TW, "run", "--data-dir", str(data_dir), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TRONWATCH_AUTH__KEY_CACHE_SECONDS": "1"},
        )
        self.banner = ""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        while "listening:" not in self.banner:
            line = self.proc.stdout.readline()
            assert line or self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            self.banner += line
            assert time.monotonic() < deadline
        port = re.search(r"listening:\s+http://127\.0\.0\.1:(\d+)", self.banner)
        assert port
        self.url = f"http://127.0.0.1:{port.group(1)}"

    def stop(self) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds it took)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        return code, time.monotonic() - start


def _wait_ready(url: str) -> None:
    """Poll /readyz as a readiness probe does: the first chain check runs just after the listener opens."""
    deadline = time.monotonic() + 20
    while True:
        status, body = _get(f"{url}/readyz")
        if status == 200:
            return
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def _postgres_running(pgdata: Path) -> bool:
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            return True
    return False


def test_demo_mode_end_to_end(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    try:
        assert "demo mode" in daemon.banner and "embedded PostgreSQL" in daemon.banner
        assert "TRON network: SIMULATED devnode" in daemon.banner
        admin_key = re.search(r"admin:\s+(tw_\S+)", daemon.banner)
        partner_key = re.search(r"partner:\s+(tw_\S+)", daemon.banner)
        assert admin_key and partner_key, daemon.banner
        _wait_ready(daemon.url)
        status, me = _get(f"{daemon.url}/api/v1/me", partner_key.group(1))
        assert status == 200 and me["role"] == "partner"
        # keys create against the same data dir while the daemon runs: the running daemon accepts it.
        made = tw("keys", "create", "--admin", "ops", "--json", "--data-dir", str(tmp_path))
        assert made.returncode == 0, made.stderr
        new = json.loads(made.stdout)
        assert _get(f"{daemon.url}/api/v1/admin/keys", new["key"])[0] == 200
        listed = tw("keys", "list", "--data-dir", str(tmp_path))
        assert "ops" in listed.stdout and new["key"] not in listed.stdout
        revoked = tw("keys", "revoke", str(new["id"]), "--data-dir", str(tmp_path))
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        time.sleep(1.5)  # the key cache TTL (set to 1 s above) bounds how long another process trusts it
        assert _get(f"{daemon.url}/api/v1/admin/keys", new["key"])[0] == 401
    finally:
        code, took = daemon.stop()
    assert code == 0 and took < 10
    assert not _postgres_running(tmp_path / "pg")
    # Second start: same data, keys are not printed again, the first admin key still works.
    again = Daemon(tmp_path)
    try:
        assert "Demo API keys" not in again.banner
        assert _get(f"{again.url}/api/v1/admin/partners", admin_key.group(1))[0] == 200
    finally:
        assert again.stop()[0] == 0


def test_keys_commands_against_a_configured_database(database_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yml"
    cfg.write_text(f"database:\n  url: '{database_url}'\n")
    made = tw("keys", "create", "--partner", "acme", "--label", "prod", "-c", str(cfg))
    assert made.returncode == 0 and made.stdout.strip().startswith("tw_")
    assert "shown once" in made.stderr
    listed = json.loads(tw("keys", "list", "--json", "-c", str(cfg)).stdout)
    assert [(k["owner"], k["role"], k["label"]) for k in listed] == [("acme", "partner", "prod")]
    assert tw("keys", "revoke", "999", "-c", str(cfg)).returncode == 1
    assert "does not exist" in tw("keys", "revoke", "999", "-c", str(cfg)).stderr


def test_unreachable_database_names_the_masked_url(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yml"
    cfg.write_text("database:\n  url: postgresql://tw:hunter2@127.0.0.1:1/tw\n  connect_timeout: 2\n")
    for command in (
        ["run", "--port", "0"],
        ["migrate"],
        ["keys", "list"],
        ["keys", "create", "--admin", "ops"],
        ["keys", "revoke", "1"],
    ):
        result = tw(*command, "-c", str(cfg))
        assert result.returncode == 1, (command, result.stderr)
        # One line, naming the URL with its password masked: no traceback.
        masked = "postgresql://tw:***@127.0.0.1:1/tw"
        assert result.stderr.startswith(f"tronwatch: cannot reach database {masked}: ")
        assert len(result.stderr.splitlines()) == 1, (command, result.stderr)
        assert "hunter2" not in result.stderr + result.stdout


def test_unusable_data_dir_is_one_line(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    for command in (["run", "--port", "0"], ["migrate"], ["keys", "list"]):
        result = tw(*command, "--data-dir", str(not_a_dir / "tw"))
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr == f"tronwatch: cannot use data directory {not_a_dir / 'tw'}: Not a directory\n"


def test_empty_config_section_and_a_port_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yml"
    cfg.write_text("server:\n  # port: 8081\ndatabase:\n  url: postgresql://tw@127.0.0.1:1/tw\n")
    # Past the config (the empty section means defaults, --port applies) to the database check.
    result = tw("run", "-c", str(cfg), "--port", "9999")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("tronwatch: cannot reach database"), result.stderr


def test_help_explains_each_command() -> None:
    for args in (["--help"], ["run", "--help"], ["keys", "create", "--help"], ["config", "check", "--help"]):
        result = tw(*args)
        assert result.returncode == 0 and "usage: tronwatch" in result.stdout
    assert "--data-dir" in tw("run", "--help").stdout


def test_bad_config_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yml"
    cfg.write_text("server:\n  port: -1\nnonsense: 1\n")
    result = tw("run", "-c", str(cfg))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"tronwatch: config: {cfg}: server.port: Input should be greater than or equal to 0",
        f"tronwatch: config: {cfg}: nonsense: unknown key",
    ]
    assert os.path.exists(cfg)


def test_scripts_run_reads_a_relative_config_from_the_callers_directory(tmp_path: Path) -> None:
    (tmp_path / "tw.yml").write_text("server:\n  port: not-a-port\n")
    script = Path(__file__).resolve().parents[1] / "scripts" / "run"
    out = subprocess.run(
        [str(script), "-c", "tw.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 2 and "server.port" in out.stderr, out.stderr  # the file was found and read
