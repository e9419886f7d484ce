"""Ready time of `tronwatch run` in demo mode: process spawn to `/readyz` 200, first run and restarts.

Issue 2 figure: median <= 3 s with the data dir already initialised; first run including initdb <= 15 s.
Demo mode as is (default env, the in-process simulated devnode included). One run on a fresh data dir,
then N restarts on the same dir; /readyz is polled every 20 ms. Each run is stopped with SIGTERM and the
stop time reported (target < 10 s, exit 0). Baseline: spawning `python -c "import daemon.cli"`
(interpreter + import cost), median of 5, measured in the same run.

    .venv/bin/python bench/ready_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from twdaemon import Daemon

MAX_FIRST_S = 15.0
MAX_MEDIAN_S = 3.0
MAX_STOP_S = 10.0


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _import_time() -> float:
    """Seconds to spawn an interpreter that imports daemon.cli and exits."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import daemon.cli"], check=True)
    return time.perf_counter() - t0


def _one_run(data_dir: Path) -> tuple[float, int | None, float]:
    """Start, wait for /readyz 200, SIGTERM; return (ready s, exit code, stop s)."""
    with Daemon(data_dir) as daemon:
        ready = daemon.wait_ready(timeout=60.0, interval=0.02)
        code, stop_s = daemon.stop()
    return ready, code, stop_s


def main() -> int:
    """Measure and print; exit 0 (1 with --strict when a target is missed)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="restarts on the initialised dir (default 5)")
    parser.add_argument("--baseline-runs", type=int, default=5, help="import-time samples (default 5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    print(f"ready_time: {os.cpu_count()} CPUs, demo mode (simulated devnode), {args.runs} restarts")
    baseline = [_import_time() for _ in range(args.baseline_runs)]
    base = statistics.median(baseline)
    stops: list[tuple[int | None, float]] = []
    with tempfile.TemporaryDirectory(prefix="tw-bench-ready-") as tmp:
        first, code, stop_s = _one_run(Path(tmp))
        stops.append((code, stop_s))
        print(f"  first run (initdb)    ready {first:6.2f} s   stop {stop_s:5.2f} s exit {code}")
        readies: list[float] = []
        for i in range(1, args.runs + 1):
            ready, code, stop_s = _one_run(Path(tmp))
            readies.append(ready)
            stops.append((code, stop_s))
            print(f"  restart {i}             ready {ready:6.2f} s   stop {stop_s:5.2f} s exit {code}")

    med = statistics.median(readies)
    worst_stop = max(s for _, s in stops)
    stops_ok = all(code == 0 and s < MAX_STOP_S for code, s in stops)
    first_ok, med_ok = first <= MAX_FIRST_S, med <= MAX_MEDIAN_S
    print(
        f"  baseline `python -c 'import daemon.cli'`: median {base:.3f} s "
        f"(min {min(baseline):.3f}, max {max(baseline):.3f}, n={len(baseline)})"
    )
    print(
        f"  restarts: median {med:.2f} s, min {min(readies):.2f} s, max {max(readies):.2f} s   "
        f"ratio to baseline {med / base:.1f}x"
    )
    print(f"  first run ratio to baseline {first / base:.1f}x")
    print(f"  first run incl. initdb  {first:.2f} s  (target <= {MAX_FIRST_S:g} s)   {_verdict(first_ok)}")
    print(f"  median ready time       {med:.2f} s  (target <= {MAX_MEDIAN_S:g} s)   {_verdict(med_ok)}")
    codes = sorted({c for c, _ in stops}, key=str)
    print(
        f"  stop (SIGTERM)          worst {worst_stop:.2f} s, exit codes {codes}"
        f"  (target < {MAX_STOP_S:g} s, exit 0)   {_verdict(stops_ok)}"
    )
    ok = first_ok and med_ok and stops_ok
    print(f"ready_time: {_verdict(ok)}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
