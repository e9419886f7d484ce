"""Alertmanager's routing tree: matchers pick a route, children inherit, first match wins unless continue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from daemon.alerts.matchers import Matcher, MatcherError, parse_matchers
from daemon.alerts.rules import parse_duration
from daemon.alerts.timeintervals import Period, active

DEFAULT_WAIT, DEFAULT_INTERVAL, DEFAULT_REPEAT = 30.0, 300.0, 4 * 3600.0
ALL = ("...",)
OP_ORDER = {"=": 0, "!=": 1, "=~": 2, "!~": 3}
GROUP_KEYS_MAX = 512  # group keys remembered per route: past that it starts over (bounds memory per route)


class RouteConfig(BaseModel):
    """One node of `alerts.route` (Alertmanager's `route` block)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    receiver: str | None = None
    group_by: list[str] | None = None
    group_wait: str | float | None = None
    group_interval: str | float | None = None
    repeat_interval: str | float | None = None
    matchers: list[str] = Field(default_factory=list, max_length=64)
    continue_: bool = Field(False, alias="continue")
    mute_time_intervals: list[str] = []
    active_time_intervals: list[str] = []
    routes: list[RouteConfig] = []

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        try:
            parse_matchers(value)
        except MatcherError as exc:
            raise ValueError(f"matchers: {exc}") from None
        return value

    @field_validator("group_wait", "group_interval", "repeat_interval")
    @classmethod
    def _duration(cls, value: str | float | None) -> str | float | None:
        if value is not None and parse_duration(value) <= 0 and not isinstance(value, str):
            raise ValueError("must be positive")
        if value is not None:
            parse_duration(value)
        return value


@dataclass(frozen=True)
class Node:
    """A route with its inherited values resolved."""

    key: str
    receiver: str
    group_by: tuple[str, ...]
    group_wait: float
    group_interval: float
    repeat_interval: float | None  # None: no route in the chain set one (rules' own repeat_interval rules)
    matchers: tuple[Matcher, ...]
    cont: bool
    mute: tuple[str, ...]
    active: tuple[str, ...]
    children: tuple[Node, ...]
    index: ChildIndex | None = field(default=None, compare=False, repr=False)
    # Group key text by the group_by labels' values: alerts of one group repeat them every cycle.
    keys: dict[tuple[str | None, ...], str] = field(default_factory=dict, compare=False, repr=False)

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The labels this route groups by (every label for `...`)."""
        if self.group_by == ALL:
            return dict(labels)
        return {k: labels[k] for k in self.group_by if k in labels}

    def group_key(self, labels: Mapping[str, str], group: dict[str, str]) -> str:
        """`<route key>:<group label set>`, Alertmanager's group key, for `group` (these labels' group)."""
        if self.group_by == ALL:
            return f"{self.key}:{label_set(group)}"
        values = tuple(map(labels.get, self.group_by))
        text = self.keys.get(values)
        if text is None:
            if len(self.keys) >= GROUP_KEYS_MAX:
                self.keys.clear()
            text = self.keys[values] = f"{self.key}:{label_set(group)}"
        return text


class ChildIndex:
    """Which children match, as a bit mask: one memoised mask per (label name, value), ANDed together."""

    MEMO_MAX = 4096  # distinct values remembered per label name (alerts' labels repeat; this bounds memory)

    def __init__(self, children: tuple[Node, ...]) -> None:
        self.children = children
        self.names = sorted({m.name for c in children for m in c.matchers})
        self.full = (1 << len(children)) - 1
        self.memo: dict[str, dict[str, int]] = {n: {} for n in self.names}

    def _bits(self, name: str, value: str) -> int:
        bits = 0
        for j, child in enumerate(self.children):
            if all(m.matches_value(value) for m in child.matchers if m.name == name):
                bits |= 1 << j
        return bits

    def mask(self, labels: Mapping[str, str]) -> int:
        """Bit j set: child j's matchers all hold for these labels."""
        mask = self.full
        for name in self.names:
            value = labels.get(name, "")
            memo = self.memo[name]
            bits = memo.get(value)
            if bits is None:
                if len(memo) >= self.MEMO_MAX:
                    memo.clear()
                bits = memo[value] = self._bits(name, value)
            mask &= bits
            if not mask:
                break
        return mask


class RouteMatch(NamedTuple):
    """Where an alert goes: a receiver, the group it joins and the group's timers."""

    node: Node
    group_key: str
    group_labels: dict[str, str]
    muted: str | None  # the time interval muting this route now, or "inactive: <names>"

    @property
    def receiver(self) -> str:
        """The receiver's name."""
        return self.node.receiver


def label_set(labels: Mapping[str, str]) -> str:
    """`{a="1", b="2"}` as Alertmanager prints a label set (sorted by name)."""
    inner = ", ".join(f'{k}="{_esc(v)}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def build(
    cfg: RouteConfig, intervals: Mapping[str, tuple[Period, ...]], receivers: set[str] | None = None
) -> Node:
    """The resolved tree; unknown receivers or interval names raise ValueError naming the route."""
    if cfg.receiver is None:
        raise ValueError("route: the root route needs a receiver")
    if cfg.matchers or cfg.mute_time_intervals or cfg.active_time_intervals:
        raise ValueError("route: the root route matches every alert (no matchers or time intervals)")
    return _node(cfg, None, intervals, receivers, "route", "{}")


def _node(
    cfg: RouteConfig,
    parent: Node | None,
    intervals: Mapping[str, tuple[Period, ...]],
    receivers: set[str] | None,
    where: str,
    key: str,
) -> Node:
    receiver = cfg.receiver if cfg.receiver is not None else parent.receiver if parent else ""
    if receivers is not None and receiver not in receivers:
        raise ValueError(f"{where}: unknown receiver {receiver!r} (configured: {sorted(receivers)})")
    for name in (*cfg.mute_time_intervals, *cfg.active_time_intervals):
        if name not in intervals:
            raise ValueError(
                f"{where}: unknown time interval {name!r} (time_intervals has: {sorted(intervals)})"
            )
    group_by: tuple[str, ...]
    if cfg.group_by is not None:
        group_by = ALL if "..." in cfg.group_by else tuple(dict.fromkeys(cfg.group_by))
    else:
        group_by = parent.group_by if parent else ()

    def dur(value: str | float | None, inherited: float | None) -> float | None:
        return parse_duration(value) if value is not None else inherited

    wait = dur(cfg.group_wait, parent.group_wait if parent else DEFAULT_WAIT)
    interval = dur(cfg.group_interval, parent.group_interval if parent else DEFAULT_INTERVAL)
    repeat = dur(cfg.repeat_interval, parent.repeat_interval if parent else None)
    matchers = tuple(parse_matchers(cfg.matchers))
    # Alertmanager sorts a route's matchers (name, value, operator) before printing its key.
    order = sorted(matchers, key=lambda m: (m.name, m.value, OP_ORDER[m.op]))
    node_key = key if parent is None else f"{key}/{{{','.join(str(m) for m in order)}}}"
    node = Node(
        node_key, receiver, group_by, wait or 0.0, interval or DEFAULT_INTERVAL, repeat, matchers,
        cfg.continue_, tuple(cfg.mute_time_intervals), tuple(cfg.active_time_intervals), (),
    )  # fmt: skip
    kids = tuple(
        _node(c, node, intervals, receivers, f"{where}.routes[{i}]", node_key)
        for i, c in enumerate(cfg.routes)
    )
    return Node(**{**node.__dict__, "children": kids, "index": ChildIndex(kids) if kids else None})


def _walk(node: Node, labels: Mapping[str, str]) -> list[Node]:
    """The routes under `node` (which matched) in Alertmanager's order: children first, else itself."""
    if node.index is None:
        return [node]
    out: list[Node] = []
    mask = node.index.mask(labels)
    while mask:
        low = mask & -mask
        mask ^= low
        child = node.children[low.bit_length() - 1]
        out += _walk(child, labels)
        if not child.cont:
            break
    return out or [node]


def route(
    tree: Node,
    labels: Mapping[str, str],
    now: datetime | None = None,
    intervals: Mapping[str, tuple[Period, ...]] | None = None,
) -> list[RouteMatch]:
    """The routes an alert with these labels takes, with each group's key and any time-based mute."""
    when = now if now is not None or intervals is None else datetime.now(UTC)  # the clock only if needed
    out = []
    for node in _walk(tree, labels):
        muted = None if intervals is None or when is None else _muted(node, intervals, when)
        group = node.group_labels(labels)
        out.append(RouteMatch(node, node.group_key(labels, group), group, muted))
    return out


def _muted(node: Node, intervals: Mapping[str, tuple[Period, ...]], when: datetime) -> str | None:
    """The mute interval active now, or "inactive: <names>" outside every active interval, or None."""
    muted = next((n for n in node.mute if active(intervals[n], when)), None)
    if muted is None and node.active and not any(active(intervals[n], when) for n in node.active):
        muted = "inactive: " + ",".join(node.active)
    return muted


def describe(node: Node, depth: int = 0) -> list[str]:
    """The tree, one route per line (for `tronwatch routes show`)."""
    match = ",".join(str(m) for m in node.matchers) or "(all)"
    by = "..." if node.group_by == ALL else ",".join(node.group_by)
    extra = " continue" if node.cont else ""
    if node.mute:
        extra += f" mute={','.join(node.mute)}"
    if node.active:
        extra += f" active={','.join(node.active)}"
    line = f"{'  ' * depth}{match} -> {node.receiver} group_by=[{by}]{extra}"
    return [line] + [ln for c in node.children for ln in describe(c, depth + 1)]


def compile_tree(doc: Any, intervals: Mapping[str, tuple[Period, ...]], receivers: set[str] | None) -> Node:
    """A route document (dict or RouteConfig) to its tree."""
    cfg = doc if isinstance(doc, RouteConfig) else RouteConfig.model_validate(doc)
    return build(cfg, intervals, receivers)
