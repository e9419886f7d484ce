"""Rule files: Prometheus-shaped YAML groups; every expression and template is checked at load."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from daemon.alerts.expr import Compiled, ExpressionError, Kind, compile_expression
from daemon.alerts.templates import AnnotationTemplate, TemplateRejected, environment

MAX_FILE_BYTES = 1024 * 1024
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NoDataPolicy = Literal["ok", "alerting", "keep"]


class RuleError(ValueError):
    """Rule file problems, one `file: group/rule: message` line each."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def parse_duration(text: str | int | float) -> float:
    """Prometheus durations ('30s', '1h30m', '1d') or plain seconds -> seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError("durations cannot be negative")
        return float(text)
    m = _DURATION.match(str(text).strip())
    if not m or not any(m.groups()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h30m, 1d)")
    d, h, mi, s, ms = (int(g) if g else 0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s + ms / 1000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RuleSpec(_Model):
    """One alerting rule as written in YAML."""

    alert: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    expr: str = Field(min_length=1)
    for_each: Literal["pool", "partner"] | None = None
    for_: str | float = Field("0s", alias="for")
    keep_firing_for: str | float = "0s"
    no_data: NoDataPolicy = "ok"
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    receivers: list[str] | None = None
    notify_partner: bool = False
    repeat_interval: str | float = "4h"

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for k, v in value.items():
            if not _LABEL.match(k) or k.startswith("__") or len(v) > 200:
                raise ValueError(f"bad label {k!r}")
        return value


class GroupSpec(_Model):
    """A group of rules evaluated together at one interval."""

    name: str = Field(min_length=1, max_length=100)
    interval: str | float | None = None
    labels: dict[str, str] = {}
    rules: list[RuleSpec] = Field(min_length=1)


class FileSpec(_Model):
    """A rule file."""

    groups: list[GroupSpec]


@dataclass(frozen=True)
class Rule:
    """A loaded, checked rule."""

    name: str
    group: str
    file: str
    expr: Compiled
    for_each: str | None
    for_s: float
    keep_firing_for_s: float
    no_data: NoDataPolicy
    labels: Mapping[str, str]
    annotations: Mapping[str, AnnotationTemplate]
    receivers: tuple[str, ...]
    repeat_s: float
    interval_s: float
    notify_partner: bool = False
    routed: bool = False  # no `receivers:` of its own: the routing tree decides, when one is configured


@dataclass(frozen=True)
class RuleSet:
    """Every group of every loaded file."""

    rules: tuple[Rule, ...]
    files: tuple[str, ...]

    def groups(self) -> dict[tuple[str, str], list[Rule]]:
        """(file, group) -> its rules, in file order."""
        out: dict[tuple[str, str], list[Rule]] = {}
        for r in self.rules:
            out.setdefault((r.file, r.group), []).append(r)
        return out


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and *.yml / *.yaml under directories (not their *_test files)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted([*p.glob("*.yml"), *p.glob("*.yaml")])
            out += [f for f in found if not f.stem.endswith("_test")]
        else:
            out.append(p)
    return out


def load_rules(
    paths: Iterable[Path],
    fields: Mapping[str, Mapping[str, Kind]],
    *,
    per_instance: Collection[str],
    receivers: Collection[str] | None,
    default_receivers: Iterable[str],
    default_interval: float,
) -> RuleSet:
    """Load and check every file; RuleError lists every problem, each naming file, group and rule."""
    rules: list[Rule] = []
    files = rule_files(paths)
    seen: dict[str, str] = {}
    problems: list[str] = []
    for path in files:
        try:
            loaded = load_file(
                path, fields, per_instance, receivers, tuple(default_receivers), default_interval
            )
        except RuleError as exc:
            problems += exc.problems
            continue
        for rule in loaded:
            # The name is the instance's identity (alertname label, timing, rule tests): one rule each.
            if rule.name in seen:
                problems.append(
                    f"{rule.file}: {rule.group}/{rule.name}: alert also defined in {seen[rule.name]}"
                )
                continue
            seen[rule.name] = f"{rule.file} (group {rule.group})"
            rules.append(rule)
    if problems:
        raise RuleError(*problems)
    return RuleSet(tuple(rules), tuple(str(f) for f in files))


def load_file(
    path: Path,
    fields: Mapping[str, Mapping[str, Kind]],
    per_instance: Collection[str],
    receivers: Collection[str] | None,
    default_receivers: tuple[str, ...],
    default_interval: float,
) -> list[Rule]:
    """One file's rules."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise RuleError(f"{where}: larger than {MAX_FILE_BYTES} bytes")
    try:
        data = yaml.safe_load(raw)
        spec = FileSpec.model_validate(data)
    except yaml.YAMLError as exc:
        raise RuleError(f"{where}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"{where}: {loc}: {err['msg']}")
        raise RuleError(*lines) from None
    env = environment()
    shared = {ns: fs for ns, fs in fields.items() if ns not in per_instance}
    out: list[Rule] = []
    names = [g.name for g in spec.groups]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:  # a group is its interval: two with one name would share one schedule
        raise RuleError(f"{where}: group {repeated!r} is repeated (group names are unique per file)")
    problems: list[str] = []
    for g in spec.groups:
        for r in g.rules:
            try:
                out.append(
                    _rule(where, g, r, fields, shared, env, receivers, default_receivers, default_interval)
                )
            except RuleError as exc:
                problems += exc.problems
    if problems:
        raise RuleError(*problems)
    return out


def _rule(
    where: str,
    g: GroupSpec,
    r: RuleSpec,
    fields: Mapping[str, Mapping[str, Kind]],
    shared: Mapping[str, Mapping[str, Kind]],
    env: Any,
    receivers: Collection[str] | None,
    default_receivers: tuple[str, ...],
    default_interval: float,
) -> Rule:
    at = f"{where}: {g.name}/{r.alert}"
    visible = dict(shared)
    if r.for_each is not None:
        if r.for_each not in fields:
            raise RuleError(f"{at}: for_each: {r.for_each}: that namespace is not available in this build")
        visible[r.for_each] = fields[r.for_each]
    try:
        compiled = compile_expression(r.expr, visible)
    except ExpressionError as exc:
        hint = ""
        if r.for_each is None and any(n in str(exc) for n in fields if n not in shared):
            hint = " (per-instance namespaces need for_each)"
        raise RuleError(f"{at}: expr: {exc}{hint}") from None
    names: dict[str, Collection[str]] = {ns: set(fs) for ns, fs in visible.items()}
    names |= {"labels": {"*"}, "value": (), "alertname": ()}
    annotations = {}
    for key, text in r.annotations.items():
        try:
            annotations[key] = AnnotationTemplate(env, text, names)
        except TemplateRejected as exc:
            raise RuleError(f"{at}: annotations.{key}: {exc}") from None
    chosen = tuple(r.receivers if r.receivers is not None else default_receivers)
    if receivers is not None:
        unknown = [n for n in chosen if n not in receivers]
        if unknown:
            raise RuleError(
                f"{at}: receivers: unknown receiver {unknown[0]!r} (configured: {sorted(receivers)})"
            )
    try:
        interval = parse_duration(g.interval) if g.interval is not None else default_interval
        durations = [parse_duration(v) for v in (r.for_, r.keep_firing_for, r.repeat_interval)]
    except ValueError as exc:
        raise RuleError(f"{at}: {exc}") from None
    if interval <= 0:
        raise RuleError(f"{at}: interval must be positive")
    if r.notify_partner and r.for_each != "partner":
        raise RuleError(f"{at}: notify_partner: needs for_each: partner (which partner to tell)")
    return Rule(
        name=r.alert,
        group=g.name,
        file=where,
        expr=compiled,
        for_each=r.for_each,
        for_s=durations[0],
        keep_firing_for_s=durations[1],
        no_data=r.no_data,
        labels={**g.labels, **r.labels},
        annotations=annotations,
        receivers=chosen,
        repeat_s=durations[2],
        interval_s=interval,
        notify_partner=r.notify_partner,
        routed=r.receivers is None,
    )
