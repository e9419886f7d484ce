"""Rule conditions: a whitelisted Python subset as closures (docs/alerting.md#expressions)."""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from daemon.alerts.expr_names import describe as _describe
from daemon.alerts.expr_names import symbol as _op

Kind = Literal["number", "bool", "str", "none"]
Env = Mapping[str, Mapping[str, Any]]
Fn = Callable[[Env], Any]

MAX_LENGTH = 1000
MAX_DEPTH = 24
MAX_NODES = 200
MAX_STR = 200
MAX_INT = 10**15
MAX_TUPLE = 50


class ExpressionError(ValueError):
    """The expression is not allowed; the message says why (and suggests a name when one is unknown)."""


class NoData(Exception):
    """A value the expression needs is missing in this evaluation's snapshot."""


@dataclass(frozen=True)
class Compiled:
    """A checked expression: `test(env)` is the condition, `value(env)` the number shown as `$value`."""

    source: str
    test: Fn
    value: Fn
    names: frozenset[str]


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


def compile_expression(source: str, fields: Mapping[str, Mapping[str, Kind]]) -> Compiled:
    """Parse, check and compile `source` against the declared `fields` (namespace -> field -> kind)."""
    if not isinstance(source, str):
        raise ExpressionError("the expression must be a string")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(source)} characters long; the limit is {MAX_LENGTH}")
    if "\x00" in source:
        raise ExpressionError("expression contains a NUL character")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression is too deeply nested") from None
    checker = _Compiler(source.strip(), fields)
    fn, kind = checker.node(tree.body, 0)
    if kind == "str":
        raise ExpressionError("the expression must be a condition, not a string")
    value = checker.value_of(tree.body)
    test = fn if kind == "bool" else (lambda env: bool(fn(env)))
    return Compiled(source, test, value, frozenset(checker.names))


class _Compiler:
    """One pass: every node is checked and turned into a closure, or refused."""

    def __init__(self, source: str, fields: Mapping[str, Mapping[str, Kind]]) -> None:
        self.source = source
        self.fields = fields
        self.names: set[str] = set()
        self.count = 0
        self.cache: dict[int, tuple[Fn, Kind]] = {}

    def node(self, n: ast.AST, depth: int) -> tuple[Fn, Kind]:
        """Closure and kind of a node."""
        self.count += 1
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested more than {MAX_DEPTH} levels deep")
        if self.count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts")
        method = _HANDLERS.get(type(n))
        if method is None:
            raise ExpressionError(f"{_describe(n)} is not allowed in a rule expression")
        out: tuple[Fn, Kind] = method(self, n, depth + 1)
        self.cache[id(n)] = out
        return out

    def value_of(self, n: ast.AST) -> Fn:
        """The `$value` of a condition: the left operand of its first numeric comparison."""
        if isinstance(n, ast.Compare) and self.cache[id(n.left)][1] == "number":
            return self.cache[id(n.left)][0]
        if isinstance(n, ast.BoolOp):
            return self.value_of(n.values[0])
        if isinstance(n, ast.UnaryOp):
            return self.value_of(n.operand)
        fn, kind = self.cache[id(n)]
        return fn if kind == "number" else (lambda env: 1.0 if fn(env) else 0.0)

    def _Constant(self, n: ast.Constant, depth: int) -> tuple[Fn, Kind]:
        v = n.value
        if v is None:
            return (lambda env: None), "none"
        if isinstance(v, bool):
            return (lambda env: v), "bool"
        if isinstance(v, int | float) and not isinstance(v, complex):
            if isinstance(v, int) and abs(v) > MAX_INT:
                raise ExpressionError(f"number literal is larger than {MAX_INT}")
            if isinstance(v, float) and not math.isfinite(v):
                raise ExpressionError("number literal must be finite")
            return (lambda env: v), "number"
        if isinstance(v, str):
            if len(v) > MAX_STR:
                raise ExpressionError(f"string literal is longer than {MAX_STR} characters")
            return (lambda env: v), "str"
        raise ExpressionError(f"{type(v).__name__} literals are not allowed")

    def _Name(self, n: ast.Name, depth: int) -> tuple[Fn, Kind]:
        if n.id in ("True", "False", "None"):
            raise ExpressionError(f"{n.id} cannot be used as a name")
        if n.id in self.fields:
            raise ExpressionError(f"{n.id!r} is a namespace: name one of its fields, e.g. {self._one(n.id)}")
        raise ExpressionError(f"unknown name {n.id!r}{self._suggest(n.id, self._all())}")

    def _Attribute(self, n: ast.Attribute, depth: int) -> tuple[Fn, Kind]:
        if not isinstance(n.value, ast.Name):
            raise ExpressionError("only namespace.field names are allowed (no nested attributes)")
        ns, field = n.value.id, n.attr
        self._ascii(n)
        full = f"{ns}.{field}"
        if ns not in self.fields:
            raise ExpressionError(f"unknown namespace {ns!r} in {full}{self._suggest(full, self._all())}")
        kind = self.fields[ns].get(field)
        if kind is None:
            raise ExpressionError(f"unknown name {full!r}{self._suggest(full, self._all())}")
        self.names.add(full)

        def lookup(env: Env) -> Any:
            try:
                value = env[ns][field]
            except KeyError:
                raise NoData(full) from None
            if value is None:
                raise NoData(full)
            return value

        return lookup, kind

    def _BoolOp(self, n: ast.BoolOp, depth: int) -> tuple[Fn, Kind]:
        compiled = [self.node(v, depth) for v in n.values]
        parts = [f if k == "bool" else _truth(f) for f, k in compiled]
        # Two operands (the usual case) without a generator: this is the hot path of every cycle.
        if isinstance(n.op, ast.And):
            if len(parts) == 2:
                a, b = parts
                return (lambda env: a(env) and b(env)), "bool"
            return (lambda env: all(bool(p(env)) for p in parts)), "bool"
        if len(parts) == 2:
            a, b = parts
            return (lambda env: a(env) or b(env)), "bool"
        return (lambda env: any(bool(p(env)) for p in parts)), "bool"

    def _UnaryOp(self, n: ast.UnaryOp, depth: int) -> tuple[Fn, Kind]:
        fn, kind = self.node(n.operand, depth)
        if isinstance(n.op, ast.Not):
            return (lambda env: not fn(env)), "bool"
        if kind != "number":
            raise ExpressionError(f"unary {_op(n.op)} needs a number")
        if isinstance(n.op, ast.USub):
            return (lambda env: -fn(env)), "number"
        if isinstance(n.op, ast.UAdd):
            return fn, "number"
        raise ExpressionError(f"operator {_op(n.op)} is not allowed")

    def _BinOp(self, n: ast.BinOp, depth: int) -> tuple[Fn, Kind]:
        op = _ARITH.get(type(n.op))
        if op is None:
            raise ExpressionError(f"operator {_op(n.op)} is not allowed (use + - * / %)")
        (lf, lk), (rf, rk) = self.node(n.left, depth), self.node(n.right, depth)
        if lk != "number" or rk != "number":
            # Numbers only: this is what rules out string repetition and concatenation blow-ups.
            raise ExpressionError(f"operator {_op(n.op)} needs numbers on both sides, not {lk} and {rk}")
        if op in (operator.truediv, operator.mod):
            return (lambda env: _divide(op, lf(env), rf(env))), "number"
        return (lambda env: op(lf(env), rf(env))), "number"

    def _Compare(self, n: ast.Compare, depth: int) -> tuple[Fn, Kind]:
        left = self.node(n.left, depth)
        steps: list[tuple[Callable[[Any, Any], bool], Fn]] = []
        prev_kind = left[1]
        for op, comp in zip(n.ops, n.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                steps.append(self._membership(op, comp, prev_kind, depth))
                prev_kind = "none"
                continue
            fn = _CMP.get(type(op))
            if fn is None:
                raise ExpressionError(f"comparison {_op(op)} is not allowed")
            rf, rk = self.node(comp, depth)
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

        def compare(env: Env) -> bool:
            a = lf(env)
            for fn, rf in steps:
                b = rf(env)
                if not fn(a, b):
                    return False
                a = b
            return True

        return compare, "bool"

    def _membership(self, op: ast.cmpop, comp: ast.expr, kind: Kind, depth: int) -> Any:
        if not isinstance(comp, ast.Tuple | ast.List | ast.Set):
            raise ExpressionError("`in` needs a literal tuple of constants, e.g. x in (1, 2)")
        if len(comp.elts) > MAX_TUPLE:
            raise ExpressionError(f"`in` accepts at most {MAX_TUPLE} constants")
        values = []
        for e in comp.elts:
            if not isinstance(e, ast.Constant):
                raise ExpressionError("`in` accepts constants only")
            values.append(self.node(e, depth)[0]({}))
        frozen = tuple(values)
        if isinstance(op, ast.In):
            return (lambda a, b: a in b), (lambda env: frozen)
        return (lambda a, b: a not in b), (lambda env: frozen)

    def _Call(self, n: ast.Call, depth: int) -> tuple[Fn, Kind]:
        if not isinstance(n.func, ast.Name) or n.func.id not in _FUNCS:
            raise ExpressionError(f"only the functions {', '.join(_FUNCS)} may be called")
        name = n.func.id
        self._ascii(n.func)
        if n.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments")
        args = [self.node(a, depth) for a in n.args]
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

    def _ascii(self, n: ast.AST) -> None:
        # Python folds look-alike identifiers (NFKC); a rule must say exactly the name it means.
        text = ast.get_source_segment(self.source, n) or ""
        if not text.isascii():
            raise ExpressionError(f"names must be plain ASCII: {text!r}")

    def _all(self) -> list[str]:
        return [f"{ns}.{f}" for ns, fs in self.fields.items() for f in fs]

    def _one(self, ns: str) -> str:
        return f"{ns}.{next(iter(self.fields[ns]), 'field')}"

    @staticmethod
    def _suggest(name: str, known: list[str]) -> str:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        return f"; did you mean {close[0]!r}?" if close else ""


# The only node types a rule may contain; anything else is refused by name.
_HANDLERS: dict[type[ast.AST], Callable[..., tuple[Fn, Kind]]] = {
    ast.Constant: _Compiler._Constant,
    ast.Name: _Compiler._Name,
    ast.Attribute: _Compiler._Attribute,
    ast.BoolOp: _Compiler._BoolOp,
    ast.UnaryOp: _Compiler._UnaryOp,
    ast.BinOp: _Compiler._BinOp,
    ast.Compare: _Compiler._Compare,
    ast.Call: _Compiler._Call,
}


def _truth(fn: Fn) -> Fn:
    return lambda env: bool(fn(env))


def _divide(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if b == 0:
        raise NoData("division by zero")
    return op(a, b)
