"""Maintenance windows: Alertmanager-style matchers muting alerts for a while (or until resolved)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from daemon.alerts.matchers import Matcher, matches_all, parse_matchers


@functools.lru_cache(maxsize=4096)
def _parsed(matchers: tuple[str, ...]) -> list[Matcher]:
    return parse_matchers(matchers)


def _matches(matchers: list[str], labels: Mapping[str, str]) -> bool:
    """Every matcher holds (Alertmanager's syntax and semantics: daemon/alerts/matchers.py)."""
    return matches_all(_parsed(tuple(matchers)), labels)


@dataclass(frozen=True)
class Window:
    """A maintenance window as the evaluator sees it."""

    id: int
    matchers: list[str]
    starts: datetime
    ends: datetime
    end_when_resolved: bool = False
    saw_firing: bool = False

    def active(self, now: datetime) -> bool:
        """In its window (an ended window's `ends` is when it ended)."""
        return self.starts <= now < self.ends


def muted_by(windows: Iterable[Window], labels: Mapping[str, str], now: datetime) -> int | None:
    """The id of an active window muting these labels."""
    for w in windows:
        if w.active(now) and _matches(w.matchers, labels):
            return w.id
    return None


def resolved_windows(
    windows: Iterable[Window], instances: Iterable[tuple[str, Mapping[str, str]]], now: datetime
) -> tuple[list[int], list[int]]:
    """(windows that saw a matching alert firing for the first time, windows to end now).

    An end_when_resolved window ends once a matching alert has fired inside it and none is pending
    or firing any more; one that never saw its alert keeps running (docs/maintenance-and-ack.md).
    """
    live = [labels for state, labels in instances if state in ("pending", "firing")]
    firing = [labels for state, labels in instances if state == "firing"]
    saw, end = [], []
    for w in windows:
        if not w.end_when_resolved or not w.active(now):
            continue
        if any(_matches(w.matchers, labels) for labels in live):
            if not w.saw_firing and any(_matches(w.matchers, labels) for labels in firing):
                saw.append(w.id)
        elif w.saw_firing:
            end.append(w.id)
    return saw, end
