"""Rule conditions: a whitelisted Python subset as closures (docs/alerting.md#expressions)."""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from daemon.alerts import expr_ops
from daemon.alerts.expr_base import (
    MAX_DEPTH,
    MAX_INT,
    MAX_LENGTH,
    MAX_NODES,
    MAX_STR,
    Env,
    ExpressionError,
    Fn,
    Kind,
    NoData,
)
from daemon.alerts.expr_names import describe as _describe
from daemon.alerts.expr_names import symbol as _op

__all__ = ["Compiled", "Env", "ExpressionError", "Fn", "Kind", "NoData", "compile_expression"]


@dataclass(frozen=True)
class Compiled:
    """A checked expression: `test(env)` is the condition, `value(env)` the number shown as `$value`."""

    source: str
    test: Fn
    value: Fn
    names: frozenset[str]


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
        self.ascii_only(n)
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

    def ascii_only(self, n: ast.AST) -> None:
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
    ast.BinOp: expr_ops.binop,
    ast.Compare: expr_ops.compare,
    ast.Call: expr_ops.call,
}


def _truth(fn: Fn) -> Fn:
    return lambda env: bool(fn(env))
