"""`autopilot.*` for the alert rules: declared and read by the autopilot package."""

from __future__ import annotations

from daemon.alerts.namespaces import NUM, Namespace
from daemon.alerts.platform import Platform
from daemon.autopilot.policy import AutopilotState

AUTOPILOT = Namespace(
    "autopilot",
    {
        "mode": "str",
        "budget_remaining_delegate_energy": NUM,
        "budget_remaining_stake_trx": NUM,
        "budget_exhausted": NUM,
        "pools_short": NUM,
        "uncovered": NUM,
        "failed_last_1h": NUM,
    },
    doc="the energy autopilot's last cycle on the leader (daemon/autopilot)",
)


def register(platform: Platform, state: AutopilotState) -> None:
    """Let rules name `autopilot.*`, the figures of the last cycle (no data before the first)."""
    platform.add_namespace(AUTOPILOT, lambda: state.figures or None)
