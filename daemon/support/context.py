"""Support at run time: per-app state, the figures refresher (every replica) and the SLA job (leader)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from daemon import keys
from daemon.alerts.platform import platform, register_receivers
from daemon.jobs import Job
from daemon.runtime import Runtime
from daemon.support import alert_namespace, notify_outbox, sla
from daemon.support.classify import Rules, default_rules
from daemon.support.figures import FiguresHolder, ticket_figures
from daemon.support.metrics import SupportMetrics
from daemon.support.notify import LogNotifier, Notifier
from daemon.support.settings import SupportSettings
from daemon.support.state import Clock, SupportState, support_state, utc_now

log = logging.getLogger(__name__)
MIN_REFRESH_GAP = 1.0  # seconds: a burst of writes costs one aggregate query, not one each


def install(
    app: web.Application,
    settings: SupportSettings | None = None,
    *,
    clock: Clock = utc_now,
    notifier: Notifier | None = None,
    rules: Rules | None = None,
) -> SupportState:
    """Attach support state and metrics to an app (no I/O); settings default to `support:` or built-ins."""
    if settings is None:
        settings = app[keys.settings].support
    holder = FiguresHolder()
    state = SupportState(
        settings=settings,
        rules=rules or default_rules(),
        clock=clock,
        notifier=notifier or LogNotifier(),
        metrics=SupportMetrics(app[keys.metrics].registry, holder),
        figures=holder,
        runtime=app[keys.runtime],
        alerts=app[keys.settings].alerts,
    )
    app[support_state] = state
    alert_namespace.register(platform(app), holder)
    resolver = notify_outbox.partner_resolver(
        state.runtime,
        state.alerts.external_url,
        allow_private=settings.partner_webhook_allow_private,
        timeout=settings.partner_webhook_timeout,
    )
    register_receivers(app, resolver)  # partner webhooks (`partner:<id>`), kept in the partners table
    return state


async def refresh_figures(state: SupportState, runtime: Runtime) -> None:
    """Read the figures now into the gauges."""
    async with runtime.pool.acquire() as conn:
        state.figures.current = await ticket_figures(conn, state.clock())


async def support_context(app: web.Application) -> AsyncIterator[None]:
    """Refresh the ticket figures on every replica; run the SLA job on the lease holder."""
    state, jobs, runtime = app[support_state], app[keys.jobs], app[keys.runtime]

    async def sla_pass() -> None:
        await sla.run_once(runtime.pool, state)

    jobs.add(
        Job(
            "support-figures",
            partial(refresh_figures, state, runtime),
            interval=lambda: state.settings.figures_interval,
            wake=state.changed,
            min_gap=MIN_REFRESH_GAP,
        )
    )
    jobs.add(
        Job(
            "support-sla",
            sla_pass,
            interval=lambda: state.settings.sla_interval,
            leader=True,
        )
    )
    yield
