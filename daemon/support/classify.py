"""Automatic priority and category from Korean and English keyword rules (rules.yml)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from daemon.support.models import CATEGORIES, PRIORITIES, Category, Priority

_WORD = "a-z0-9_"
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: what keywords are matched against."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@dataclass(frozen=True)
class Keyword:
    """One keyword: a cheap substring to test first, then the exact pattern."""

    text: str
    anchor: str
    pattern: re.Pattern[str]

    def found(self, text: str) -> bool:
        """Whether the keyword occurs in normalised text."""
        return self.anchor in text and self.pattern.search(text) is not None


def keyword(raw: str) -> Keyword:
    """Compile a keyword: Latin ones match whole words, Korean ones anywhere (particles attach)."""
    text = normalise(str(raw))
    prefix = text.endswith("*")
    stem = text.rstrip("*").strip()
    if not stem:
        raise ValueError(f"empty keyword {raw!r}")
    body = r"\s*".join(re.escape(part) for part in stem.split(" "))
    if stem.isascii():
        tail = f"[{_WORD}]*" if prefix else "(?:s|es)?"
        pattern = re.compile(f"(?<![{_WORD}]){body}{tail}(?![{_WORD}])")
    else:
        pattern = re.compile(body)
    return Keyword(stem, stem.split(" ")[0], pattern)


@dataclass(frozen=True)
class PriorityRule:
    """Raise to `priority` when any keyword occurs (in `field`, or anywhere)."""

    priority: Priority
    keywords: tuple[Keyword, ...]
    field: str | None = None


@dataclass(frozen=True)
class Classification:
    """The outcome for one ticket, with the keywords that decided it."""

    priority: Priority
    priority_raised: bool
    priority_keywords: tuple[str, ...]
    category: Category
    category_scores: dict[Category, int]


class Rules:
    """Compiled rules; `classify` is pure and cheap (substring tests before any regex)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        prio, cats = doc["priority"], doc["categories"]
        self.default: Priority = _priority(prio.get("default", "medium"))
        self.ignore = [keyword(p) for p in prio.get("ignore", [])]
        self.priority_rules = tuple(
            PriorityRule(_priority(r["priority"]), tuple(keyword(k) for k in r["keywords"]), r.get("field"))
            for r in prio["rules"]
        )
        self.title_weight = int(cats.get("title_weight", 1))
        self.categories: dict[Category, tuple[tuple[Keyword, int], ...]] = {}
        for name, words in cats["keywords"].items():
            if name not in CATEGORIES:
                raise ValueError(f"unknown category {name!r} in rules")
            self.categories[name] = tuple((keyword(k), int(w)) for k, w in words.items())
        # (anchor, category, keyword, weight) in rule order: the substring pass reads no attributes.
        self._flat = [(k.anchor, name, k, w) for name, words in self.categories.items() for k, w in words]
        # What text of ASCII only can contain (no Korean keyword): most tickets skip a third of the tests.
        self._flat_ascii = [c for c in self._flat if c[0].isascii()]
        self._rules = [
            (r, r.keywords, tuple(k for k in r.keywords if k.anchor.isascii())) for r in self.priority_rules
        ]

    def priority(
        self, title: str, description: str, requested: Priority | None
    ) -> tuple[Priority, list[str]]:
        """The partner's priority (or the default) raised by matching rules, and the keywords that did it."""
        return self._priority(normalise(title), normalise(description), requested)

    def category(self, title: str, description: str) -> tuple[Category, dict[Category, int]]:
        """The best-scoring category; a tie at the top or no hit is `other`."""
        return self._category(normalise(title), normalise(description))

    def classify(self, title: str, description: str, requested: Priority | None = None) -> Classification:
        """Priority and category of a new ticket."""
        t, d = normalise(title), normalise(description)
        priority, hits = self._priority(t, d, requested)
        category, scores = self._category(t, d)
        return Classification(
            priority, priority != (requested or self.default), tuple(hits), category, scores
        )

    def _priority(self, t: str, d: str, requested: Priority | None) -> tuple[Priority, list[str]]:
        base = requested or self.default
        fields = {"title": self._strip(t), "description": self._strip(d)}
        both = f"{fields['title']} \n {fields['description']}"
        best, hits, ascii = base, [], both.isascii()
        for rule, every, latin in self._rules:
            text = fields[rule.field] if rule.field else both
            kws = latin if ascii else every
            found = [k.text for k in kws if k.anchor in text and k.pattern.search(text)]
            if found and _rank(rule.priority) > _rank(best):
                best, hits = rule.priority, found
        return best, hits

    def _category(self, t: str, d: str) -> tuple[Category, dict[Category, int]]:
        both = f"{t}\n{d}"
        scores: dict[Category, int] = {}
        # One cheap substring pass over both fields picks the few keywords worth a regex.
        flat = self._flat_ascii if both.isascii() else self._flat
        for _, name, k, w in [c for c in flat if c[0] in both]:
            score = w * (self.title_weight * k.found(t) + k.found(d))
            if score:
                scores[name] = scores.get(name, 0) + score
        if not scores:
            return "other", scores
        top = max(scores.values())
        winners = [name for name, s in scores.items() if s == top]
        return (winners[0] if len(winners) == 1 else "other"), scores

    def _strip(self, text: str) -> str:
        for k in self.ignore:
            if k.anchor in text:  # the pattern starts with its anchor: no anchor, nothing to remove
                text = k.pattern.sub(" ", text)
        return text


def _priority(value: str) -> Priority:
    if value not in PRIORITIES:
        raise ValueError(f"unknown priority {value!r} in rules")
    return value


def _rank(priority: Priority) -> int:
    return PRIORITIES.index(priority)


@cache
def default_rules() -> Rules:
    """The rules shipped with the package."""
    text = resources.files("daemon.support").joinpath("rules.yml").read_text(encoding="utf-8")
    return Rules(yaml.safe_load(text))
