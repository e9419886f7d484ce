"""The operator nodes of rule expressions: arithmetic, (chained) comparisons, `in (...)` and calls."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any, Protocol

from daemon.alerts.expr_base import MAX_TUPLE, Env, ExpressionError, Fn, Kind, NoData
from daemon.alerts.expr_names import symbol as _op


class Compiler(Protocol):
    """What these nodes need of the compiler."""

    def node(self, n: ast.AST, depth: int) -> tuple[Fn, Kind]: ...

    def ascii_only(self, n: ast.AST) -> None: ...


_CMP: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_FUNCS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max, "round": round}


def binop(c: Compiler, n: ast.BinOp, depth: int) -> tuple[Fn, Kind]:
    op = _ARITH.get(type(n.op))
    if op is None:
        raise ExpressionError(f"operator {_op(n.op)} is not allowed (use + - * / %)")
    (lf, lk), (rf, rk) = c.node(n.left, depth), c.node(n.right, depth)
    if lk != "number" or rk != "number":
        # Numbers only: this is what rules out string repetition and concatenation blow-ups.
        raise ExpressionError(f"operator {_op(n.op)} needs numbers on both sides, not {lk} and {rk}")
    if op in (operator.truediv, operator.mod):
        return (lambda env: _divide(op, lf(env), rf(env))), "number"
    return (lambda env: op(lf(env), rf(env))), "number"


def compare(c: Compiler, n: ast.Compare, depth: int) -> tuple[Fn, Kind]:
    left = c.node(n.left, depth)
    steps: list[tuple[Callable[[Any, Any], bool], Fn]] = []
    prev_kind = left[1]
    for op, comp in zip(n.ops, n.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            steps.append(membership(c, op, comp, prev_kind, depth))
            prev_kind = "none"
            continue
        fn = _CMP.get(type(op))
        if fn is None:
            raise ExpressionError(f"comparison {_op(op)} is not allowed")
        rf, rk = c.node(comp, depth)
        ordered = not isinstance(op, ast.Eq | ast.NotEq)
        if ordered and (prev_kind != rk or rk not in ("number", "str")):
            raise ExpressionError(f"cannot order {prev_kind} against {rk} with {_op(op)}")
        steps.append((fn, rf))
        prev_kind = rk
    lf = left[0]
    if len(steps) == 1:
        ((fn1, rf1),) = steps
        if isinstance(n.comparators[0], ast.Constant):
            const = rf1({})
            return (lambda env: fn1(lf(env), const)), "bool"
        return (lambda env: fn1(lf(env), rf1(env))), "bool"

    def chained(env: Env) -> bool:
        a = lf(env)
        for fn, rf in steps:
            b = rf(env)
            if not fn(a, b):
                return False
            a = b
        return True

    return chained, "bool"


def membership(c: Compiler, op: ast.cmpop, comp: ast.expr, kind: Kind, depth: int) -> Any:
    if not isinstance(comp, ast.Tuple | ast.List | ast.Set):
        raise ExpressionError("`in` needs a literal tuple of constants, e.g. x in (1, 2)")
    if len(comp.elts) > MAX_TUPLE:
        raise ExpressionError(f"`in` accepts at most {MAX_TUPLE} constants")
    values = []
    for e in comp.elts:
        if not isinstance(e, ast.Constant):
            raise ExpressionError("`in` accepts constants only")
        values.append(c.node(e, depth)[0]({}))
    frozen = tuple(values)
    if isinstance(op, ast.In):
        return (lambda a, b: a in b), (lambda env: frozen)
    return (lambda a, b: a not in b), (lambda env: frozen)


def call(c: Compiler, n: ast.Call, depth: int) -> tuple[Fn, Kind]:
    if not isinstance(n.func, ast.Name) or n.func.id not in _FUNCS:
        raise ExpressionError(f"only the functions {', '.join(_FUNCS)} may be called")
    name = n.func.id
    c.ascii_only(n.func)
    if n.keywords:
        raise ExpressionError(f"{name}() takes no keyword arguments")
    args = [c.node(a, depth) for a in n.args]
    if any(k != "number" for _, k in args):
        raise ExpressionError(f"{name}() takes numbers only")
    if name == "abs" and len(args) != 1:
        raise ExpressionError("abs() takes exactly one argument")
    if name in ("min", "max") and not 2 <= len(args) <= 10:
        raise ExpressionError(f"{name}() takes 2 to 10 arguments")
    if name == "round":
        if len(args) not in (1, 2):
            raise ExpressionError("round() takes a number and optional digits")
        digits = n.args[1].value if len(args) == 2 and isinstance(n.args[1], ast.Constant) else None
        if len(args) == 2 and not (type(digits) is int and 0 <= digits <= 10):
            raise ExpressionError("round()'s digits must be a constant from 0 to 10")
    fn, fns = _FUNCS[name], [f for f, _ in args]
    return (lambda env: fn(*(f(env) for f in fns))), "number"


def _divide(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if b == 0:
        raise NoData("division by zero")
    return op(a, b)
