"""The status machine and SLA clock of a ticket: pure functions over a ticket row."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from daemon.errors import Conflict
from daemon.support.models import Priority, Status
from daemon.support.settings import SlaSettings

Role = Literal["partner", "admin"]

# Where each role may move a ticket from each status; closed is final (open a new ticket instead).
TRANSITIONS: dict[Role, dict[Status, tuple[Status, ...]]] = {
    "admin": {
        "open": ("in_progress", "pending", "resolved", "closed"),
        "in_progress": ("open", "pending", "resolved", "closed"),
        "pending": ("open", "in_progress", "resolved", "closed"),
        "resolved": ("open", "in_progress", "closed"),
        "closed": (),
    },
    "partner": {
        "open": ("closed",),
        "in_progress": ("closed",),
        "pending": ("open", "closed"),
        "resolved": ("open", "closed"),
        "closed": (),
    },
}
# The SLA clock stops while waiting on the partner, and once the work is done.
PAUSED: frozenset[Status] = frozenset({"pending", "resolved", "closed"})


def check_transition(role: Role, current: Status, target: Status) -> None:
    """Conflict (409) naming the allowed targets when `role` may not move `current` to `target`."""
    allowed = TRANSITIONS[role][current]
    if target not in allowed:
        listed = ", ".join(allowed) if allowed else "none (closed is final; open a new ticket)"
        raise Conflict(
            f"a {role} cannot move a ticket from {current} to {target}; allowed: {listed}",
            errors=[{"field": "status", "message": f"allowed from {current}: {listed}"}],
        )


def due_times(
    created_at: datetime, priority: Priority, paused_seconds: float, sla: SlaSettings
) -> tuple[datetime, datetime]:
    """First-response and resolution deadlines: creation + target + time spent paused."""
    target, paused = sla.target(priority), timedelta(seconds=paused_seconds)
    return created_at + target.first_response + paused, created_at + target.resolution + paused


def status_change(row: dict[str, Any], target: Status, now: datetime, sla: SlaSettings) -> dict[str, Any]:
    """Column updates for moving `row` to `target` at `now` (the transition is already allowed)."""
    current: Status = row["status"]
    out: dict[str, Any] = {"status": target, "updated_at": now, "last_activity_at": now}
    if target == "resolved":
        out["resolved_at"] = now
    elif current == "resolved" and target != "closed":
        out["resolved_at"] = None
    if target == "closed":
        out["closed_at"] = now
    if current not in PAUSED and target in PAUSED:
        out["sla_paused_at"] = now
    elif current in PAUSED and target not in PAUSED:
        paused_at: datetime = row["sla_paused_at"] or now
        total = row["sla_paused_seconds"] + max(0.0, (now - paused_at).total_seconds())
        first, resolution = due_times(row["created_at"], row["priority"], total, sla)
        out |= {
            "sla_paused_at": None,
            "sla_paused_seconds": total,
            "first_response_due_at": first,
            "resolution_due_at": resolution,
        }
    return out


def priority_change(
    row: dict[str, Any], priority: Priority, now: datetime, sla: SlaSettings
) -> dict[str, Any]:
    """Column updates for a new priority: deadlines recomputed from creation with the new targets."""
    paused = row["sla_paused_seconds"]
    if row["sla_paused_at"] is not None:
        # Deadlines of a paused ticket are extended when it resumes; count the pause so far now.
        paused += max(0.0, (now - row["sla_paused_at"]).total_seconds())
    first, resolution = due_times(row["created_at"], priority, paused, sla)
    # A breach stays on record unless the new deadline lies ahead; the SLA job marks new ones.
    fr_breach = row["first_response_breached_at"]
    if row["first_responded_at"] is None and first > now:
        fr_breach = None
    return {
        "priority": priority,
        "updated_at": now,
        "first_response_due_at": first,
        "resolution_due_at": resolution,
        "first_response_breached_at": fr_breach,
        "resolution_breached_at": row["resolution_breached_at"] if resolution <= now else None,
    }


def _running_deadline(row: dict[str, Any], column: str, now: datetime) -> datetime:
    """A deadline as it stands at `now`: a paused clock pushes it back by the pause so far."""
    due: datetime = row[column]
    if row["sla_paused_at"] is not None:
        due += max(timedelta(0), now - row["sla_paused_at"])
    return due


def first_response(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Column updates for an admin's public reply: the first one meets (or records missing) the target."""
    out: dict[str, Any] = {"awaiting_reply_since": None, "updated_at": now, "last_activity_at": now}
    if row["first_responded_at"] is None:
        out["first_responded_at"] = now
        due = _running_deadline(row, "first_response_due_at", now)
        # The SLA job runs every few seconds; a reply in between still records a miss.
        if row["first_response_breached_at"] is None and now > due:
            out["first_response_breached_at"] = due
    return out


def resolution(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Breach bookkeeping when a ticket is resolved after its deadline but before the job noticed."""
    due = _running_deadline(row, "resolution_due_at", now)
    if row["resolution_breached_at"] is None and now > due:
        return {"resolution_breached_at": due}
    return {}
