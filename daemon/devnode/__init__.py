"""Simulated java-tron HTTP node (dev, demo and tests) that the unmodified tronpy AsyncTron talks to."""

from daemon.devnode.accounts import AccountSpec, demo_accounts, load_accounts
from daemon.devnode.app import Devnode, create_devnode_app
from daemon.devnode.chain import DevnodeChain
from daemon.devnode.resources import ChainParams
from daemon.devnode.usdt import USDT_BASE58

__all__ = [
    "USDT_BASE58",
    "AccountSpec",
    "ChainParams",
    "Devnode",
    "DevnodeChain",
    "create_devnode_app",
    "demo_accounts",
    "load_accounts",
]
