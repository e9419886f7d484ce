"""Silences (label matchers with a time window) and inhibitions (a firing alert mutes a lesser one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from daemon.alerts.settings import Inhibition
from daemon.alerts.state import Instance


@dataclass(frozen=True)
class Silence:
    """Mute alerts whose labels match every matcher, from `starts` to `ends`."""

    id: int
    matchers: Mapping[str, str]
    starts: datetime
    ends: datetime

    def active(self, now: datetime) -> bool:
        """In its window."""
        return self.starts <= now < self.ends


def matches(matchers: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every matcher is an equality (a missing label equals ""); no regexes, so no ReDoS from the API."""
    return all(labels.get(key, "") == want for key, want in matchers.items())


def silenced_by(silences: Iterable[Silence], labels: Mapping[str, str], now: datetime) -> int | None:
    """The id of an active silence muting these labels."""
    for s in silences:
        if s.active(now) and matches(s.matchers, labels):
            return s.id
    return None


def inhibited(rules: Iterable[Inhibition], firing: list[Instance], target: Instance) -> bool:
    """A firing source alert with the same `equal` labels mutes the target; nothing inhibits itself."""
    for rule in rules:
        if not matches(rule.target, target.labels):
            continue
        if rule.equal and not any(k in target.labels for k in rule.equal):
            continue  # unrelated alerts (sharing none of the labels, e.g. no family) never mute each other
        for src in firing:
            if src is target or not matches(rule.source, src.labels):
                continue
            if all(src.labels.get(k, "") == target.labels.get(k, "") for k in rule.equal):
                return True
    return False
