"""web.AppKey for the devnode's own aiohttp app (it is a separate app from the daemon's)."""

from __future__ import annotations

from aiohttp import web

from daemon.devnode.chain import DevnodeChain
from daemon.devnode.faults import Faults
from daemon.devnode.traffic import Traffic

CHAIN = web.AppKey("devnode_chain", DevnodeChain)
FAULTS = web.AppKey("devnode_faults", Faults)
TRAFFIC = web.AppKey("devnode_traffic", Traffic)
