"""Maintenance windows: Alertmanager-style matchers muting alerts for a while (or until resolved)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$')
MAX_MATCHER = 300


class MatcherError(ValueError):
    """A matcher that is not `name op "value"` with op one of = != =~ !~."""


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> tuple[str, str, str]:
    """(label, operator, value) of one matcher; regexes are checked to compile."""
    if len(text) > MAX_MATCHER:
        raise MatcherError(f"matcher longer than {MAX_MATCHER} characters")
    m = MATCHER.match(text)
    if m is None:
        raise MatcherError(f'not a matcher (name="value", name!="value", name=~"re", name!~"re"): {text!r}')
    name, op, quoted, bare = m.groups()
    value = _unquote(quoted) if quoted is not None else bare
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise MatcherError(f"bad regular expression in {text!r}: {exc}") from None
    return name, op, value


def _matches(matchers: list[str], labels: Mapping[str, str]) -> bool:
    """Every matcher holds (missing label: ""); regexes match whole values (docs/maintenance-and-ack.md)."""
    for text in matchers:
        name, op, value = parse(text)
        have = labels.get(name, "")
        if op == "=":
            ok = have == value
        elif op == "!=":
            ok = have != value
        else:
            ok = (re.fullmatch(value, have) is not None) == (op == "=~")
        if not ok:
            return False
    return True


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
