"""Run Debian's `wrk` against a URL and read its figures (requests/s, p50/p99, non-2xx), for HTTP benches."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_PCT = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_TOTAL = re.compile(r"(\d+) requests in")
_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}

# One Lua script for every bench: method, headers and a body template whose `%d` becomes a counter, so
# each request of a POST bench is a new row (a new withdrawal_id, a new ticket).
_LUA = """
local method, body = %(method)s, %(body)s
local headers = {%(headers)s}
local n = 0
request = function()
  n = n + 1
  local b = nil
  if body ~= "" then b = string.format(body, n) end
  return wrk.format(method, nil, headers, b)
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx answers plus socket errors

    def line(self) -> str:
        """`12,345 req/s  p50 1.2 ms  p99 3.4 ms`."""
        bad = f"  bad {self.bad}" if self.bad else ""
        return f"{self.rps:9,.0f} req/s  p50 {self.p50_ms:6.2f} ms  p99 {self.p99_ms:6.2f} ms{bad}"


def wrk_binary() -> str:
    """The wrk executable; says how to install it when missing (the test command does not need it)."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk not found; install it: apt-get install -y wrk (Debian's package)")
    return path


def _lua_string(value: str) -> str:
    """A Lua string literal (json.dumps escapes are valid Lua escapes for this text)."""
    return json.dumps(value, ensure_ascii=False)


def run_wrk(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str = "",
    duration: float = 5.0,
    connections: int = 32,
    threads: int = 1,
) -> WrkResult:
    """Load `url` for `duration` seconds and parse wrk's summary (latency in ms)."""
    fields = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items())
    script = _LUA % {"method": _lua_string(method), "body": _lua_string(body), "headers": fields}
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "bench.lua"
        lua.write_text(script)
        cmd = [
            wrk_binary(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            "-s",
            str(lua),
            url,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    pct = {int(q): float(v) * _UNIT[u] for q, v, u in _PCT.findall(out)}
    rps = _RPS.search(out)
    total = _TOTAL.search(out)
    if rps is None or total is None or 50 not in pct or 99 not in pct:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = int(m.group(1)) if (m := _NON_2XX.search(out)) else 0
    if m := _ERRORS.search(out):
        bad += sum(int(g) for g in m.groups())
    return WrkResult(float(rps.group(1)), pct[50], pct[99], int(total.group(1)), bad)
