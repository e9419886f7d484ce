"""How compiler errors name refused syntax: node and operator names as a rule author wrote them."""

from __future__ import annotations

import ast


def describe(n: ast.AST) -> str:
    """How an error message names a refused node."""
    names = {
        "Subscript": "subscripting ([...])",
        "Lambda": "lambda",
        "JoinedStr": "an f-string",
        "NamedExpr": "the walrus operator (:=)",
        "ListComp": "a comprehension",
        "GeneratorExp": "a generator expression",
        "SetComp": "a comprehension",
        "DictComp": "a comprehension",
        "IfExp": "a conditional expression (x if c else y)",
        "Await": "await",
        "Yield": "yield",
        "Dict": "a dict literal",
        "List": "a list literal",
        "Tuple": "a tuple outside `in (...)`",
        "Slice": "slicing",
    }
    return names.get(type(n).__name__, type(n).__name__)


def symbol(op: ast.AST) -> str:
    """An operator as written."""
    symbols = {
        "Pow": "**",
        "FloorDiv": "//",
        "MatMult": "@",
        "LShift": "<<",
        "RShift": ">>",
        "BitOr": "|",
        "BitAnd": "&",
        "BitXor": "^",
        "Invert": "~",
        "Is": "is",
        "Lt": "<",
        "LtE": "<=",
        "Gt": ">",
        "GtE": ">=",
        "IsNot": "is not",
        "USub": "-",
        "UAdd": "+",
    }
    return symbols.get(type(op).__name__, type(op).__name__)
