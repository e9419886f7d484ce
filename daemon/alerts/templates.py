"""Annotation templates: a whitelisted jinja2 subset in ImmutableSandboxedEnvironment.

Each template also renders for Slack when its own text uses Slack's control characters: the
operator's `<https://runbook|Runbook>` stays a link while every substituted value is escaped.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from daemon.alerts.escape import mrkdwn

MAX_TEMPLATE = 2000
MAX_OUTPUT = 4000
MAX_DIGITS = 12  # decimal places `percent` and `trx` may show


class TemplateRejected(ValueError):
    """The template is not allowed or does not compile; the message says why."""


def _digits(digits: Any) -> int:
    n = int(digits)
    if not 0 <= n <= MAX_DIGITS:
        raise ValueError(f"digits must be 0 to {MAX_DIGITS}")
    return n


def percent(value: Any, digits: int = 1) -> str:
    """A 0–1 ratio as a percentage: 0.953 -> '95.3%'."""
    return f"{float(value) * 100:.{_digits(digits)}f}%"


def trx(value: Any, digits: int = 2) -> str:
    """A TRX amount with thousands separators: 1234.5 -> '1,234.50 TRX'."""
    return f"{float(value):,.{_digits(digits)}f} TRX"


def duration(value: Any) -> str:
    """Seconds as '1d 2h', '5m 3s' or '∞'."""
    seconds = float(value)
    if math.isinf(seconds):
        return "∞"
    s = int(abs(seconds))
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    shown = [f"{n}{u}" for n, u in parts if n][:2]
    return ("-" if seconds < 0 else "") + (" ".join(shown) or "0s")


def humanize(value: Any) -> str:
    """A number with an SI suffix: 1234567 -> '1.23M'."""
    v = float(value)
    if math.isinf(v) or math.isnan(v):
        return str(v)
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            return f"{v / factor:.3g}{suffix}"
    return f"{v:.4g}"


FILTERS: dict[str, Callable[..., Any]] = {
    "percent": percent,
    "trx": trx,
    "duration": duration,
    "humanize": humanize,
}
# Jinja's own filters that only format values (no `attr`, `format`, `map`, `map`-like reflection).
SAFE_BUILTIN_FILTERS = frozenset(
    {"round", "upper", "lower", "title", "capitalize", "default", "string", "int", "float", "trim", "abs"}
)
_ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Filter,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Add,
    nodes.Sub,
    nodes.Mul,
    nodes.Div,
    nodes.Mod,
    nodes.Concat,
)


class _Env(ImmutableSandboxedEnvironment):
    """The sandbox, with arithmetic that could allocate without bound intercepted."""

    intercepted_binops = frozenset({"*", "**", "//", "/", "%"})

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        """Refuse repetition of sequences, huge powers and %-formatting before computing them."""
        if operator_ == "*" and (
            isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple)
        ):
            raise SecurityError("repeating strings or sequences is not allowed in alert templates")
        if operator_ == "**":
            raise SecurityError("** is not allowed in alert templates")
        if operator_ == "%" and not isinstance(left, int | float):
            raise SecurityError("% formatting is not allowed in alert templates (use a filter)")
        return super().call_binop(context, operator_, left, right)


def _mrkdwn_value(value: Any) -> str:
    return mrkdwn(str(value))


def environment(*, escape_values: bool = False) -> ImmutableSandboxedEnvironment:
    """The template environment: strict about undefined names, no globals (no range, no lipsum).

    With `escape_values` every `{{ ... }}` result is escaped for Slack mrkdwn; the template's own text is not.
    """
    env = _Env(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        finalize=_mrkdwn_value if escape_values else None,
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in SAFE_BUILTIN_FILTERS} | FILTERS
    return env


@functools.cache
def _mrkdwn_env() -> ImmutableSandboxedEnvironment:
    return environment(escape_values=True)  # one, built on first use, shared by every template


class AnnotationTemplate:
    """One checked, compiled template; `render(ctx)` never raises (falls back to the source text).

    `mrkdwn` is set when the template's own text holds `<`, `>` or `&` (Slack markup the operator
    wrote); otherwise escaping the whole plain rendering gives the same text and nothing more is kept.
    """

    def __init__(self, env: ImmutableSandboxedEnvironment, source: str, names: Mapping[str, Collection[str]]):
        if not isinstance(source, str):
            raise TemplateRejected("a template must be a string")
        if len(source) > MAX_TEMPLATE:
            raise TemplateRejected(f"template is {len(source)} characters long; the limit is {MAX_TEMPLATE}")
        if "\x00" in source:
            raise TemplateRejected("template contains a NUL character")
        try:
            tree = env.parse(source)
        except (TemplateError, RecursionError, MemoryError) as exc:
            raise TemplateRejected(f"template syntax error: {exc}") from None
        _check(tree, names)
        self.source = source
        self.template = env.from_string(tree)
        markup = any(
            isinstance(n, nodes.TemplateData) and any(c in n.data for c in "<>&") for n in _walk(tree)
        )
        self.mrkdwn = _mrkdwn_env().from_string(_mrkdwn_env().parse(source)) if markup else None

    def render(self, ctx: Mapping[str, Any]) -> tuple[str, str | None]:
        """(text, error): on any failure the raw source is used so the notification still goes out."""
        return _render(self.template, self.source, ctx)

    def render_mrkdwn(self, ctx: Mapping[str, Any]) -> str | None:
        """The Slack rendering (values escaped, the operator's markup kept), when it differs."""
        if self.mrkdwn is None:
            return None
        text, error = _render(self.mrkdwn, self.source, ctx)
        return None if error is not None else text


def _render(template: Any, source: str, ctx: Mapping[str, Any]) -> tuple[str, str | None]:
    try:
        out: str = template.render(ctx)
    except Exception as exc:  # a template error must not lose the alert; the error is reported
        return source, f"{type(exc).__name__}: {exc}"
    return (out[:MAX_OUTPUT], None)


def _check(tree: nodes.Node, names: Mapping[str, Collection[str]]) -> None:
    """Refuse every node, name, attribute and filter outside the whitelist (before anything runs)."""
    for node in _walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise TemplateRejected(f"{type(node).__name__} is not allowed in alert templates")
        if isinstance(node, nodes.Const) and isinstance(node.value, int | float) and abs(node.value) > 10**15:
            raise TemplateRejected("number literal too large")
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and len(node.value) > 500:
            raise TemplateRejected("string literal too long")
        if isinstance(node, nodes.Mul) and any(_stringy(side) for side in (node.left, node.right)):
            raise TemplateRejected("repeating strings is not allowed in alert templates")
        if isinstance(node, nodes.Mod) and _stringy(node.left):
            # "%0100000000d" % 1 would allocate 100 MB; % stays for numbers (value % 60).
            raise TemplateRejected("% formatting is not allowed in alert templates (use a filter)")
        if isinstance(node, nodes.Name) and node.name not in names:
            close = difflib.get_close_matches(node.name, list(names), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TemplateRejected(f"unknown name {node.name!r} in template{hint}")
        if isinstance(node, nodes.Getattr):
            _check_field(node.node, node.attr, names)
        if isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, nodes.Const) or not isinstance(node.arg.value, str):
                raise TemplateRejected("only ['constant string'] lookups are allowed in templates")
            _check_field(node.node, node.arg.value, names)
        if isinstance(node, nodes.Filter):
            if node.name not in FILTERS and node.name not in SAFE_BUILTIN_FILTERS:
                allowed = ", ".join(sorted(set(FILTERS) | SAFE_BUILTIN_FILTERS))
                raise TemplateRejected(f"filter {node.name!r} is not allowed (allowed: {allowed})")
            if node.kwargs or node.dyn_args or node.dyn_kwargs:
                raise TemplateRejected(f"filter {node.name!r} takes positional constants only")
            if node.name in ("percent", "trx") and not all(_small_int(a) for a in node.args):
                raise TemplateRejected(
                    f"filter {node.name!r} takes a number of digits from 0 to {MAX_DIGITS}"
                )


def _check_field(base: nodes.Node, key: str, names: Mapping[str, Collection[str]]) -> None:
    if not isinstance(base, nodes.Name):
        raise TemplateRejected("only name.field lookups are allowed in templates (no chains)")
    if key.startswith("_") or not key.isascii():
        raise TemplateRejected(f"field {key!r} is not allowed in templates")
    fields = names.get(base.name)
    if fields is None:
        return  # the unknown base name is reported by the Name check
    if "*" not in fields and key not in fields:
        close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.5)
        hint = f"; did you mean {base.name}.{close[0]}?" if close else ""
        raise TemplateRejected(f"unknown field {base.name}.{key} in template{hint}")


def _small_int(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and type(node.value) is int and 0 <= node.value <= MAX_DIGITS


def _stringy(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Concat) or (isinstance(node, nodes.Const) and isinstance(node.value, str))


def _walk(node: nodes.Node) -> list[nodes.Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.iter_child_nodes())
    return out
