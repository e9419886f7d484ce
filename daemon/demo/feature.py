"""The demo feature: on the in-process devnode, the gateway's hot wallet and the demo executor."""

from __future__ import annotations

from aiohttp import web

from daemon.demo.context import demo_context
from daemon.feature import Feature


def setup(app: web.Application) -> None:
    """Install the demo's cleanup context (it does nothing unless the devnode runs)."""
    app.cleanup_ctx.append(demo_context)


# It sets the withdrawals' pay_to and sends their claims; its accounts exist before the autopilot's.
FEATURE = Feature("demo", setup, needs=("withdrawals",), before=("autopilot",))
