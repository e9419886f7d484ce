"""`tronwatch devnode`: serve the simulated java-tron node until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from daemon.devnode.accounts import AccountsFileError, AccountSpec, demo_accounts, load_accounts
from daemon.devnode.app import Devnode
from daemon.devnode.resources import ChainParams
from daemon.devnode.usdt import USDT_BASE58

log = logging.getLogger(__name__)

EPILOG = (
    """\
The node serves /wallet/* and /walletsolidity/* on one port, as TronGrid does, so point tronpy at it:
  AsyncTron(provider=AsyncHTTPProvider("http://127.0.0.1:18090/"))
With --solidity-port it is laid out as a java-tron full node: /wallet/* on --port (java-tron's 8090),
/walletsolidity/* on --solidity-port (8091), 404 for the other prefix on each; point tronwatch at it
with tron.network: http://127.0.0.1:18090/ and tron.solidity_url: http://127.0.0.1:18091/.
USDT (TRC20) lives at its mainnet address """
    + USDT_BASE58
    + """.

Control API (JSON) under /_devnode/:
  GET  status | accounts | traffic | faults | ground-truth[?address=]
  POST clock/advance {"seconds": N}      clock/speed {"speed": x}     energy-fee {"sun": N}
  POST params {"energy_fee", "other_energy_weight", ...}
  POST accounts {name, seed|private_key, trx, usdt, staked_energy_trx, pool}
  PUT  faults {"path": "getaccountresource"|"*", "latency_ms", "error_rate", "error_status", "outage"}
  POST traffic {"pool": NAME, "transfers_per_hour": N, "new_recipient_ratio": 0..1}
  DELETE faults[?path=] | traffic/NAME

The network is simulated: never send real funds to these keys.
"""
)


def _traffic(value: str) -> tuple[str, float]:
    name, _, rate = value.partition("=")
    try:
        return name, float(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected POOL=TRANSFERS_PER_HOUR, e.g. pool-alpha=20") from exc


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tronwatch devnode`."""
    parser = subparsers.add_parser(
        "devnode",
        help="run a simulated java-tron node (tronpy-compatible) for development and demos",
        description="Run a simulated TRON full node with accounts, USDT and Stake 2.0 energy.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default %(default)s)")
    parser.add_argument("--port", type=int, default=18090, help="listen port (default %(default)s)")
    parser.add_argument(
        "--solidity-port",
        type=int,
        metavar="PORT",
        help="serve /walletsolidity/* on this second port and only /wallet/* on --port, as java-tron does",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="chain seconds per wall second: blocks every 3 s / SPEED; 0 freezes the clock (default 1)",
    )
    parser.add_argument(
        "--accounts",
        type=Path,
        metavar="FILE",
        help="accounts YAML (default: the shipped demo set, daemon/devnode/demo_accounts.yml)",
    )
    parser.add_argument("--energy-fee", type=int, default=100, help="getEnergyFee in sun (default 100)")
    parser.add_argument(
        "--energy-weight",
        type=int,
        default=18_000_000_000,
        help="TRX staked for energy by the rest of the network (default 18e9: ≈10 energy per TRX)",
    )
    parser.add_argument(
        "--traffic",
        type=_traffic,
        action="append",
        default=[],
        metavar="POOL=RATE",
        help="background USDT transfers from POOL per chain hour (repeatable)",
    )
    parser.add_argument(
        "--no-estimate-energy",
        dest="estimate_energy",
        action="store_false",
        help="answer /wallet/estimateenergy as a default java-tron node does (vm.estimateEnergy=false)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; exit 0 (2 for a bad accounts file)."""
    from daemon.logs import setup_logging

    setup_logging(args.log_level)
    try:
        specs = load_accounts(args.accounts) if args.accounts else demo_accounts()
    except AccountsFileError as exc:
        log.error("event=devnode_bad_accounts error=%s", exc)
        return 2
    params = ChainParams(
        energy_fee=args.energy_fee,
        other_energy_weight=args.energy_weight,
        estimate_energy=args.estimate_energy,
    )
    return asyncio.run(_serve(args, specs, params))


async def _serve(args: argparse.Namespace, specs: list[AccountSpec], params: ChainParams) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    split = args.solidity_port is not None
    solidity_port = args.solidity_port or 0
    async with Devnode.start(
        args.host, args.port, args.speed, specs, params, split_solidity=split, solidity_port=solidity_port
    ) as node:
        for pool, rate in args.traffic:
            try:
                node.start_traffic(pool, rate)
            except (KeyError, ValueError) as exc:
                log.error("event=devnode_bad_traffic pool=%s error=%s", pool, exc)
                return 2
        solid = f" (/walletsolidity on {node.solidity_url})" if split else ""
        print(f"tronwatch devnode (simulated TRON network) listening on {node.url}{solid}", flush=True)
        await stop.wait()
        log.info("event=devnode_stopping head=%d", node.chain.head.number)
    return 0
