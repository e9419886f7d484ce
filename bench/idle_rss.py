"""Idle RSS of the `tronwatch run` process (embedded PostgreSQL excluded) vs a bare aiohttp interpreter.

Issue 2 figure: idle RSS of the daemon process <= 120 MB. The data dir is initialised by a first run,
then the daemon is measured twice on it: demo mode as is (in-process simulated devnode), and with
TRONWATCH_TRON__NETWORK=none. Each time: wait for /readyz 200, idle (default 10 s), read the RSS of the
daemon pid only. The embedded PostgreSQL runs as separate processes (found by their `-D <data>/pg`);
their summed RSS is printed for information (it counts shared buffers once per process). Baseline: RSS
of `python -c` that imports aiohttp and idles for the same time, measured in the same run.

    .venv/bin/python bench/idle_rss.py [--idle 10]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from twdaemon import Daemon

MAX_RSS_MB = 120.0
MB = 1024 * 1024
_BASELINE = "import sys, time, aiohttp; print('ready', flush=True); sys.stdin.read()"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """The postmaster serving pgdata and all its children."""
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if cmd and cmd[0].endswith("postgres") and "-D" in cmd and str(pgdata) in cmd:
            return [proc, *proc.children(recursive=True)]
    return []


def _rss(procs: list[psutil.Process]) -> float:
    """Summed RSS in MB of the processes still alive."""
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / MB


def _measure(data_dir: Path, env: dict[str, str], idle: float) -> dict[str, float]:
    """Run the daemon and a baseline interpreter side by side; their RSS (MB) after `idle` seconds."""
    base = subprocess.Popen(
        [sys.executable, "-c", _BASELINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert base.stdout is not None
        base.stdout.readline()
        with Daemon(data_dir, env=env) as daemon:
            daemon.wait_ready()
            proc = psutil.Process(daemon.pid)
            at_ready = proc.memory_info().rss / MB
            time.sleep(idle)
            full = proc.memory_full_info()
            others = [c for c in proc.children(recursive=True) if "postgres" not in c.name()]
            figures = {
                "ready": at_ready,
                "rss": full.rss / MB,
                "uss": full.uss / MB,
                "threads": float(proc.num_threads()),
                "children": float(len(others)),
                "postgres": _rss(_postgres_processes(data_dir / "pg")),
                "baseline": psutil.Process(base.pid).memory_info().rss / MB,
            }
            code, _ = daemon.stop()
            figures["exit"] = float(code if code is not None else -9)
    finally:
        base.communicate(timeout=5)
    return figures


def main() -> int:
    """Measure both modes and print; exit 0 (1 with --strict when a target is missed)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idle", type=float, default=10.0, help="seconds to idle after ready (default 10)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    print(
        f"idle_rss: {os.cpu_count()} CPUs, idle {args.idle:g} s after /readyz 200, "
        f"target <= {MAX_RSS_MB:g} MB"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="tw-bench-rss-") as tmp:
        with Daemon(Path(tmp)) as first:  # initdb + migrations, so both measured runs are restarts
            first.wait_ready()
        for label, env in (
            ("demo (simulated devnode)", {}),
            ("TRONWATCH_TRON__NETWORK=none", {"TRONWATCH_TRON__NETWORK": "none"}),
        ):
            f = _measure(Path(tmp), env, args.idle)
            passed = f["rss"] <= MAX_RSS_MB and f["exit"] == 0
            ok = ok and passed
            print(f"  {label}")
            print(
                f"    daemon RSS {f['rss']:6.1f} MB (at ready {f['ready']:.1f}, USS {f['uss']:.1f}, "
                f"{f['threads']:.0f} threads, {f['children']:.0f} non-postgres children)   {_verdict(passed)}"
            )
            print(
                f"    baseline `python -c 'import aiohttp'` RSS {f['baseline']:.1f} MB   "
                f"ratio {f['rss'] / f['baseline']:.2f}x"
            )
            print(f"    embedded PostgreSQL processes (excluded) RSS total {f['postgres']:.1f} MB")
            print(f"    stop exit code {f['exit']:.0f}")
    print(f"idle_rss: {_verdict(ok)}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
