"""`tronwatch devnode` as a process, its --help, and the accounts YAML (demo set and validation)."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from daemon.devnode.accounts import AccountsFileError, demo_accounts, load_accounts
from daemon.devnode.cli import add_parser
from daemon.tron.addresses import address_of_key, b58

RUN_DEVNODE = (
    "import argparse, sys\n"
    "from daemon.devnode.cli import add_parser\n"
    "p = argparse.ArgumentParser(prog='tronwatch'); s = p.add_subparsers(dest='command')\n"
    "add_parser(s); a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))\n"
)


def test_help_lists_options_and_control_api(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="tronwatch")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["devnode", "--port", "1", "--speed", "5", "--traffic", "pool-alpha=20"])
    assert (args.port, args.speed, args.traffic, args.host) == (1, 5.0, [("pool-alpha", 20.0)], "127.0.0.1")
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["devnode", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for needle in ("--accounts FILE", "--speed", "/_devnode/", "clock/advance", "simulated"):
        assert needle in text


def test_devnode_process_serves_and_exits_zero_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_DEVNODE, "devnode", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "simulated TRON network" in line
        url = line.rsplit(" ", 1)[-1].strip()
        with urllib.request.urlopen(url + "wallet/getnodeinfo", data=b"{}", timeout=5) as resp:
            assert json.load(resp)["block"].startswith("Num:")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_accounts_file_exits_two(tmp_path: Path) -> None:
    bad = tmp_path / "a.yml"
    bad.write_text("accounts: [{name: x}]\n")
    proc = subprocess.run(
        [sys.executable, "-c", RUN_DEVNODE, "devnode", "--accounts", str(bad)],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == 2
    assert "needs one of address, private_key, seed" in proc.stderr


def test_demo_accounts_have_real_keypairs() -> None:
    specs = demo_accounts()
    assert [s.name for s in specs if s.pool] == ["pool-alpha", "pool-beta", "pool-gamma"]
    for spec in specs:
        assert spec.private_key is not None
        assert b58(address_of_key(spec.private_key)) == spec.base58
    assert all(s.frozen_energy > 0 for s in specs if s.pool)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{seed: a, address: TYWxU5pTXmfQNnV795SxTYQnGPQr3nctWe}", "does not match its key"),
        ("{seed: a, trx: -1}", "trx must be >= 0"),
        ("{seed: a, trx: 0.0000001}", "at most 6 decimals"),
        ("{seed: a, colour: red}", "unknown field"),
        ("{address: nope}", "invalid address"),
    ],
)
def test_accounts_file_errors_name_the_field(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "accounts.yml"
    path.write_text(f"accounts:\n  - {entry}\n")
    with pytest.raises(AccountsFileError, match=message):
        load_accounts(path)


def test_seeded_account_loads(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yml"
    path.write_text("accounts:\n  - {name: p, seed: p, trx: 1.5, usdt: 2, staked_energy_trx: 10}\n")
    (spec,) = load_accounts(path)
    assert (spec.balance, spec.usdt, spec.frozen_energy) == (1_500_000, 2_000_000, 10_000_000)
