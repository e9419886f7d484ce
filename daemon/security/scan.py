"""Suspicious-input patterns (SQL injection, XSS, path traversal): precompiled, applied to bounded text.

No pattern nests quantifiers and every repetition is bounded, so a hostile value cannot make a
search backtrack for long; values are also cut to `max_length` before they are searched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

SQL_INJECTION, XSS, PATH_TRAVERSAL = "SQL_INJECTION", "XSS", "PATH_TRAVERSAL"

# Each pattern wants the shape of an attack, not a word that prose also uses: a comparison of two
# literals, a statement after `;`, a call with a number, a tag, a traversal of two steps.
_SQLI = [
    (
        "tautology",
        r"['\"`]\s{0,10}(?:or|and)\s{1,10}(?:\d{1,10}\s{0,10}(?:=|<|>|like\b)"
        r"|['\"`]\w{0,20}['\"`]\s{0,10}(?:=|<|>|like\b)|(?P<taut_id>\w{1,20})\s{0,10}=\s{0,10}(?P=taut_id)\b)",
    ),
    ("or_numeric", r"\bor\s{1,10}\d{1,10}\s{0,10}=\s{0,10}\d{1,10}\b"),
    # A comment right after a quote, or after the value's first quote (`admin' --`): a closing
    # quote in prose (`"Send" -- nothing`) is not the first one.
    (
        "comment_after_quote",
        r"['\"`](?:--(?:\s|$|-)|#(?:\s|$)|/\*)|^[^'\"`]{0,200}['\"`]\s{1,10}(?:--|#)(?:\s|$)",
    ),
    ("union_select", r"\bunion\s{1,10}(?:all\s{1,10})?select\b"),
    (
        "stacked_query",
        r";\s{0,10}(?:drop\s{1,10}(?:table|database|schema|user|role|function|index|view)\b"
        r"|delete\s{1,10}from\s{1,10}[\w.\"]{1,64}\s{0,10}(?:where\b|;|--|$)"
        r"|insert\s{1,10}into\s{1,10}[\w.\"]{1,64}\s{0,10}(?:\(|values\b|select\b)"
        r"|update\s{1,10}[\w.\"]{1,64}\s{1,10}set\s{1,10}[\w\"]{1,64}\s{0,10}="
        r"|alter\s{1,10}(?:table|user|role|database|system)\b"
        r"|truncate\s{1,10}(?:table\s{1,10})?[\w.\"]{1,64}\s{0,10}(?:;|--|$)"
        r"|create\s{1,10}(?:table|user|role|function|database|trigger|extension)\b"
        r"|exec(?:ute)?\s{1,10}(?:xp_|sp_|master\.)|exec(?:ute)?\s{0,10}\(\s{0,10}['@]"
        r"|shutdown\s{0,10}(?:;|--|$|with\b))",
    ),
    (
        "time_delay",
        r"\b(?:pg_sleep\s{0,10}\(|(?:sleep|benchmark)\s{0,10}\(\s{0,10}\d{1,10}\s{0,10}[,)]"
        r"|waitfor\s{1,10}delay\s{1,10}')",
    ),
]
_XSS = [
    ("script_tag", r"</?script\b"),
    ("active_tag", r"<(?:iframe|object|embed|svg|math|base|meta)[\s/>]"),
    ("event_handler", r"<[a-z][^>]{0,200}[\s/\"'`]on[a-z]{3,20}\s{0,10}="),
    # Code after the scheme (`javascript:alert(1)`), not a heading like `javascript: SDK question`.
    (
        "js_url",
        r"\b(?:javascript|vbscript)\s{0,10}:\s{0,10}(?://|%[0-9a-f]{2}|[\w$.\[\]]{1,60}\s{0,10}[(`=])",
    ),
    ("data_html_url", r"\bdata:\s{0,10}text/html\b"),
]
_TRAVERSAL = [
    # Two steps up, any encoded step, or a value that is one path starting `../`; a `../` in prose
    # (`see ../docs/readme`) is a relative link.
    ("dot_dot_slash", r"\.\.[/\\]\.\.[/\\]|^\.\.[/\\]\S{0,65536}$"),
    (
        "encoded_dot_dot",
        r"(?:\.|%2e|%252e){2}(?:%2f|%5c|%252f|%255c)|(?:%2e|%252e)(?:\.|%2e|%252e)[/\\]|\.(?:%2e|%252e)[/\\]",
    ),
    ("slash_dot_dot", r"(?:/|\\|%2f|%5c)(?:\.|%2e){2}(?:$|[/\\?#]|%2f|%5c)"),
    ("system_file", r"(?:/etc/(?:passwd|shadow|hosts)|\bwin\.ini\b|\bboot\.ini\b|/proc/self/)"),
]


def _compile(kind: str, patterns: list[tuple[str, str]]) -> re.Pattern[str]:
    # Searched in the lower-cased value: no IGNORECASE, which is markedly slower.
    return re.compile("|".join(f"(?P<{kind}__{name}>{rx})" for name, rx in patterns))


def _maybe_sqli(low: str) -> bool:
    return (
        "'" in low
        or '"' in low
        or "`" in low
        or "union" in low
        or (
            ";" in low
            and any(
                w in low
                for w in (
                    "drop",
                    "delete",
                    "insert",
                    "update",
                    "alter",
                    "truncate",
                    "create",
                    "exec",
                    "shutdown",
                )
            )
        )
        or ("or" in low and "=" in low)
        or ("(" in low and any(w in low for w in ("sleep", "benchmark", "waitfor")))
    )


def _maybe_xss(low: str) -> bool:
    return "<" in low or "script" in low or "text/html" in low


def _maybe_traversal(low: str) -> bool:
    return ".." in low or "%2e" in low or "/etc/" in low or ".ini" in low or "/proc/" in low


# Each pattern set runs only when cheap substring tests say it could match: most values skip them all.
_CHECKS = [
    (SQL_INJECTION, _maybe_sqli, _compile("sqli", _SQLI)),
    (XSS, _maybe_xss, _compile("xss", _XSS)),
    (PATH_TRAVERSAL, _maybe_traversal, _compile("traversal", _TRAVERSAL)),
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One match: the event type, which pattern, where it was (e.g. `query:q`) and the matched text."""

    type: str
    pattern: str
    location: str
    excerpt: str


def scan_value(value: str, location: str, max_length: int) -> Finding | None:
    """The first suspicious pattern in one value (cut to `max_length`)."""
    if len(value) <= _CACHED_LENGTH:
        return _scan_short(value, location, max_length)
    return _scan(value, location, max_length)


# Paths and headers repeat from request to request (the same route, the same client): remember short ones.
_CACHED_LENGTH = 256


@functools.lru_cache(maxsize=2048)
def _scan_short(value: str, location: str, max_length: int) -> Finding | None:
    return _scan(value, location, max_length)


def _scan(value: str, location: str, max_length: int) -> Finding | None:
    text = value[:max_length]
    low = text.lower()
    for kind, maybe, rx in _CHECKS:
        if maybe(low) and (m := rx.search(low)) is not None:
            name = (m.lastgroup or "").partition("__")[2]
            return Finding(kind, name, location, text[max(0, m.start() - 20) : m.end() + 20])
    return None


def scan(values: Iterable[tuple[str, str]], *, max_length: int, max_values: int) -> list[Finding]:
    """Every finding among (location, value) pairs, at most one per type, looking at `max_values` values."""
    found: dict[str, Finding] = {}
    for i, (location, value) in enumerate(values):
        if i >= max_values:
            break
        finding = scan_value(value, location, max_length)
        if finding is not None and finding.type not in found:
            found[finding.type] = finding
            if len(found) == len(_CHECKS):
                break
    return list(found.values())


def json_strings(data: Any, path: str = "body", max_depth: int = 32) -> Iterator[tuple[str, str]]:
    """(location, value) for every string (keys too) in a parsed JSON document, `max_depth` levels deep."""
    if isinstance(data, str):
        yield path, data
    elif max_depth <= 0:
        return  # a bounded walk: the recursion never goes deeper than max_depth
    elif isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{str(key)[:64]}"
            yield sub, str(key)
            yield from json_strings(value, sub, max_depth - 1)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from json_strings(value, f"{path}[{i}]", max_depth - 1)
