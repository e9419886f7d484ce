"""The devnode as a user meets it: `tronwatch devnode` plus a script that knows only tronpy and a URL."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
ALICE_KEY = "5a908581a49c10adcf21dca1909a1f29ae4db1cfcd81a5e862ddd85da8b47270"  # demo_accounts.yml
BOB = "THh5J4Kb996ZXSguVRYy69ys2fczZ2K1QZ"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tronpy_script_pays_and_reads_receipts_against_devnode_command() -> None:
    port = _free_port()
    node = subprocess.Popen(
        [sys.executable, "-m", "daemon", "devnode", "--port", str(port), "--speed", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert node.stdout is not None
        assert "simulated TRON network" in node.stdout.readline()
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "tronpy_walkthrough.py"),
                f"http://127.0.0.1:{port}/",
                ALICE_KEY,
                BOB,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
    finally:
        node.terminate()
        assert node.wait(timeout=10) == 0
    assert out["before"] == {"trx": "1000", "usdt": 5_000_000_000}
    assert out["after"]["usdt"] == 4_998_000_000
    # Alice has no staked energy: the empty-address USDT transfer burns 130,285 energy at 100 sun.
    usdt = out["usdt_transfer"]["receipt"]
    assert (
        usdt["energy_usage_total"] == 130_285
        and usdt["energy_fee"] == 13_028_500
        and usdt["result"] == "SUCCESS"
    )
    assert out["trx_payment"]["receipt"]["net_usage"] > 0
    assert 1000 - 1 - 13.0285 - 1 < float(out["after"]["trx"]) < 1000 - 1 - 13.0285
