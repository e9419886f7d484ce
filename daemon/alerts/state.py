"""Per-instance state machine as Prometheus: inactive -> pending -> firing -> resolved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["pending", "firing", "inactive"]
Event = Literal["firing", "repeat", "resolved"]
RESOLVED_RETENTION = 15 * 60.0  # resolved instances stay visible (API, history) for 15 minutes


def fingerprint(labels: dict[str, str]) -> str:
    """A stable id for a label set (the rule name is the `alertname` label)."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class Instance:
    """One alert instance (a rule, or a rule × pool/partner); times are epoch seconds."""

    fingerprint: str
    rule: str
    labels: dict[str, str]
    state: State = "inactive"
    active_at: float | None = None
    fired_at: float | None = None
    resolved_at: float | None = None
    keep_since: float | None = None
    last_sent_at: float | None = None
    seq: int = 0
    value: float | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    # Slack renderings of annotations whose template has markup; not persisted (Slack escapes
    # the whole annotation when a restart lost them).
    mrkdwn: dict[str, str] = field(default_factory=dict)
    muted: str | None = None  # "silenced" / "inhibited" while suppressed
    acked: bool = False  # acknowledged: group repeats leave it out (updates still list its resolve)
    dirty: bool = True

    def as_row(self) -> dict[str, Any]:
        """The persisted form."""
        return {k: v for k, v in self.__dict__.items() if k not in ("dirty", "mrkdwn", "acked")}


@dataclass(frozen=True)
class Timing:
    """A rule's durations, seconds."""

    for_s: float
    keep_firing_for_s: float
    repeat_s: float


def step(inst: Instance, active: bool | None, now: float, t: Timing) -> Event | None:
    """Advance one instance by one evaluation; None for `active` keeps the state (no_data: keep)."""
    if active is None:
        return None
    if active:
        inst.keep_since = None
        if inst.state == "inactive":
            inst.state, inst.active_at, inst.resolved_at, inst.dirty = "pending", now, None, True
        if inst.state == "pending":
            if now - (inst.active_at if inst.active_at is not None else now) < t.for_s:
                return None
            inst.state, inst.fired_at, inst.dirty = "firing", now, True
            return "firing"
        if inst.last_sent_at is None or now - inst.last_sent_at >= t.repeat_s:
            return "repeat"
        return None
    if inst.state == "pending":
        # Prometheus deletes a pending alert whose condition clears; it never notified anyone.
        inst.state, inst.active_at, inst.dirty = "inactive", None, True
        return None
    if inst.state == "firing":
        if t.keep_firing_for_s > 0:
            if inst.keep_since is None:
                inst.keep_since, inst.dirty = now, True
            if now - inst.keep_since < t.keep_firing_for_s:
                return None
        inst.state, inst.resolved_at, inst.keep_since, inst.dirty = "inactive", now, None, True
        return "resolved"
    return None


def expired(inst: Instance, now: float) -> bool:
    """An inactive instance past its retention (or one that never fired) can be forgotten."""
    if inst.state != "inactive":
        return False
    return inst.resolved_at is None or now - inst.resolved_at >= RESOLVED_RETENTION
