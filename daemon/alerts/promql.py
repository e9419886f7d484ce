"""Rule expressions as PromQL over tronwatch's own metrics, where PromQL can say the same thing."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass


class Unsupported(ValueError):
    """The expression has no PromQL equivalent (the message says why)."""


@dataclass(frozen=True)
class Field:
    """How one `namespace.field` reads in PromQL, and (for rule tests) how its value becomes a sample."""

    operand: str
    metric: str | None = None  # the series a rule test's input feeds (None: no series form)
    to_sample: Callable[[float], float] = lambda v: v


def _by(ns: str, metric: str) -> str:
    # Every replica exports the same pool and total gauges: one value per pool, not one per replica.
    return f"max by (pool) ({metric})" if ns == "pool" else f"max({metric})"


def _plain(ns: str, metric: str, scale: float = 1) -> Field:
    operand = _by(ns, metric) if scale == 1 else f"{_by(ns, metric)} / {scale:g}"
    return Field(operand, metric, (lambda v: v * scale) if scale != 1 else (lambda v: v))


_POOL = "tronwatch_pool_"
FIELDS: dict[str, Field] = {
    "pool.usage_ratio": _plain("pool", _POOL + "usage_ratio"),
    "pool.usage_percentage": Field(
        f"100 * {_by('pool', _POOL + 'usage_ratio')}", _POOL + "usage_ratio", lambda v: v / 100
    ),
    "pool.available_percentage": Field(
        f"100 * (1 - {_by('pool', _POOL + 'usage_ratio')})", _POOL + "usage_ratio", lambda v: 1 - v / 100
    ),
    "pool.up": _plain("pool", _POOL + "up"),
    "pool.energy_limit": _plain("pool", _POOL + "limit_energy"),
    "pool.energy_used": _plain("pool", _POOL + "used_energy"),
    "pool.energy_available": _plain("pool", _POOL + "available_energy"),
    "pool.frozen_trx": _plain("pool", _POOL + "frozen_sun", 1e6),
    "pool.balance_trx": _plain("pool", _POOL + "balance_sun", 1e6),
    "pool.daily_consumption": _plain("pool", _POOL + "daily_consumption_energy"),
    "pool.runway_seconds": _plain("pool", _POOL + "runway_seconds"),
    "pool.acquired_energy": _plain("pool", _POOL + "energy_acquired"),
    "pool.delegated_out_energy": _plain("pool", _POOL + "energy_delegated_out"),
    "pool.scrape_age_seconds": Field(f"time() - {_by('pool', _POOL + 'last_scrape_timestamp_seconds')}"),
    "pool.delegation_expires_in_seconds": Field(
        f"min by (pool) ({_POOL}delegation_expiry_timestamp_seconds) - time()"
    ),
    "energy.available": _plain("energy", "tronwatch_available_energy"),
    "energy.usage_ratio": _plain("energy", "tronwatch_energy_usage_ratio"),
    "energy.usage_percentage": Field(
        "100 * max(tronwatch_energy_usage_ratio)", "tronwatch_energy_usage_ratio", lambda v: v / 100
    ),
    "energy.available_percentage": _plain("energy", "tronwatch_energy_available_percentage"),
    "energy.stale": _plain("energy", "tronwatch_energy_stale"),
    "energy.data_age_seconds": _plain("energy", "tronwatch_energy_data_age_seconds"),
    "energy.pools": _plain("energy", "tronwatch_energy_pools"),
    "energy.pools_up": _plain("energy", "tronwatch_energy_pools_up"),
    "energy.energy_fee_sun": _plain("energy", "tronwatch_chain_energy_fee_sun"),
    "energy.emergency_fee_trx": _plain("energy", "tronwatch_emergency_fee_sun", 1e6),
    "queue.waiting": _plain("queue", "tronwatch_queue_waiting"),
    "queue.oldest_wait_minutes": _plain("queue", "tronwatch_queue_oldest_wait_seconds", 60),
    "tickets.open": Field("sum(max by (priority) (tronwatch_tickets_open))"),
    "tickets.sla_breached": _plain("tickets", "tronwatch_tickets_sla_breached"),
    "tickets.oldest_unanswered_minutes": _plain("tickets", "tronwatch_tickets_oldest_unanswered_seconds", 60),
    "db.up": _plain("db", "tronwatch_db_up"),
}
for _p in ("critical", "high", "medium", "low"):
    _m = f'tronwatch_tickets_open{{priority="{_p}"}}'
    FIELDS[f"tickets.open_{_p}"] = Field(f"max({_m})", _m)
for _p in ("warning", "critical", "emergency"):
    _m = f'tronwatch_energy_threshold_ratio{{level="{_p}"}}'
    FIELDS[f"energy.{_p}"] = Field(f"max({_m})", _m)
# The 0/1 gauges among FIELDS (true/false in rules); the one namespace with a label per instance.
BOOLS = {"pool.up", "energy.stale", "db.up"}
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NOT = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
_PER_INSTANCE = {"pool"}


@dataclass(frozen=True)
class Term:
    """A translated sub-expression: a number, a vector of values, or a condition (a filtered vector)."""

    text: str
    kind: str  # "scalar" | "vector" | "cond"
    scope: str | None = None  # the per-instance namespace whose label it carries
    boolean: bool = False


def to_promql(source: str) -> str:
    """The PromQL alert expression for a rule expression; Unsupported when there is none."""
    return _cond(_term(ast.parse(source, mode="eval").body)).text


def _name(node: ast.Attribute) -> str:
    assert isinstance(node.value, ast.Name)
    return f"{node.value.id}.{node.attr}"


def _term(node: ast.expr) -> Term:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return Term("1" if node.value else "0", "scalar")
        if isinstance(node.value, int | float):
            return Term(repr(node.value), "scalar")
        raise Unsupported(f"the constant {node.value!r} has no PromQL form")
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        name = _name(node)
        found = FIELDS.get(name)
        if found is None:
            ns = name.split(".")[0]
            why = "per-partner figures come from the database" if ns == "partner" else "no metric carries it"
            raise Unsupported(f"{name} is not a tronwatch metric ({why})")
        ns = name.split(".")[0]
        return Term(found.operand, "vector", ns if ns in _PER_INSTANCE else None, name in BOOLS)
    if isinstance(node, ast.BoolOp):
        terms = [_cond(_term(v)) for v in node.values]
        out = terms[0]
        for t in terms[1:]:
            out = _and(out, t) if isinstance(node.op, ast.And) else _or(out, t)
        return out
    if isinstance(node, ast.UnaryOp):
        return _unary(node)
    if isinstance(node, ast.Compare):
        return _compare(node)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _arith(_term(node.left), _ARITH[type(node.op)], _term(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("abs", "round"):
        if len(node.args) != 1:
            raise Unsupported(f"{node.func.id}() with more than one argument")
        arg = _term(node.args[0])
        if arg.kind == "cond":
            raise Unsupported(f"{node.func.id}() of a condition")
        return Term(f"{node.func.id}({arg.text})", arg.kind, arg.scope)
    raise Unsupported(f"{ast.unparse(node)!r} has no PromQL form here")


def _cond(t: Term) -> Term:
    if t.kind == "cond":
        return t
    if t.kind == "scalar":
        raise Unsupported("a constant condition")
    return Term(f"{_wrap(t)} {'==' if t.boolean else '!='} {'1' if t.boolean else '0'}", "cond", t.scope)


def _wrap(t: Term) -> str:
    return t.text if t.kind == "scalar" and " " not in t.text else f"({t.text})"


def _and(a: Term, b: Term) -> Term:
    if a.scope == b.scope:
        return Term(f"({a.text}) and ({b.text})", "cond", a.scope)
    if a.scope is None or b.scope is None:
        scoped, shared = (a, b) if b.scope is None else (b, a)
        # A shared condition gates every instance: `on()` matches regardless of labels.
        return Term(f"({scoped.text}) and on() ({shared.text})", "cond", scoped.scope)
    raise Unsupported("conditions over two different per-instance namespaces")


def _or(a: Term, b: Term) -> Term:
    if a.scope != b.scope:
        raise Unsupported("`or` of a shared and a per-instance condition (PromQL would mix their labels)")
    return Term(f"({a.text}) or ({b.text})", "cond", a.scope)


def _unary(node: ast.UnaryOp) -> Term:
    if isinstance(node.op, ast.Not):
        inner = node.operand
        if isinstance(inner, ast.Attribute):
            t = _term(inner)
            return Term(f"{_wrap(t)} == 0", "cond", t.scope)
        if isinstance(inner, ast.Compare) and len(inner.ops) == 1 and type(inner.ops[0]) in _OPS:
            flipped = ast.Compare(inner.left, [_invert(inner.ops[0])], inner.comparators)
            return _compare(flipped)
        raise Unsupported("`not` of anything but a field or one comparison")
    if isinstance(node.op, ast.USub):
        t = _term(node.operand)
        return Term(f"-{t.text}" if t.kind == "scalar" else f"-({t.text})", t.kind, t.scope)
    raise Unsupported(f"unary {type(node.op).__name__}")


def _invert(op: ast.cmpop) -> ast.cmpop:
    back = {v: k for k, v in _OPS.items()}
    return back[_NOT[_OPS[type(op)]]]()


def _compare(node: ast.Compare) -> Term:
    parts: list[Term] = []
    left = node.left
    for op, right in zip(node.ops, node.comparators, strict=True):
        parts.append(_pair(left, op, right))
        left = right
    out = parts[0]
    for p in parts[1:]:
        out = _and(out, p)
    return out


def _pair(left: ast.expr, op: ast.cmpop, right: ast.expr) -> Term:
    if isinstance(left, ast.Attribute) and isinstance(left.value, ast.Name) and _name(left) == "energy.level":
        return _level(op, right)
    if type(op) not in _OPS:
        raise Unsupported(f"`{type(op).__name__}` comparisons of numbers")
    a, b, sym = _term(left), _term(right), _OPS[type(op)]
    if "cond" in (a.kind, b.kind):
        raise Unsupported("comparing a condition")
    if a.kind == "scalar" and b.kind == "scalar":
        raise Unsupported("a comparison of two constants")
    if a.kind == "scalar":
        a, b, sym = b, a, _FLIP[sym]
    if b.kind == "vector" and a.scope != b.scope:
        if a.scope is not None and b.scope is not None:
            raise Unsupported("comparing values of different namespaces")
        # One shared value (a configured threshold) against each instance: as a scalar, it keeps their labels.
        if a.scope is None:
            a, b, sym = b, a, _FLIP[sym]
        b = Term(f"scalar({b.text})", "scalar")
    return Term(f"{_wrap(a)} {sym} {_wrap(b)}", "cond", a.scope)


def _level(op: ast.cmpop, right: ast.expr) -> Term:
    values: list[str] = []
    if (
        isinstance(op, ast.Eq | ast.NotEq)
        and isinstance(right, ast.Constant)
        and isinstance(right.value, str)
    ):
        values = [right.value]
    elif isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List):
        values = [e.value for e in right.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if not values or any(not v.isalpha() for v in values):
        raise Unsupported("energy.level compared with anything but level names")
    selector = f'level="{values[0]}"' if len(values) == 1 else f'level=~"{"|".join(values)}"'
    positive = isinstance(op, ast.Eq | ast.In)
    return Term(f"max(tronwatch_energy_level{{{selector}}}) {'==' if positive else '!='} 1", "cond")


def _arith(a: Term, sym: str, b: Term) -> Term:
    if "cond" in (a.kind, b.kind):
        raise Unsupported("arithmetic on a condition")
    if a.kind == "vector" and b.kind == "vector" and a.scope != b.scope:
        raise Unsupported("arithmetic between different namespaces")
    kind = "scalar" if a.kind == b.kind == "scalar" else "vector"
    return Term(f"{_wrap(a)} {sym} {_wrap(b)}", kind, a.scope or b.scope)
