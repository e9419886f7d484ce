"""The keyword rules, measured on a labelled set of realistic partner tickets (ko + en)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.support.classify import Rules, default_rules
from daemon.support.models import PRIORITIES

LABELLED: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "labelled_tickets.yml").read_text())


def _accuracy(tickets: list[dict[str, Any]]) -> tuple[float, float]:
    """(classifier accuracy, always-the-most-common-category accuracy)."""
    rules = default_rules()
    hits = sum(rules.category(t["title"], t["description"])[0] == t["category"] for t in tickets)
    common = Counter(t["category"] for t in tickets).most_common(1)[0][1]
    return hits / len(tickets), common / len(tickets)


def test_the_labelled_set_is_big_bilingual_and_covers_every_category() -> None:
    langs = Counter(t["lang"] for t in LABELLED)
    assert len(LABELLED) >= 60 and langs["ko"] >= 25 and langs["en"] >= 25
    assert set(Counter(t["category"] for t in LABELLED)) == {
        "api",
        "billing",
        "technical",
        "energy",
        "withdrawal",
        "account",
        "other",
    }


@pytest.mark.parametrize("split", ["dev", "holdout", "all"])
def test_category_beats_the_majority_baseline_by_a_wide_margin(split: str) -> None:
    tickets = [t for t in LABELLED if split in ("all", t["split"])]
    accuracy, baseline = _accuracy(tickets)
    by_lang = {lang: _accuracy([t for t in tickets if t["lang"] == lang])[0] for lang in ("ko", "en")}
    print(
        f"\ncategory {split}: n={len(tickets)} accuracy={accuracy:.3f} baseline={baseline:.3f} "
        f"ko={by_lang['ko']:.3f} en={by_lang['en']:.3f}"
    )
    assert accuracy >= 0.85 and accuracy - baseline >= 0.5
    assert min(by_lang.values()) >= 0.8


def test_priority_rules_catch_urgent_tickets_without_raising_routine_ones() -> None:
    rules = default_rules()
    urgent = [t for t in LABELLED if PRIORITIES.index(t["priority"]) >= 2]
    routine = [t for t in LABELLED if PRIORITIES.index(t["priority"]) < 2]

    def raised(t: dict[str, Any]) -> bool:
        return PRIORITIES.index(rules.priority(t["title"], t["description"], None)[0]) >= 2

    recall = sum(map(raised, urgent)) / len(urgent)
    false_raise = sum(map(raised, routine)) / len(routine)
    critical = [t for t in LABELLED if t["priority"] == "critical"]
    crit_hits = sum(rules.priority(t["title"], t["description"], None)[0] == "critical" for t in critical)
    print(
        f"\npriority: urgent recall={recall:.3f} ({len(urgent)}), false raises={false_raise:.3f} "
        f"({len(routine)}), critical exact={crit_hits}/{len(critical)}"
    )
    assert recall >= 0.75 and false_raise <= 0.1


@pytest.mark.parametrize(
    ("title", "description", "requested", "expected"),
    [
        ("URGENT: callback", "webhook", None, "high"),  # the seed's rule: urgent in the title
        ("Pool state", "pool at a critical level", None, "high"),  # ... or critical in the description
        ("Question", "Not urgent, just curious", None, "medium"),
        ("긴급 출금 수수료 문의", "수수료가 궁금합니다", None, "medium"),  # the feature's name, not urgency
        ("출금불가", "고객 출금이 안 됩니다", None, "critical"),  # spacing differs from the rule
        ("Download link", "The countdown is off", None, "medium"),  # whole words only
        ("Question", "How?", "critical", "critical"),  # never lowered
        ("서버 장애", "접속이 안 됩니다", "low", "high"),
    ],
)
def test_priority_examples(title: str, description: str, requested: Any, expected: str) -> None:
    assert default_rules().priority(title, description, requested)[0] == expected


def test_ties_and_silence_are_other() -> None:
    rules = Rules(
        {
            "priority": {"rules": []},
            "categories": {"title_weight": 2, "keywords": {"api": {"webhook": 2}, "billing": {"invoice": 2}}},
        }
    )
    assert rules.category("webhook invoice", "")[0] == "other"
    assert rules.category("hello", "nothing to see")[0] == "other"
    assert rules.category("webhook", "invoice")[0] == "api"  # the title weighs double


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        Rules({"priority": {"rules": []}, "categories": {"keywords": {"sales": {"x": 1}}}})
    with pytest.raises(ValueError, match="unknown priority"):
        Rules(
            {"priority": {"rules": [{"priority": "p0", "keywords": ["x"]}]}, "categories": {"keywords": {}}}
        )
