"""What the expression compiler and its operator nodes share: kinds, closures, limits and errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

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
