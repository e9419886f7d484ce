"""Alertmanager label matchers: `name="v"`, `!=`, `=~`, `!~`; regexes are RE2 (docs/alert-routing.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import re2

Op = Literal["=", "!=", "=~", "!~"]
MAX_TEXT = 1024  # characters in one matcher; RE2 is linear in the input, this bounds its compile memory
MAX_MATCHERS = 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS: tuple[Op, ...] = ("=~", "!~", "!=", "=")
_BARE_STOP = set(" \t\n{}!=~,\"'")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


class MatcherError(ValueError):
    """A matcher that does not parse, or a regex RE2 refuses."""


def _options() -> Any:
    opts = re2.Options()
    opts.max_mem = 1 << 20
    opts.log_errors = False
    return opts


@dataclass(frozen=True)
class Matcher:
    """One label matcher; a missing label has the value "" (as in Alertmanager)."""

    name: str
    op: Op
    value: str
    _regex: Any = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy this matcher."""
        return self.matches_value(labels.get(self.name, ""))

    def matches_value(self, got: str) -> bool:
        """Whether this label value (absent: "") satisfies the matcher."""
        if self.op == "=":
            return got == self.value
        if self.op == "!=":
            return got != self.value
        hit = self._regex.fullmatch(got) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def make(name: str, op: Op, value: str) -> Matcher:
    """A matcher from its parts (the regex compiled and anchored, as Alertmanager anchors it)."""
    if not _NAME.fullmatch(name):
        raise MatcherError(f"bad label name {name!r}")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise MatcherError(f"value of {name!r} too long (max {MAX_TEXT}) or contains NUL")
    regex = None
    if op in ("=~", "!~"):
        try:
            regex = re2.compile(f"^(?:{value})$", _options())
        except re2.error as exc:
            detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise MatcherError(
                f"{name}{op}: not an RE2 regex ({detail}; backreferences and lookarounds are not supported)"
            ) from None
    return Matcher(name, op, value, regex)


def _value(text: str, i: int) -> tuple[str, int]:
    """A quoted (Go escapes) or bare value starting at `i`; returns it and the index after it."""
    if i < len(text) and text[i] == '"':
        out, i = [], i + 1
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                if i + 1 >= len(text) or text[i + 1] not in _ESCAPES:
                    raise MatcherError(f"bad escape in {text!r} at {i}")
                out.append(_ESCAPES[text[i + 1]])
                i += 2
                continue
            if ch == '"':
                return "".join(out), i + 1
            out.append(ch)
            i += 1
        raise MatcherError(f"unterminated quoted value in {text!r}")
    start = i
    while i < len(text) and text[i] not in _BARE_STOP:
        i += 1
    return text[start:i], i


def _one(text: str, i: int) -> tuple[Matcher, int]:
    while i < len(text) and text[i].isspace():
        i += 1
    m = _NAME.match(text, i)
    if m is None:
        raise MatcherError(f"expected a label name in {text!r} at {i}")
    name, i = m.group(), m.end()
    while i < len(text) and text[i].isspace():
        i += 1
    op = next((o for o in _OPS if text.startswith(o, i)), None)
    if op is None:
        raise MatcherError(f"expected one of = != =~ !~ after {name!r} in {text!r}")
    i += len(op)
    while i < len(text) and text[i].isspace():
        i += 1
    value, i = _value(text, i)
    while i < len(text) and text[i].isspace():
        i += 1
    return make(name, op, value), i


def parse_set(text: str) -> list[Matcher]:
    """One or more comma-separated matchers, optionally in braces: `{a="b", c=~"d|e"}`."""
    if len(text) > MAX_TEXT * 4:
        raise MatcherError("matcher text too long")
    body = text.strip()
    if body.startswith("{"):
        if not body.endswith("}"):
            raise MatcherError(f"unbalanced braces in {text!r}")
        body = body[1:-1]
    out: list[Matcher] = []
    i = 0
    while body[i:].strip():
        matcher, i = _one(body, i)
        out.append(matcher)
        if i < len(body):
            if body[i] != ",":
                raise MatcherError(f"unexpected {body[i]!r} in {text!r} at {i}")
            i += 1
    return out


def parse_matcher(text: str) -> Matcher:
    """Exactly one matcher, e.g. `severity=~"critical|emergency"` or `pool!=x`."""
    found = parse_set(text)
    if len(found) != 1:
        raise MatcherError(f"expected one matcher in {text!r}, got {len(found)}")
    return found[0]


def parse_matchers(texts: Iterable[str]) -> list[Matcher]:
    """Every matcher of a config list (each entry may hold several, comma-separated)."""
    out = [m for text in texts for m in parse_set(text)]
    if len(out) > MAX_MATCHERS:
        raise MatcherError(f"at most {MAX_MATCHERS} matchers")
    return out


def from_config(value: Any) -> list[Matcher]:
    """A list of matcher strings, or the older equality dict `{k: v}` (meaning k="v")."""
    if isinstance(value, Mapping):
        return [make(str(k), "=", str(v)) for k, v in value.items()]
    if isinstance(value, str):
        return parse_set(value)
    if isinstance(value, Iterable):
        return parse_matchers(str(v) for v in value)
    raise MatcherError("matchers must be a list of strings or a mapping")


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Every matcher holds."""
    return all(m.matches(labels) for m in matchers)
