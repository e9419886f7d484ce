"""GET /api/v1/energy/status vs the authenticated GET /api/v1/me, same daemon, same run (target >= 60 %).

Starts a demo-mode `tronwatch run` (embedded PostgreSQL, devnode with demo pools and traffic), waits
for the first scrape, then loads both endpoints alternately with bench/loadgen.py (separate process).

    .venv/bin/python bench/energy_status.py [--seconds 5] [--rounds 2] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import run_load
from twdaemon import Daemon

_PARTNER_RE = re.compile(r"^\s+partner:\s+(tw_\S+)")


def _get(url: str, key: str) -> dict[str, object]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        body: dict[str, object] = json.load(resp)
        return body


def main() -> int:
    """Run the comparison and print both rates and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Daemon(Path(tmp)) as daemon:
        daemon.wait_ready()
        daemon.banner_done.wait(30)
        partner = next(m.group(1) for line in daemon.stdout_lines if (m := _PARTNER_RE.match(line)))
        status_url, me_url = f"{daemon.url}/api/v1/energy/status", f"{daemon.url}/api/v1/me"
        for _ in range(300):  # the first scrape cycle
            if _get(status_url, partner)["available_energy"] is not None:
                break
            time.sleep(0.05)
        print("status body:", json.dumps(_get(status_url, partner)))
        headers = {"Authorization": f"Bearer {partner}"}
        me, st = [], []
        for _ in range(args.rounds):
            me.append(run_load(me_url, headers=headers, duration=args.seconds, connections=args.connections))
            st.append(
                run_load(status_url, headers=headers, duration=args.seconds, connections=args.connections)
            )
    me_rps, st_rps = statistics.fmean(r.rps for r in me), statistics.fmean(r.rps for r in st)
    for name, runs in (("GET /api/v1/me (baseline)", me), ("GET /api/v1/energy/status", st)):
        for r in runs:
            print(f"{name:28s} {r}")
    ratio = st_rps / me_rps if me_rps else 0.0
    print(f"mean rps: me {me_rps:.1f}, energy/status {st_rps:.1f}; ratio {ratio:.2f} (target >= 0.60)")
    ok = ratio >= 0.6 and all(set(r.statuses) == {200} for r in me + st)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
