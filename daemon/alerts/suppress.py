"""Silences (label matchers with a time window) and inhibitions (a firing alert mutes a lesser one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from daemon.alerts.matchers import Matcher, from_config, matches_all
from daemon.alerts.settings import Inhibition
from daemon.alerts.state import Instance


@dataclass(frozen=True)
class Silence:
    """Mute alerts whose labels match every matcher, from `starts` to `ends`."""

    id: int
    matchers: Sequence[Matcher] | Mapping[str, str]
    starts: datetime
    ends: datetime

    def __post_init__(self) -> None:
        if isinstance(self.matchers, Mapping):  # the older equality form {k: v}
            object.__setattr__(self, "matchers", tuple(from_config(self.matchers)))

    def active(self, now: datetime) -> bool:
        """In its window."""
        return self.starts <= now < self.ends

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Silence:
        """A stored silence: a list of matcher strings, or the older equality dict."""
        return cls(row["id"], tuple(from_config(row["matchers"])), row["starts_at"], row["ends_at"])

    def matcher_list(self) -> list[Matcher]:
        """The matchers, always as Matcher objects."""
        return [m for m in self.matchers if isinstance(m, Matcher)]


def silenced_by(silences: Iterable[Silence], labels: Mapping[str, str], now: datetime) -> int | None:
    """The id of an active silence muting these labels."""
    for s in silences:
        if s.active(now) and matches_all(s.matcher_list(), labels):
            return s.id
    return None


class Inhibitor:
    """The firing sources of every inhibit rule, indexed by their `equal` labels (built once per cycle)."""

    def __init__(self, rules: Iterable[Inhibition], firing: Iterable[Instance]) -> None:
        self.rules = list(rules)
        self.firing = firing
        self.index: list[dict[tuple[str, ...], list[Instance]]] | None = None  # built on first use

    def _build(self) -> list[dict[tuple[str, ...], list[Instance]]]:
        firing = list(self.firing)
        self.index = []
        for rule in self.rules:
            by_key: dict[tuple[str, ...], list[Instance]] = {}
            for src in firing:
                if matches_all(rule.sources(), src.labels):
                    by_key.setdefault(tuple(src.labels.get(k, "") for k in rule.equal), []).append(src)
            self.index.append(by_key)
        return self.index

    def __call__(self, target: Instance) -> bool:
        """A firing source alert with the same `equal` labels mutes the target; nothing inhibits itself."""
        index = self.index if self.index is not None else self._build()
        for rule, by_key in zip(self.rules, index, strict=True):
            if not by_key or not matches_all(rule.targets(), target.labels):
                continue
            if rule.equal and not any(k in target.labels for k in rule.equal):
                continue  # alerts sharing none of the labels (e.g. no family) never mute each other
            sources = by_key.get(tuple(target.labels.get(k, "") for k in rule.equal), ())
            if any(src is not target for src in sources):
                return True
        return False


def inhibited(rules: Iterable[Inhibition], firing: list[Instance], target: Instance) -> bool:
    """Whether `target` is inhibited by one of the `firing` alerts."""
    return Inhibitor(rules, firing)(target)
