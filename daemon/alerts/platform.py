"""How producers plug into alerts: rule namespaces and readers, receivers, and listeners of each cycle.

Alerts imports none of its producers. Each feature calls these from its own install code, before the
app starts and in any order relative to the alerts package (the platform is made on first use).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from daemon.alerts.namespaces import Namespace, Registry, Values
from daemon.db.types import Connection

if TYPE_CHECKING:
    from daemon.alerts.channels.base import Channel
    from daemon.alerts.notices import Cycle

Reader = Callable[[], Values | list[Values] | None]
Refresher = Callable[[Connection], Awaitable[None]]  # awaited with a connection before each evaluation
# A receiver name -> its channel, for receivers that live outside the config (None: not one of ours).
Resolver = Callable[[str], Awaitable["Channel | None"]]
CycleListener = Callable[["Cycle", float], None]  # (cycle, now) after each stored evaluation; must not block
AckListener = Callable[[str, dict[str, Any]], None]  # (kind, event) on (un)acknowledgement; must not block


@dataclass
class Platform:
    """What the producers of one app registered."""

    namespaces: Registry = field(default_factory=Registry)
    resolvers: list[Resolver] = field(default_factory=list)
    cycle_listeners: list[CycleListener] = field(default_factory=list)
    ack_listeners: list[AckListener] = field(default_factory=list)

    def add_namespace(self, ns: Namespace, reader: Reader, *, refresh: Refresher | None = None) -> None:
        """Let rules name `ns.*`; `reader` gives its values each evaluation (a list for per-instance ones)."""
        if ns.name in self.namespaces.namespaces:
            raise ValueError(f"rule namespace {ns.name!r} is registered twice")
        self.namespaces.register(ns, reader)
        if refresh is not None:
            self.namespaces.refreshers.append(refresh)

    async def resolve(self, name: str) -> Channel | None:
        """The first registered resolver's channel for this receiver name."""
        for resolver in self.resolvers:
            channel = await resolver(name)
            if channel is not None:
                return channel
        return None


platform_key = web.AppKey("alerts_platform", Platform)


def platform(app: web.Application) -> Platform:
    """This app's platform, made on first use."""
    found = app.get(platform_key)
    if found is None:
        found = app[platform_key] = Platform()
    return found


def register_namespace(
    app: web.Application, ns: Namespace, reader: Reader, *, refresh: Refresher | None = None
) -> None:
    """Let rules name `ns.*` (Platform.add_namespace on this app's platform)."""
    platform(app).add_namespace(ns, reader, refresh=refresh)


def register_receivers(app: web.Application, resolver: Resolver) -> None:
    """Deliver to receivers this producer knows by name (e.g. partner webhooks kept in the database)."""
    platform(app).resolvers.append(resolver)


def on_cycle(app: web.Application, listener: CycleListener) -> None:
    """Call `listener` after each stored evaluation (e.g. the live stream)."""
    platform(app).cycle_listeners.append(listener)


def on_ack(app: web.Application, listener: AckListener) -> None:
    """Call `listener` when an alert is acknowledged or un-acknowledged."""
    platform(app).ack_listeners.append(listener)
