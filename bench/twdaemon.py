"""Start a real `tronwatch run` for a benchmark: free port, banner parsing, /readyz polling, SIGTERM stop."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NoReturn

import psutil

_ADMIN_RE = re.compile(r"^\s+admin:\s+(tw_\S+)")
# Benches load one key far past the default api_call limit (100/min): limits off unless a bench says so.
NO_RATE_LIMITS_ENV = {
    "TRONWATCH_SECURITY__RATE_LIMITS__API_CALL__ENABLED": "false",
    "TRONWATCH_SECURITY__RATE_LIMITS__WITHDRAWAL__ENABLED": "false",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_listening_on(port: int) -> int:
    """The pid of the process listening on 127.0.0.1:port (psutil)."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr[1] == port and conn.pid:
            return int(conn.pid)
    raise LookupError(f"nothing listens on port {port}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def tronwatch_command() -> list[str]:
    """The `tronwatch` console script next to this interpreter, else `python -m daemon`."""
    script = Path(sys.executable).parent / "tronwatch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "daemon"]


def readyz_status(port: int, timeout: float = 1.0) -> int | None:
    """GET /readyz on 127.0.0.1:port; the status, or None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/readyz")
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class Daemon:
    """One `tronwatch run --data-dir DIR --port PORT` subprocess with its stdout banner collected."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_lines: list[str] = []
        self.banner_done = threading.Event()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in __exit__
        cmd = [*tronwatch_command(), "run", "--data-dir", str(data_dir), "--port", str(self.port)]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **NO_RATE_LIMITS_ENV, **(env or {})},
            text=True,
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The daemon's process id."""
        return self.proc.pid

    def _read_stdout(self) -> None:
        """Collect stdout lines; flag the end of the banner (the `listening:` line)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout_lines.append(line.rstrip("\n"))
            if "listening:" in line:
                self.banner_done.set()
        self.banner_done.set()

    def admin_key(self, timeout: float = 30.0) -> str:
        """The demo admin key printed once in the banner of a first run."""
        if not self.banner_done.wait(timeout):
            self._fail(f"no banner within {timeout:.0f} s")
        for line in self.stdout_lines:
            if m := _ADMIN_RE.match(line):
                return m.group(1)
        self._fail("no `admin: tw_...` line in the banner (data dir not fresh?)")

    def wait_ready(self, timeout: float = 60.0, interval: float = 0.02) -> float:
        """Poll /readyz until 200; return seconds since the process was spawned."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                self._fail(f"exited with code {self.proc.returncode} before /readyz answered 200")
            if readyz_status(self.port) == 200:
                return time.perf_counter() - self.started
            time.sleep(interval)
        self._fail(f"/readyz not 200 within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> tuple[int | None, float]:
        """SIGTERM and wait; return (exit code or None if it had to be killed, seconds to exit)."""
        t0 = time.perf_counter()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None, time.perf_counter() - t0
        elapsed = time.perf_counter() - t0
        self._reader.join(5.0)
        return self.proc.returncode, elapsed

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the daemon wrote to stderr."""
        self._stderr.flush()
        self._stderr.seek(0)
        return "\n".join(self._stderr.read().decode(errors="replace").splitlines()[-lines:])

    def _fail(self, what: str) -> NoReturn:
        """Stop the daemon and raise with its output, for a clear failure."""
        code, _ = self.stop(5.0)
        out = "\n".join(self.stdout_lines[-20:])
        raise RuntimeError(
            f"tronwatch {what} (exit {code})\n--- stdout ---\n{out}\n--- stderr ---\n{self.stderr_tail()}"
        )

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._stderr.close()
