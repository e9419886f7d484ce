"""Escaping text that did not come from the operator (values, partner text) for each receiver type.

See docs/ssrf-and-escaping.md for which characters each format gives a meaning to.
"""

from __future__ import annotations

import json
import re

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Line breaks of every kind (CR, LF, NEL, LS, PS) and the other C0/C1 controls.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def mrkdwn(text: str) -> str:
    """Slack's three control characters as entities: no `<!channel>`, no `<url|disguised link>`."""
    return text.translate(_MRKDWN)


def one_line(text: str) -> str:
    """Line breaks and control characters as one space each run (mail headers, single-line fields)."""
    return _BREAKS.sub(" ", text).strip()


def quoted(text: str) -> str:
    """A logfmt value: double-quoted, with quotes, backslashes and line breaks escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
